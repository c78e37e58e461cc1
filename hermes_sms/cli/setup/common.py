"""What the wizard and the non-interactive run share: their inputs, the credential report,
saving the file and pointing the number's webhook."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hermes_sms import messages
from hermes_sms.cli.environment import Environment
from hermes_sms.cli.errors import CliError
from hermes_sms.cli.exit_status import ExitStatus
from hermes_sms.cli.setup.output import Reporter
from hermes_sms.home import PrivateDirError, private_dir_problem
from hermes_sms.masking import display_url, display_urls_in
from hermes_sms.ports import PortState, bind_check
from hermes_sms.setup_wizard import fields as f
from hermes_sms.setup_wizard.checks import (
    CredentialCheck,
    CredentialStatus,
    set_sms_webhook,
)
from hermes_sms.setup_wizard.envfile import WriteResult, read_file_values, write_env_file
from hermes_sms.setup_wizard.twilio_api import webhook_refusal
from hermes_sms.setup_wizard.values import env_updates, summary_rows

if TYPE_CHECKING:
    from hermes_sms.agent import AgentCheck


@dataclass
class SetupContext:
    env: Environment
    report: Reporter
    # Flag values by variable name; None when the flag was not given.
    given: dict[str, str | None]
    # The current configuration: the .env file overlaid by the environment.
    existing: dict[str, str]
    env_file: Path
    # TWILIO_API_BASE_URL, and the configuration's sentences about it when it is unusable.
    base_url: str
    base_url_problems: list[str]
    verify: bool
    configure_webhook: bool

    @property
    def bind_host(self) -> str:
        return self.existing.get("SMS_WEBHOOK_HOST") or "0.0.0.0"

    def default(self, spec: f.Field) -> str:
        """The value to offer for `spec`: its flag, else the current value, else the default."""
        given = self.given.get(spec.name)
        if given is not None:
            return given.strip()
        return self.existing.get(spec.name) or spec.default or ""

    def from_environment(self, spec: f.Field) -> bool:
        """True when `default(spec)` is the process environment's value (no flag for it):
        then it is not the file's, and it will keep winning over the file."""
        shell = (self.env.environ.get(spec.name) or "").strip()
        return self.given.get(spec.name) is None and bool(shell)

    def home_problem(self) -> str | None:
        """Why the file's folder cannot be used (shared, someone else's, not a folder), known
        before asking anything; None when it can (or will be created)."""
        problem = private_dir_problem(self.env_file.parent)
        return problem + "." if problem else None

    def base_url_message(self) -> str | None:
        """Why setup cannot talk to TWILIO_API_BASE_URL, in the configuration's words."""
        if not self.base_url_problems:
            return None
        return (
            messages.config_problems(self.base_url_problems)
            + "\n"
            + messages.SETUP_BASE_URL_HINT.format(env_file=self.env_file)
        )

    def webhook_refusal(self, url: str) -> str | None:
        """Why the number must not be pointed at `url` (the rule of `doctor --fix`)."""
        return webhook_refusal(self.base_url, url)


@dataclass
class Plan:
    """What to do once the user agrees: the values to write, and whether to then point the
    number's webhook at the URL (done after saving, so a cancelled run changes nothing)."""

    values: dict[str, str] = field(default_factory=dict)
    point_webhook: bool = False


def report_credentials(ctx: SetupContext, check: CredentialCheck) -> None:
    report = ctx.report
    if check.status is CredentialStatus.OK and check.account is not None:
        account = check.account
        report.ok(
            messages.SETUP_CREDENTIALS_OK.format(
                name=account.friendly_name or account.sid, type=account.type or "unknown type"
            )
        )
        if account.is_trial:
            report.warn(messages.SETUP_TRIAL_NOTE)
        if not account.is_active:
            report.warn(messages.SETUP_INACTIVE_NOTE.format(status=account.status or "inactive"))
    elif check.status is CredentialStatus.REJECTED:
        report.warn(messages.SETUP_CREDENTIALS_REJECTED)
    elif check.status is CredentialStatus.UNREACHABLE:
        report.warn(messages.SETUP_TWILIO_UNREACHABLE.format(error=display_urls_in(check.message)))
    else:
        report.warn(messages.SETUP_TWILIO_FAILED.format(error=check.message))


def warn_about_port(ctx: SetupContext, port: int) -> None:
    """Only a warning: the port may be busy because the gateway itself is running."""
    state = bind_check(ctx.bind_host, port).state
    if state is PortState.IN_USE:
        ctx.report.warn(messages.SETUP_PORT_BUSY.format(port=port))
    elif state is PortState.NO_PERMISSION:
        ctx.report.warn(messages.SETUP_PORT_FORBIDDEN.format(port=port))


def report_agent(ctx: SetupContext, result: AgentCheck) -> None:
    if not result.ok:
        ctx.report.warn(messages.SETUP_AGENT_PROBLEM.format(message=result.message))
    elif result.model_listed or not result.models:
        ctx.report.ok(messages.SETUP_AGENT_OK.format(message=result.message))
    else:
        # It answers but does not list the model: worth a look, not a failure.
        ctx.report.warn(messages.SETUP_AGENT_OK.format(message=result.message))


def show_summary(ctx: SetupContext, values: dict[str, str]) -> None:
    ctx.report.blank()
    ctx.report.summary(summary_rows(values, read_file_values(ctx.env_file)), ctx.env_file)


def save(ctx: SetupContext, values: dict[str, str]) -> WriteResult:
    """Write the file and say what happened, including anything that will shadow it."""
    try:
        result = write_env_file(ctx.env_file, env_updates(values))
    except PrivateDirError as exc:
        # A refusal with its reason (a shared folder, someone else's), not a failed write.
        raise CliError(f"{exc}.", ExitStatus.USAGE) from None
    except OSError as exc:
        raise CliError(
            messages.SETUP_WRITE_FAILED.format(
                env_file=ctx.env_file, error=exc.strerror or exc.__class__.__name__
            ),
            ExitStatus.ERROR,
        ) from None
    report = ctx.report
    for path, old, new in result.tightened:
        report.warn(messages.SETUP_TIGHTENED.format(path=path, old=old, new=new))
    if result.changes:
        report.ok(messages.SETUP_SAVED.format(env_file=ctx.env_file))
        if result.backup is not None:
            report.info(messages.SETUP_BACKUP.format(backup=result.backup))
    else:
        report.ok(messages.SETUP_UNCHANGED.format(env_file=ctx.env_file))
    for spec in f.FIELDS:
        shadow = (ctx.env.environ.get(spec.name) or "").strip()
        if shadow and shadow != values.get(spec.name):
            report.warn(messages.SETUP_ENV_OVERRIDES.format(name=spec.name))
    return result


def point_webhook(ctx: SetupContext, values: dict[str, str]) -> bool:
    """Set the number's incoming-message webhook to the saved URL; False when it failed."""
    from hermes_sms.twilio.errors import TwilioError

    number = values[f.PHONE_NUMBER.name]
    url = values[f.WEBHOOK_URL.name]
    work = set_sms_webhook(
        values[f.ACCOUNT_SID.name],
        values[f.AUTH_TOKEN.name],
        base_url=ctx.base_url,
        phone_number=number,
        url=url,
    )
    try:
        ctx.report.spin(messages.SETUP_UPDATING_WEBHOOK.format(number=number), work)
    except LookupError:
        ctx.report.warn(messages.SETUP_WEBHOOK_NOT_FOUND.format(number=number))
        return False
    except TwilioError as exc:
        ctx.report.warn(messages.SETUP_WEBHOOK_FAILED.format(number=number, error=exc))
        return False
    ctx.report.ok(messages.SETUP_WEBHOOK_DONE.format(number=number, url=display_url(url)))
    return True
