"""`hermes-sms send`: a one-off SMS to a number or to the home channel."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

from hermes_sms import messages
from hermes_sms.cli.environment import Environment
from hermes_sms.cli.errors import CliError
from hermes_sms.cli.exit_status import ExitStatus

if TYPE_CHECKING:
    from hermes_sms.config import Settings
    from hermes_sms.sending import SentPart
    from hermes_sms.store import OptOut
    from hermes_sms.text import SmsPlan

HELP = """Send an SMS to a number, or to the home channel.

The recipient is --to, or SMS_HOME_CHANNEL when --to is not given.

The message is converted from markdown to plain text, look-alike characters are replaced
so it stays in the cheaper GSM-7 encoding (SMS_ENCODING=smart), and long text is split into
parts of at most 1600 characters, each marked (1/3), (2/3), ...

Exit status: 0 sent; 1 not sent (the recipient opted out, or Twilio refused or kept
failing); 2 usage or configuration error.
"""


def send_command(
    ctx: typer.Context,
    message: str | None = typer.Argument(
        None, help="The text to send, or - to read it from standard input."
    ),
    to: str | None = typer.Option(
        None, "--to", "-t", help="Recipient in E.164 form; default SMS_HOME_CHANNEL."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show the parts, encodings and segments; send nothing."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    encoding: str | None = typer.Option(
        None, "--encoding", help="smart or unicode; default SMS_ENCODING (smart)."
    ),
    no_markdown: bool = typer.Option(
        False, "--no-markdown", help="Send the text exactly as given, without markdown conversion."
    ),
) -> int:
    from hermes_sms.config import ConfigError

    env: Environment = ctx.obj if isinstance(ctx.obj, Environment) else Environment()
    try:
        return _run(env, message, to, dry_run, json_output, encoding, no_markdown)
    except (CliError, ConfigError) as exc:
        # A script that asked for JSON gets JSON, also when the command stops early; the
        # message still goes to standard error, and the exit status is unchanged.
        if json_output:
            status = exc.status if isinstance(exc, CliError) else ExitStatus.USAGE
            text = exc.message if isinstance(exc, CliError) else str(exc)
            document = {"ok": False, "error": {"message": text, "exit_status": int(status)}}
            env.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        raise


def _run(
    env: Environment,
    message: str | None,
    to: str | None,
    dry_run: bool,
    json_output: bool,
    encoding: str | None,
    no_markdown: bool,
) -> int:
    from hermes_sms.config import ENCODINGS, load_settings
    from hermes_sms.text import plan_sms

    settings = load_settings(env.environ, require_twilio=not dry_run)
    recipient = _recipient(to, settings, required=not dry_run)
    mode = (encoding or settings.encoding).lower()
    if mode not in ENCODINGS:
        raise CliError(f"--encoding must be smart or unicode, got {encoding!r}.", ExitStatus.USAGE)
    text = _read_message(message, env)
    plan = plan_sms(text, encoding=mode, markdown=not no_markdown)
    if not plan.parts:
        raise CliError(messages.EMPTY_MESSAGE, ExitStatus.USAGE)

    opt_out = _opt_out(settings, recipient)
    if dry_run:
        if opt_out is not None:
            env.console(stderr=True).print(_opt_out_text(opt_out, dry_run=True), markup=False)
        _render(env, plan, recipient, sent=None, json_output=json_output)
        return ExitStatus.SUCCESS
    assert recipient is not None
    if opt_out is not None:
        # Checked here, not left to Twilio's 21610: the reason (and the fix) is ours to give.
        raise CliError(_opt_out_text(opt_out, dry_run=False), ExitStatus.ERROR)
    return _send(env, settings, recipient, plan, json_output)


def _opt_out(settings: Settings, recipient: str | None) -> OptOut | None:
    """The gateway's opt-out record for the recipient (STOP or error 21610), if it has one."""
    if recipient is None:
        return None
    from hermes_sms.home import DATABASE_NAME
    from hermes_sms.store import read_opt_out

    return read_opt_out(settings.home / DATABASE_NAME, recipient)


def _opt_out_text(opt_out: OptOut, *, dry_run: bool) -> str:
    import time

    from hermes_sms.phone import redact

    template = messages.RECIPIENT_OPTED_OUT_DRY_RUN if dry_run else messages.RECIPIENT_OPTED_OUT
    return template.format(
        who=redact(opt_out.number),
        how=messages.opt_out_how(opt_out.reason),
        date=time.strftime("%Y-%m-%d", time.localtime(opt_out.since)),
    )


def _recipient(to: str | None, settings: Settings, *, required: bool) -> str | None:
    from hermes_sms.phone import PhoneNumberError, normalize_e164

    if to is not None:
        try:
            return normalize_e164(to)
        except PhoneNumberError as exc:
            raise CliError(
                f"--to must be a phone number in E.164 form: {exc}.", ExitStatus.USAGE
            ) from None
    if settings.home_channel:
        return settings.home_channel
    if required:
        raise CliError(messages.NO_RECIPIENT.format(env_file=settings.env_file), ExitStatus.USAGE)
    return None


def _read_message(message: str | None, env: Environment) -> str:
    if message == "-" or (message is None and not env.stdin_isatty):
        if env.stdin is None:
            # Started with standard input closed (`<&-`, some service managers).
            raise CliError(messages.NO_MESSAGE, ExitStatus.USAGE)
        if env.stdin_isatty:
            # `send -` at a prompt waits for typing; say so instead of seeming to hang.
            env.console(stderr=True).print(messages.STDIN_IS_TTY, markup=False)
        try:
            text = env.stdin.read()
        except UnicodeDecodeError:
            # A strict UTF-8 stream (surrogateescape streams are checked below).
            raise CliError(messages.NOT_UTF8, ExitStatus.USAGE) from None
        except OSError as exc:
            problem = messages.STDIN_UNREADABLE.format(reason=exc.strerror or str(exc))
            raise CliError(problem, ExitStatus.USAGE) from None
    elif message is None:
        raise CliError(messages.NO_MESSAGE, ExitStatus.USAGE)
    else:
        text = message
    try:
        # Undecodable bytes arrive as lone surrogates (surrogateescape); they cannot be sent.
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise CliError(messages.NOT_UTF8, ExitStatus.USAGE) from None
    return text


def _send(
    env: Environment, settings: Settings, recipient: str, plan: SmsPlan, json_output: bool
) -> int:
    import asyncio

    from hermes_sms.sending import SendError, send_plan
    from hermes_sms.twilio.client import TwilioClient

    twilio = settings.require_twilio()
    err = env.console(stderr=True)

    def on_retry(error: Exception, attempt: int, delay: float) -> None:
        err.print(f"Twilio did not answer cleanly ({error}); retry {attempt} in {delay:.1f} s")

    async def run() -> list[SentPart]:
        async with TwilioClient(
            twilio.account_sid,
            twilio.auth_token,
            base_url=twilio.api_base_url,
            on_retry=on_retry,
        ) as client:
            return await send_plan(client, twilio, recipient, plan)

    try:
        sent = asyncio.run(run())
    except SendError as failure:
        _render_failure(env, plan, recipient, failure, json_output)
        return ExitStatus.ERROR
    _render(env, plan, recipient, sent=sent, json_output=json_output)
    return ExitStatus.SUCCESS


def _part_json(plan: SmsPlan, sent: list[SentPart] | None) -> list[dict[str, Any]]:
    rows = []
    for i, part in enumerate(plan.parts):
        row: dict[str, Any] = {
            "index": part.index,
            "total": part.total,
            "encoding": str(part.encoding.value),
            "segments": part.segments,
            "characters": len(part.body),
            "body": part.body,
        }
        if sent is not None and i < len(sent):
            row["sid"] = sent[i].sid
            row["status"] = sent[i].status
        rows.append(row)
    return rows


def _render(
    env: Environment,
    plan: SmsPlan,
    recipient: str | None,
    *,
    sent: list[SentPart] | None,
    json_output: bool,
) -> None:
    from hermes_sms.phone import redact

    if json_output:
        document = {
            "ok": True,
            "dry_run": sent is None,
            "to": recipient,
            "total_segments": plan.total_segments,
            "parts": _part_json(plan, sent),
        }
        env.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return

    from rich.table import Table

    console = env.console()
    who = redact(recipient) if recipient else "(no recipient)"
    if sent is None:
        console.print(
            f"Dry run: {len(plan.parts)} part(s), {plan.total_segments} segment(s) to {who}"
        )
        for part in plan.parts:
            console.rule(
                f"part {part.index}/{part.total} · {part.encoding.value} · "
                f"{part.segments} segment(s) · {len(part.body)} characters"
            )
            console.print(part.body, markup=False)
        return
    table = Table("Part", "Twilio SID", "Encoding", "Segments")
    for item in sent:
        table.add_row(
            f"{item.part.index}/{item.part.total}",
            item.sid,
            item.part.encoding.value,
            str(item.part.segments),
        )
    console.print(table)
    console.print(f"Sent {len(sent)} part(s), {plan.total_segments} segment(s) to {who}.")


def _render_failure(
    env: Environment, plan: SmsPlan, recipient: str, failure: Any, json_output: bool
) -> None:
    error = failure.error
    if json_output:
        document = {
            "ok": False,
            "dry_run": False,
            "to": recipient,
            "error": {
                "part": failure.part.index,
                "status": error.status,
                "code": error.code,
                "message": error.message,
                "explanation": error.explanation,
                "more_info": error.more_info,
                # True: an attempt may have reached Twilio unanswered; check before resending.
                "in_doubt": error.in_doubt,
            },
            "parts": _part_json(plan, failure.sent),
        }
        env.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    from hermes_sms.phone import redact_text

    err = env.console(stderr=True)
    # Twilio's texts quote numbers in full ("The number +1555… is unverified"); the terminal
    # shows them as the rest of the output does.
    if error.status is not None:
        template = messages.SEND_FAILED
    elif error.in_doubt:
        template = messages.SEND_NO_ANSWER_IN_DOUBT
    else:
        template = messages.SEND_NO_ANSWER
    err.print(
        redact_text(
            template.format(index=failure.part.index, total=failure.part.total, error=error)
        ),
        markup=False,
    )
    if error.in_doubt:
        err.print(messages.SEND_IN_DOUBT.format(index=failure.part.index), markup=False)
    if failure.sent:
        err.print(messages.SEND_PARTIAL.format(sent=len(failure.sent)), markup=False)
