"""`hermes-sms setup --non-interactive` (also used when standard input is not a terminal):
flags and environment in, checks, file out. Never prompts.

Missing or unusable values fail before anything is checked or written (exit 2): so do an
unusable TWILIO_API_BASE_URL and --configure-webhook with a URL Twilio cannot reach. Credentials
Twilio rejects or cannot check fail before writing (exit 1), a failed webhook update fails
after writing (exit 1, and the output says the file was saved).
"""

from __future__ import annotations

from hermes_sms import messages
from hermes_sms.cli.errors import CliError
from hermes_sms.cli.exit_status import ExitStatus
from hermes_sms.cli.setup.common import (
    Plan,
    SetupContext,
    report_agent,
    report_credentials,
    show_summary,
    warn_about_port,
)
from hermes_sms.masking import display_url
from hermes_sms.setup_wizard import fields as f
from hermes_sms.setup_wizard.checks import (
    CredentialStatus,
    check_agent,
    check_credentials,
    find_number,
    webhook_is_set,
)
from hermes_sms.setup_wizard.twilio_api import webhook_refusal
from hermes_sms.setup_wizard.values import missing_line, resolve


def run_batch(ctx: SetupContext, *, tty_hint: bool) -> Plan:
    """Resolve, check and summarise; `tty_hint` adds "run it in a terminal" to a missing list
    (when prompting was ruled out by the lack of a terminal rather than by the flag)."""
    resolved = resolve(ctx.given, ctx.existing)
    problems: list[str] = []
    if resolved.missing:
        lines = [missing_line(spec) for spec in resolved.missing]
        text = messages.setup_problems(messages.SETUP_MISSING, lines)
        if tty_hint:
            text += "\n" + messages.SETUP_NO_TTY_HINT
        problems.append(text)
    if resolved.problems:
        problems.append(messages.setup_problems(messages.SETUP_INVALID, resolved.problems))
    base_url_message = ctx.base_url_message()
    if base_url_message:
        problems.append(base_url_message)
    home_problem = ctx.home_problem()
    if home_problem:
        problems.append(home_problem)
    url = resolved.values.get(f.WEBHOOK_URL.name)
    if ctx.configure_webhook and not url:
        problems.append(messages.SETUP_WEBHOOK_NEEDS_URL)
    refused = ctx.webhook_refusal(url) if ctx.configure_webhook and url else None
    if refused:
        # Known without asking Twilio: stop before any request, as `doctor --fix` does.
        problems.append(messages.SETUP_WEBHOOK_REFUSED.format(reason=refused))
    if problems:
        raise CliError("\n".join(problems), ExitStatus.USAGE)

    values = resolved.values
    plan = Plan(values=values, point_webhook=ctx.configure_webhook)
    report = ctx.report
    warn_about_port(ctx, int(values[f.WEBHOOK_PORT.name]))
    if values.get(f.ALLOW_ALL_USERS.name) == "true":
        report.warn(messages.SETUP_ALLOW_ALL_WARNING.format(number=values[f.PHONE_NUMBER.name]))
    if not ctx.verify:
        report.info(messages.SETUP_NOT_VERIFIED)
    else:
        _verify(ctx, plan)
    show_summary(ctx, values)
    return plan


def _verify(ctx: SetupContext, plan: Plan) -> None:
    values = plan.values
    report = ctx.report
    check = report.spin(
        messages.SETUP_CHECKING_TWILIO,
        check_credentials(
            values[f.ACCOUNT_SID.name], values[f.AUTH_TOKEN.name], base_url=ctx.base_url
        ),
    )
    report_credentials(ctx, check)
    if check.status is CredentialStatus.REJECTED:
        raise CliError(messages.SETUP_NOTHING_WRITTEN, ExitStatus.ERROR)
    if check.status is not CredentialStatus.OK:
        raise CliError(
            messages.SETUP_USE_NO_VERIFY + " " + messages.SETUP_NOTHING_WRITTEN, ExitStatus.ERROR
        )
    number = values[f.PHONE_NUMBER.name]
    found = find_number(check.numbers, number)
    if found is None and not check.numbers_error:
        if plan.point_webhook:
            # The update could only fail: stop before writing a half-done setup.
            raise CliError(
                messages.SETUP_WEBHOOK_NOT_FOUND.format(number=number)
                + " "
                + messages.SETUP_NOTHING_WRITTEN,
                ExitStatus.ERROR,
            )
        report.warn(messages.SETUP_NUMBER_NOT_IN_ACCOUNT.format(number=number))
    url = values.get(f.WEBHOOK_URL.name)
    if found is not None and url:
        if webhook_is_set(found, url):
            # Already right: say so rather than updating it again.
            report.ok(messages.SETUP_WEBHOOK_ALREADY.format(url=display_url(url)))
            plan.point_webhook = False
        elif not plan.point_webhook:
            current = display_url(found.sms_url) if found.sms_url else messages.SETUP_WEBHOOK_UNSET
            report.info(messages.SETUP_WEBHOOK_CURRENT.format(number=number, current=current))
            report.info(webhook_flag_advice(ctx.base_url, url))
    result = report.spin(
        messages.SETUP_CHECKING_AGENT,
        check_agent(
            values[f.AGENT_URL.name],
            values[f.AGENT_MODEL.name],
            values.get(f.AGENT_API_KEY.name),
        ),
    )
    report_agent(ctx, result)


def webhook_flag_advice(api_base_url: str, url: str) -> str:
    """What to say when the number's webhook is not `url` and --configure-webhook was not
    given: suggest the flag, unless the flag would be refused (a local URL against the real
    Twilio), when it says why the number is left alone instead."""
    refused = webhook_refusal(api_base_url, url)
    if refused:
        return messages.SETUP_WEBHOOK_LEFT_ALONE.format(reason=refused)
    return messages.SETUP_WEBHOOK_USE_FLAG.format(url=display_url(url))
