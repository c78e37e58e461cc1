"""Process exit codes, one meaning each, so scripts can tell failures apart."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    SUCCESS = 0
    # Twilio refused, a network failure outlasted the retries, or a check failed.
    ERROR = 1
    # Bad usage or configuration: fixing the command line or the .env file is the cure.
    USAGE = 2
    # The user pressed Ctrl-C (128 + SIGINT, as shells report it).
    CANCELLED = 130
