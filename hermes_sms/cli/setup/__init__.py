"""`hermes-sms setup`: write a working `$HERMES_HOME/.env`, guided or from flags.

Only Typer is imported at module level: questionary, rich and aiohttp load when the command
runs, so `hermes-sms --help` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from hermes_sms.cli.environment import Environment
from hermes_sms.cli.errors import CliError
from hermes_sms.cli.exit_status import ExitStatus

if TYPE_CHECKING:
    from hermes_sms.cli.setup.common import SetupContext

HELP = """Create or change the configuration in $HERMES_HOME/.env.

In a terminal, asks for each value (the current ones are the defaults, so a re-run changes
just what you change), checks the Twilio credentials and the agent live, shows a summary and
writes the file (mode 0600; the previous one is kept as .env.bak). Esc or Ctrl-C stops
without writing.

With --non-interactive, or when standard input is not a terminal, nothing is asked: values
come from the flags, then the environment, then the existing file.

Exit status: 0 saved; 1 Twilio rejected or could not check the credentials, or the webhook
update failed; 2 missing or unusable values (TWILIO_API_BASE_URL included, or a webhook URL
Twilio cannot reach with --configure-webhook); 130 cancelled.
"""


def setup_command(
    ctx: typer.Context,
    account_sid: str | None = typer.Option(
        None, "--account-sid", metavar="SID", help="Twilio Account SID (AC + 32 hex characters)."
    ),
    auth_token: str | None = typer.Option(
        None,
        "--auth-token",
        metavar="TOKEN",
        help="Twilio Auth Token. Prefer TWILIO_AUTH_TOKEN in the environment: "
        "command lines are visible to other users and kept in shell history.",
    ),
    phone_number: str | None = typer.Option(
        None, "--phone-number", metavar="NUMBER", help="The Twilio number to answer from, E.164."
    ),
    messaging_service_sid: str | None = typer.Option(
        None,
        "--messaging-service-sid",
        metavar="SID",
        help="Messaging Service SID (MG…), for A2P 10DLC.",
    ),
    allowed_users: str | None = typer.Option(
        None,
        "--allowed-users",
        metavar="NUMBERS",
        help="Numbers allowed to chat, comma-separated E.164.",
    ),
    allow_all_users: bool | None = typer.Option(
        None,
        "--allow-all-users/--no-allow-all-users",
        help="Answer anyone who texts the number (SMS_ALLOW_ALL_USERS).",
    ),
    home_channel: str | None = typer.Option(
        None,
        "--home-channel",
        metavar="NUMBER",
        help="Default recipient of `send`; default the first allowed user.",
    ),
    port: str | None = typer.Option(
        None,
        "--port",
        metavar="PORT",
        help="Port the gateway listens on (SMS_WEBHOOK_PORT), default 8080.",
    ),
    webhook_url: str | None = typer.Option(
        None,
        "--webhook-url",
        metavar="URL",
        help="Public https URL of the gateway (SMS_WEBHOOK_URL).",
    ),
    agent_url: str | None = typer.Option(
        None, "--agent-url", metavar="URL", help="OpenAI-compatible agent URL (SMS_AGENT_URL)."
    ),
    agent_model: str | None = typer.Option(
        None, "--agent-model", metavar="MODEL", help="Model name to ask for (SMS_AGENT_MODEL)."
    ),
    agent_api_key: str | None = typer.Option(
        None,
        "--agent-api-key",
        metavar="KEY",
        help="Agent API key (SMS_AGENT_API_KEY); prefer the environment variable.",
    ),
    non_interactive: bool = typer.Option(
        False, "--non-interactive", help="Never prompt; fail listing missing values (exit 2)."
    ),
    no_verify: bool = typer.Option(
        False, "--no-verify", help="Skip the live checks of Twilio and the agent."
    ),
    configure_webhook: bool = typer.Option(
        False,
        "--configure-webhook",
        help="Point the number's incoming-message webhook at --webhook-url without asking.",
    ),
) -> int:
    from hermes_sms import messages
    from hermes_sms.setup_wizard import fields as f

    env: Environment = ctx.obj if isinstance(ctx.obj, Environment) else Environment()
    given: dict[str, str | None] = {
        f.ACCOUNT_SID.name: account_sid,
        f.AUTH_TOKEN.name: auth_token,
        f.PHONE_NUMBER.name: phone_number,
        f.MESSAGING_SERVICE_SID.name: messaging_service_sid,
        f.ALLOWED_USERS.name: allowed_users,
        f.ALLOW_ALL_USERS.name: None if allow_all_users is None else str(allow_all_users).lower(),
        f.HOME_CHANNEL.name: home_channel,
        f.WEBHOOK_PORT.name: port,
        f.WEBHOOK_URL.name: webhook_url,
        f.AGENT_URL.name: agent_url,
        f.AGENT_MODEL.name: agent_model,
        f.AGENT_API_KEY.name: agent_api_key,
    }
    interactive = not non_interactive and bool(env.stdin_isatty)
    context = _context(
        env, given, interactive, verify=not no_verify, configure_webhook=configure_webhook
    )
    try:
        if interactive:
            from hermes_sms.cli.setup.interactive import run_wizard

            plan = run_wizard(context)
        else:
            from hermes_sms.cli.setup.batch import run_batch

            plan = run_batch(context, tty_hint=not non_interactive)
    except (KeyboardInterrupt, EOFError):
        raise CliError(messages.SETUP_CANCELLED, ExitStatus.CANCELLED) from None

    from hermes_sms.cli.setup.common import point_webhook, save

    save(context, plan.values)
    if plan.point_webhook:
        try:
            pointed = point_webhook(context, plan.values)
        except KeyboardInterrupt:
            raise CliError(messages.SETUP_WEBHOOK_INTERRUPTED, ExitStatus.CANCELLED) from None
        if not pointed:
            raise CliError(messages.SETUP_WEBHOOK_SAVED_ANYWAY, ExitStatus.ERROR)
    context.report.info(messages.SETUP_NEXT)
    return ExitStatus.SUCCESS


def _context(
    env: Environment,
    given: dict[str, str | None],
    interactive: bool,
    *,
    verify: bool,
    configure_webhook: bool,
) -> SetupContext:
    from hermes_sms.cli.setup.common import SetupContext
    from hermes_sms.cli.setup.output import Reporter
    from hermes_sms.home import env_file
    from hermes_sms.setup_wizard.twilio_api import base_url, base_url_problems
    from hermes_sms.setup_wizard.values import existing_values

    existing = existing_values(env.environ)
    return SetupContext(
        env=env,
        report=Reporter(env, batch=not interactive),
        given=given,
        existing=existing,
        env_file=env_file(env.environ),
        # TWILIO_API_BASE_URL is for tests and the emulator; it is read, never written.
        base_url=base_url(existing),
        base_url_problems=base_url_problems(existing),
        verify=verify,
        configure_webhook=configure_webhook,
    )
