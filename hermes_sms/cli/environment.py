"""The CLI's view of the outside world, injectable so tests can drive commands in-process.

Commands read variables, standard streams and the terminal state only through `Environment`,
never through `os.environ` or `sys.stdin` directly.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


@dataclass
class Environment:
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    stdin: IO[str] = field(default_factory=lambda: sys.stdin)
    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
    stdin_isatty: bool | None = None
    # Tests set this to get plain text without colours or terminal-width wrapping.
    color: bool | None = None

    def __post_init__(self) -> None:
        if self.stdin_isatty is None:
            try:
                self.stdin_isatty = self.stdin.isatty()
            except (AttributeError, ValueError):
                self.stdin_isatty = False

    def console(self, *, stderr: bool = False) -> Console:
        """A rich Console writing to our stdout (or stderr); rich is imported only here."""
        from rich.console import Console

        stream = self.stderr if stderr else self.stdout
        no_color = self.color is False or "NO_COLOR" in self.environ
        return Console(
            file=stream,
            no_color=no_color,
            highlight=False,
            soft_wrap=True,
            force_terminal=self.color or None,
        )
