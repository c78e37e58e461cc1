"""`hermes-sms doctor`: render the core's checks (hermes_sms.doctor) as text or JSON.

All the diagnosing happens in the core; this module only parses options, asks the `--fix`
question and prints. The core is imported inside the command: it pulls in aiohttp.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from hermes_sms.cli.environment import Environment
from hermes_sms.cli.errors import CliError
from hermes_sms.cli.exit_status import ExitStatus

if TYPE_CHECKING:
    from rich.console import Console

    from hermes_sms.doctor.result import CheckResult, Report
    from hermes_sms.doctor.runner import Confirm

HELP = """Find what stops messages from arriving or replies from sending.

Checks the configuration, the Twilio account and phone number, the webhook (SMS_WEBHOOK_URL,
the local port, and a signed test message sent through the public URL) and the agent, and
prints the fix next to each problem. The test message comes from your own number, so the
gateway ignores it: nothing is answered or sent.

Exit status: 0 nothing failed; 1 a check failed (or warned, with --strict); 2 usage error.
"""

# Status value -> (symbol, style). Keyed by the JSON word so rich styles stay out of the core.
_MARKS = {
    "pass": ("✓", "green"),
    "warn": ("⚠", "yellow"),
    "fail": ("✗", "red"),
    "skip": ("–", "dim"),
}


def doctor_command(
    ctx: typer.Context,
    json_output: bool = typer.Option(
        False, "--json", help="Print the results as JSON (schema version 1)."
    ),
    offline: bool = typer.Option(
        False, "--offline", help="Skip the checks that need the network (Twilio, URLs, agent)."
    ),
    strict: bool = typer.Option(False, "--strict", help="Treat warnings as failures."),
    fix: bool = typer.Option(
        False,
        "--fix",
        help="Point the number's 'A message comes in' webhook at SMS_WEBHOOK_URL, after asking.",
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="With --fix: change without asking."),
) -> int:
    from hermes_sms.doctor.runner import DoctorOptions, diagnose

    env: Environment = ctx.obj if isinstance(ctx.obj, Environment) else Environment()
    if yes and not fix:
        raise CliError("--yes only applies together with --fix.", ExitStatus.USAGE)
    if fix and offline:
        raise CliError("--fix needs the network: drop --offline.", ExitStatus.USAGE)
    options = DoctorOptions(offline=offline, strict=strict, fix=fix)
    report = diagnose(env.environ, options, _confirmer(env, yes) if fix else None)
    if json_output:
        env.stdout.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        render(env, report)
    return ExitStatus.SUCCESS if report.ok else ExitStatus.ERROR


def _confirmer(env: Environment, yes: bool) -> Confirm | None:
    """How to ask before --fix changes the number; None when nobody can answer."""
    if yes:
        return lambda question: True
    if not env.stdin_isatty:
        return None

    def ask(question: str) -> bool:
        # On stderr, so `--fix --json` keeps standard output pure JSON.
        env.stderr.write(f"{question} [y/N] ")
        env.stderr.flush()
        return env.stdin.readline().strip().lower() in ("y", "yes")

    return ask


def render(env: Environment, report: Report) -> None:
    """Checks grouped by section, each with its mark, then the fix under every problem."""
    console = env.console()
    section = None
    for check in report.checks:
        if check.section != section:
            if section is not None:
                console.print()
            console.print(check.section, style="bold", markup=False)
            section = check.section
        _render_check(console, check)
    console.print()
    console.print(summary(report), markup=False)


def _render_check(console: Console, check: CheckResult) -> None:
    from rich.text import Text

    mark, style = _MARKS[check.status.value]
    line = Text("  ")
    line.append(mark, style=style)
    line.append(" " + check.message)
    console.print(line)
    if check.status.value not in ("warn", "fail"):
        return
    for row in (check.detail or "").splitlines():
        console.print(Text("      " + row, style="dim"))
    if check.fix:
        fix = Text("    → fix: ", style=style)
        fix.append(check.fix)
        console.print(fix)


def summary(report: Report) -> str:
    """`N passed, W warnings, F failed` (plus skipped, and the --strict note when it matters)."""
    counts = report.counts()
    text = (
        f"{counts.passed} passed, {counts.warnings} warning{'' if counts.warnings == 1 else 's'}, "
        f"{counts.failed} failed"
    )
    if counts.skipped:
        text += f", {counts.skipped} skipped"
    if report.strict and counts.warnings:
        text += " (--strict: warnings count as failures)"
    return text
