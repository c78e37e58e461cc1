"""`hermes-sms gateway`: run the webhook server in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from hermes_sms.cli.environment import Environment
from hermes_sms.cli.errors import CliError
from hermes_sms.cli.exit_status import ExitStatus

if TYPE_CHECKING:
    import logging

    from hermes_sms.config import Settings

HELP = """Run the SMS gateway in the foreground.

Receives Twilio webhooks at POST /webhooks/twilio (port SMS_WEBHOOK_PORT, default 8080),
answers allowed senders with the AI agent's reply, and prints one line per event.
Stop it with Ctrl-C: running turns finish, the rest is kept for the next start.
"""


def gateway_command(
    ctx: typer.Context,
    port: int | None = typer.Option(None, "--port", help="Listen port; default SMS_WEBHOOK_PORT."),
    host: str | None = typer.Option(
        None, "--host", help="Listen address; default SMS_WEBHOOK_HOST."
    ),
) -> int:
    import asyncio

    from hermes_sms.config import load_settings
    from hermes_sms.logs import configure_logging, skip_unused_record_fields

    env: Environment = ctx.obj if isinstance(ctx.obj, Environment) else Environment()
    if host is not None:
        host = _listen_host_option(host)
    if port is not None:
        port = _port_option(port)
    settings = load_settings(env.environ)
    twilio = settings.require_twilio()
    secrets = [twilio.auth_token, settings.agent.api_key or ""]
    log = configure_logging(env.stdout, secrets=secrets)
    skip_unused_record_fields()
    asyncio.run(_serve(settings, log, host, port))
    return ExitStatus.SUCCESS


def _listen_host_option(raw: str) -> str:
    """`--host` checked as SMS_WEBHOOK_HOST is, with the same message naming the option."""
    from hermes_sms.config import LISTEN_HOST_EXPECTED, bad_value, parse_listen_host

    try:
        return parse_listen_host(raw)
    except ValueError as exc:
        raise CliError(
            bad_value("--host", raw, LISTEN_HOST_EXPECTED, exc), ExitStatus.USAGE
        ) from None


def _port_option(port: int) -> int:
    """`--port` checked as SMS_WEBHOOK_PORT is: 1-65535 (0 would listen on a random port that
    Twilio's webhook cannot name)."""
    from hermes_sms.config import PORT_EXPECTED, bad_value, parse_port

    try:
        return parse_port(str(port))
    except ValueError as exc:
        raise CliError(
            bad_value("--port", str(port), PORT_EXPECTED, exc), ExitStatus.USAGE
        ) from None


def _warnings(settings: Settings) -> list[str]:
    notes = []
    if settings.insecure_no_signature:
        notes.append(
            "WARNING: SMS_INSECURE_NO_SIGNATURE=true: webhook signatures are NOT checked; "
            "anyone who finds this URL can make the agent answer. Local development only."
        )
    if settings.allow_all_users:
        notes.append(
            "WARNING: SMS_ALLOW_ALL_USERS=true: anyone who texts this number reaches the agent "
            "(and you pay for every reply)."
        )
    elif not settings.allowed_users:
        notes.append(
            "nobody is allowed to chat yet: set SMS_ALLOWED_USERS to the numbers to answer."
        )
    if not settings.webhook_url:
        notes.append(
            "SMS_WEBHOOK_URL is not set: signatures are checked against the URL each request "
            "names, and delivery status callbacks are off."
        )
    else:
        from urllib.parse import urlsplit

        from hermes_sms.gateway.paths import WEBHOOK_PATH

        # A tunnel's bare URL is the usual slip: Twilio would post to "/" and get a 404.
        if not urlsplit(settings.webhook_url).path.rstrip("/").endswith(WEBHOOK_PATH):
            notes.append(
                f"SMS_WEBHOOK_URL does not end in {WEBHOOK_PATH}, where the gateway listens: "
                "Twilio's requests will not reach it unless a proxy rewrites the path."
            )
    return notes


async def _serve(
    settings: Settings, log: logging.Logger, host: str | None, port: int | None
) -> None:
    import asyncio
    import signal

    from hermes_sms.gateway.service import Gateway, ListenError
    from hermes_sms.home import PrivateDirError
    from hermes_sms.phone import redact
    from hermes_sms.store import StoreError

    # Handlers first: a signal that arrives as soon as we announce the port must stop us cleanly.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        gateway = Gateway(settings, log=log)
    except StoreError as exc:
        if isinstance(exc.__cause__, PrivateDirError):
            raise CliError(f"{exc}.", ExitStatus.USAGE) from exc  # a refusal, said in full
        raise CliError(f"{exc}. Check that {settings.home} is writable.", ExitStatus.USAGE) from exc
    try:
        listening = await gateway.start(host, port)
    except ListenError as exc:
        await gateway.stop(grace=0)
        raise CliError(str(exc), ExitStatus.USAGE) from exc

    twilio = settings.require_twilio()
    log.info(
        "Twilio webhook server listening on port %d, from: %s",
        listening.port,
        redact(twilio.phone_number),
    )
    if gateway.store.folder_tightened_from is not None:
        log.info(
            "tightened HERMES_HOME %s from %04o to 0700: it holds the auth token and messages",
            settings.home,
            gateway.store.folder_tightened_from,
        )
    if listening.resumed:
        log.info("resuming work left from the last run for %d sender(s)", listening.resumed)
    for note in _warnings(settings):
        log.warning(note)
    log.info("agent: %s", gateway.agent.name)

    try:
        await stop.wait()
    finally:
        log.info("stopping: finishing running turns, keeping the rest queued")
        await gateway.stop()
        log.info("stopped")
