"""`hermes-sms demo`: the whole product on this machine, no Twilio account needed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hermes_sms.cli.environment import Environment
from hermes_sms.cli.exit_status import ExitStatus

if TYPE_CHECKING:
    from rich.console import Console

    from hermes_sms.sandbox.demo import DemoReply, DemoSession

HELP = """Try the product locally: a Twilio emulator, the real gateway and an agent.

Type texts as if on a phone and see the replies as the phone would, each part with its
encoding and segment count. Uses the agent at SMS_AGENT_URL when it answers, otherwise the
built-in echo agent. With --script, sends the given texts, prints the conversation and exits.
"""

QUIT_WORDS = {"/quit", "/exit"}


def demo_command(
    ctx: typer.Context,
    texts: Annotated[
        list[str] | None, typer.Argument(help="Texts to send with --script.", show_default=False)
    ] = None,
    script: Annotated[
        bool,
        typer.Option(
            "--script", help="Send TEXTS one after the other, print the conversation, exit."
        ),
    ] = False,
    home: Annotated[
        Path | None,
        typer.Option(help="HERMES_HOME for the demo's database; default a temporary folder."),
    ] = None,
) -> int:
    import asyncio

    env: Environment = ctx.obj if isinstance(ctx.obj, Environment) else Environment()
    from hermes_sms.cli.errors import CliError

    if script and not texts:
        raise CliError("--script needs at least one text to send.", ExitStatus.USAGE)
    if texts and not script:
        # Typer takes the words as TEXTS, which only --script sends: ignoring them silently
        # would leave the user waiting at a prompt for what they already typed.
        import shlex

        from hermes_sms import messages

        suggestion = shlex.join(["hermes-sms", "demo", "--script", *texts])
        raise CliError(
            messages.DEMO_TEXTS_NEED_SCRIPT.format(suggestion=suggestion), ExitStatus.USAGE
        )
    return asyncio.run(_run(env, texts or [], script, home))


def _prepare_home(home: Path | None) -> int | None:
    """Check (or create) the `--home` folder before anything starts; its old mode if it was
    tightened to 0700. A folder others share (`--home /tmp`) is refused, never chmod'ed."""
    from hermes_sms import messages
    from hermes_sms.cli.errors import CliError
    from hermes_sms.home import ensure_private_dir

    if home is None:
        return None  # the demo's own temporary folder, private from the start
    try:
        return ensure_private_dir(home)
    except OSError as exc:
        error = exc.strerror if exc.strerror else str(exc)
        raise CliError(
            messages.DEMO_CANNOT_START.format(error=error + "."), ExitStatus.USAGE
        ) from exc


async def _run(env: Environment, texts: list[str], script: bool, home: Path | None) -> int:
    from hermes_sms import messages
    from hermes_sms.cli.errors import CliError
    from hermes_sms.config import read_environment
    from hermes_sms.phone import redact
    from hermes_sms.sandbox.demo import (
        DEMO_GATEWAY_NUMBER,
        DEMO_PHONE_NUMBER,
        DemoError,
        DemoSession,
    )

    console = env.console()
    # The agent settings may live in $HERMES_HOME/.env, like the gateway's. Nothing Twilio-side
    # is taken from it: the demo's gateway only ever talks to its own local emulator.
    values = read_environment(env.environ)
    tightened = _prepare_home(home)
    session = DemoSession(values, home)
    try:
        info = await session.start()
    except DemoError as exc:
        raise CliError(messages.DEMO_CANNOT_START.format(error=exc), ExitStatus.USAGE) from exc
    try:
        console.print(
            f"[bold]hermes-sms demo[/] — gateway at {info.webhook_url} (signatures checked)"
        )
        if info.agent_is_fallback:
            agent = f"agent: {info.agent_name} — built-in echo agent, because {info.agent_note}"
        else:
            agent = f"agent: {info.agent_name} — {info.agent_note}"
        console.print(agent, markup=False)
        kept = "temporary, deleted on exit" if info.home_is_temporary else "kept"
        console.print(f"HERMES_HOME: {info.home} ({kept})", markup=False)
        if tightened is not None:
            console.print(
                messages.HOME_TIGHTENED.format(home=info.home, old=tightened), markup=False
            )
        console.print(
            f"Texting from {redact(DEMO_PHONE_NUMBER)} to {redact(DEMO_GATEWAY_NUMBER)}."
            + ("" if script else " Type a text; /quit or Ctrl-D to leave."),
            markup=False,
        )
        console.print()
        try:
            if script:
                for text in texts:
                    console.print(f"you › {text}", markup=False)
                    _show(console, await session.text(text))
            else:
                await _interactive(env, console, session)
        except DemoError as exc:
            raise CliError(f"The demo stopped: {exc}", ExitStatus.ERROR) from exc
    finally:
        await session.stop()
    return ExitStatus.SUCCESS


async def _read_line(env: Environment) -> str:
    """Read a line without blocking the event loop (the gateway runs on it).

    A daemon thread rather than asyncio.to_thread: on Ctrl-C the default executor would wait
    for the blocked read, so the demo would not exit until Enter was pressed.
    """
    import asyncio
    import threading

    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def read() -> None:
        try:
            line = env.stdin.readline()
        except (OSError, ValueError):
            line = ""
        loop.call_soon_threadsafe(lambda: future.done() or future.set_result(line))

    threading.Thread(target=read, name="demo-stdin", daemon=True).start()
    return await future


async def _interactive(env: Environment, console: Console, session: DemoSession) -> None:
    while True:
        if env.stdin_isatty:
            console.print("you › ", end="")
        line = await _read_line(env)
        if not line:  # Ctrl-D / end of input
            console.print()
            return
        text = line.rstrip("\n")
        if text.strip().lower() in QUIT_WORDS:
            return
        if not text.strip():
            continue
        if not env.stdin_isatty:
            console.print(f"you › {text}", markup=False)
        _show(console, await session.text(text))


def _show(console: Console, replies: list[DemoReply]) -> None:
    if not replies:
        console.print("      (no reply)", style="dim")
    for reply in replies:
        first, *rest = reply.body.split("\n")
        console.print(f"sms ‹ {first}", markup=False)
        if reply.from_twilio:
            console.print("      (sent by Twilio itself, not by the gateway)", style="dim")
        for line in rest:
            console.print(f"      {line}", markup=False)
        plural = "" if reply.segments == 1 else "s"
        console.print(
            f"      {reply.encoding.value} · {reply.segments} segment{plural} · "
            f"{len(reply.body)} characters",
            style="dim",
        )
    console.print()
