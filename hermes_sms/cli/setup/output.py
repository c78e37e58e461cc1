"""How setup shows things: notes, warnings, spinners and the summary table (rich)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

from rich.table import Table
from rich.text import Text

from hermes_sms import messages
from hermes_sms.cli.environment import Environment
from hermes_sms.masking import display_urls_in
from hermes_sms.setup_wizard.values import SummaryRow

T = TypeVar("T")


class Reporter:
    """Prints setup's progress. Warnings go to stderr in batch mode, where stdout may be
    parsed by a script; in the wizard everything stays in one stream, in order.

    Every URL printed has its user info masked (`https://…@host`): callers already show URLs
    through `display_url`, and this catches the ones quoted inside Twilio's or a library's
    error text."""

    def __init__(self, env: Environment, *, batch: bool) -> None:
        self.out = env.console()
        self.err = env.console(stderr=True) if batch else self.out

    def info(self, text: str) -> None:
        # markup=False everywhere: URLs and Twilio messages may contain [brackets].
        self.out.print(display_urls_in(text), markup=False)

    def ok(self, text: str) -> None:
        self.out.print("✓ " + display_urls_in(text), markup=False)

    def warn(self, text: str) -> None:
        self.err.print(display_urls_in(text), markup=False, style="yellow")

    def blank(self) -> None:
        self.out.print()

    def spin(self, text: str, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` to completion behind a spinner."""
        with self.out.status(display_urls_in(text)):
            return asyncio.run(work)

    def summary(self, rows: Sequence[SummaryRow], env_file: Path) -> None:
        if not self.out.is_terminal:
            # A log or a pipe: a table at rich's default 80 columns would fold a long URL over
            # lines, and it would no longer copy or grep. One line per variable instead.
            self.out.print(messages.SETUP_SUMMARY_TITLE.format(env_file=env_file), markup=False)
            width = max(len(row.name) for row in rows) if rows else 0
            for row in rows:
                line = f"  {row.name:<{width}}  {row.shown}  {row.change}".rstrip()
                self.out.print(line, markup=False, soft_wrap=True)
            return
        table = Table(title=messages.SETUP_SUMMARY_TITLE.format(env_file=env_file))
        # Variable names rather than labels: they are what the file, the docs and `doctor`
        # use, and leave room for the values in 80 columns.
        table.add_column("Variable", no_wrap=True)
        table.add_column("Value", overflow="fold")
        table.add_column("")
        for row in rows:
            # Text(): values are data, never rich markup.
            table.add_row(Text(row.name), Text(row.shown), Text(row.change))
        self.out.print(table)
