"""Expected failures the CLI turns into a message and an exit code, never a traceback."""

from __future__ import annotations

from hermes_sms.cli.exit_status import ExitStatus


class CliError(Exception):
    """A message for the user plus the exit status to end with."""

    def __init__(self, message: str, status: ExitStatus = ExitStatus.ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
