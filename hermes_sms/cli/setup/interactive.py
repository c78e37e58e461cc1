"""The guided run of `hermes-sms setup`: one question per value, checked as it is typed.

The order follows the issue: credentials (checked live), number, who may text, home channel,
webhook, agent. Values come back in a Plan; nothing is written or changed at Twilio until the
user has seen the summary and agreed.
"""

from __future__ import annotations

import contextlib

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
from hermes_sms.cli.setup.prompts import (
    Choice,
    Validate,
    ask_confirm,
    ask_kept_text,
    ask_secret,
    ask_select,
    ask_text,
)
from hermes_sms.masking import display_url, mask_secret
from hermes_sms.setup_wizard import fields as f
from hermes_sms.setup_wizard.checks import (
    CredentialCheck,
    CredentialStatus,
    check_agent,
    check_credentials,
    find_number,
    webhook_is_set,
)
from hermes_sms.setup_wizard.values import apply_home_channel_default, shown_url

_TYPE_NUMBER = "\0type"
_RETRY, _REENTER, _SKIP = "retry", "reenter", "skip"


def validator(spec: f.Field, *, optional: bool = False) -> Validate:
    """A questionary validator from a field's check: True, or the sentence shown under the
    prompt. questionary shows it on one line, cut at the terminal's edge: a check whose full
    sentence would not fit gives a short one (`FieldError.brief`)."""

    def validate(text: str) -> bool | str:
        if not text.strip():
            return True if optional else f"{spec.label} is required."
        try:
            spec.check(text)
        except f.FieldError as exc:
            return exc.brief
        except ValueError as exc:
            return f"{spec.label} {exc}."
        return True

    return validate


def _default(ctx: SetupContext, spec: f.Field) -> str:
    """`ctx.default(spec)`, saying so first when it comes from the process environment: the
    summary would otherwise show it as a change with no word of where it came from."""
    if ctx.from_environment(spec):
        ctx.report.info(messages.SETUP_FROM_ENVIRONMENT.format(name=spec.name))
    return ctx.default(spec)


def _normalised(spec: f.Field, text: str) -> str:
    return spec.check(text) if text.strip() else ""


def _ask_url(ctx: SetupContext, spec: f.Field, message: str, *, optional: bool = False) -> str:
    """The answer for a URL field, as typed (or kept): "" when it was cleared.

    A URL carrying user info (`https://user:pw@host`) is a credential: like a stored token it
    is never put in the editable line, only named masked ("Enter keeps https://…@host").
    """
    current = _default(ctx, spec)
    shown = shown_url(current) if current else current
    if shown == current:
        return ask_text(
            message,
            default=current,
            validate=validator(spec, optional=optional),
            instruction=messages.SETUP_HINT_OPTIONAL if optional else None,
        )
    check = validator(spec, optional=optional)
    typed = ask_kept_text(
        message,
        # None: an `@` that cannot be told apart from user info, so nothing of it is shown.
        kept=shown or "the stored value",
        # A blank answer keeps the stored value: it must pass the check too.
        validate=lambda text: check(text or current),
        optional=optional,
    )
    return current if typed is None else typed


def run_wizard(ctx: SetupContext) -> Plan:
    """Ask for every value; raises KeyboardInterrupt when the user cancels."""
    # Before the first question: every answer would be lost to these.
    base_url_message = ctx.base_url_message()
    if base_url_message:
        raise CliError(base_url_message, ExitStatus.USAGE)  # as `send` would fail
    home_problem = ctx.home_problem()
    if home_problem:
        raise CliError(home_problem, ExitStatus.USAGE)
    report = ctx.report
    report.info(messages.SETUP_INTRO.format(env_file=ctx.env_file))
    report.blank()
    plan = Plan()
    values = plan.values
    sid, token, check = _credentials(ctx)
    values[f.ACCOUNT_SID.name] = sid
    values[f.AUTH_TOKEN.name] = token
    values[f.PHONE_NUMBER.name] = _phone_number(ctx, check)
    _set(values, f.MESSAGING_SERVICE_SID, _messaging_service(ctx))
    _allowed_users(ctx, values)
    _home_channel(ctx, values)
    plan.point_webhook = _webhook(ctx, values, check)
    _agent(ctx, values)
    show_summary(ctx, values)
    if not ask_confirm(messages.SETUP_CONFIRM_WRITE.format(env_file=ctx.env_file)):
        raise KeyboardInterrupt
    return plan


def _set(values: dict[str, str], spec: f.Field, value: str | None) -> None:
    if value:
        values[spec.name] = value
    else:
        values.pop(spec.name, None)


def _credentials(ctx: SetupContext) -> tuple[str, str, CredentialCheck | None]:
    """Ask for the Account SID and Auth Token until Twilio accepts them (or the user goes on
    without checking). The check's result carries the account's numbers for the next step."""
    sid = _default(ctx, f.ACCOUNT_SID)
    kept = _default(ctx, f.AUTH_TOKEN) or None
    while True:
        sid = ask_text(
            messages.SETUP_ASK_ACCOUNT_SID,
            default=sid,
            validate=validator(f.ACCOUNT_SID),
            instruction=messages.SETUP_HINT_ACCOUNT_SID,
            # The one value with a fixed shape: say at once when it stops matching.
            while_typing=True,
        )
        typed = ask_secret(
            messages.SETUP_ASK_AUTH_TOKEN,
            kept=mask_secret(kept) if kept else None,
            validate=validator(f.AUTH_TOKEN),
        )
        token = typed or kept or ""
        if not ctx.verify:
            ctx.report.info(messages.SETUP_NOT_VERIFIED)
            return sid, token, None
        while True:
            check = ctx.report.spin(
                messages.SETUP_CHECKING_TWILIO,
                check_credentials(sid, token, base_url=ctx.base_url),
            )
            report_credentials(ctx, check)
            if check.status is CredentialStatus.OK:
                return sid, token, check
            if check.status is CredentialStatus.REJECTED:
                # A rejected token is never offered again as "Enter keeps".
                kept = None
                break
            action = ask_select(
                messages.SETUP_ASK_UNVERIFIED,
                [
                    Choice(messages.SETUP_CHOICE_RETRY, _RETRY),
                    Choice(messages.SETUP_CHOICE_REENTER, _REENTER),
                    Choice(messages.SETUP_CHOICE_SKIP_CHECK, _SKIP),
                ],
            )
            if action == _SKIP:
                return sid, token, None
            if action == _REENTER:
                kept = token
                break


def _phone_number(ctx: SetupContext, check: CredentialCheck | None) -> str:
    default = _default(ctx, f.PHONE_NUMBER)
    # An unusable stored number is offered as it is; the prompt then says what is wrong.
    with contextlib.suppress(ValueError):
        default = f.check_phone(default) if default else ""
    sms = check.sms_numbers if check is not None else []
    if sms:
        choices = [
            Choice(f"{n.phone_number}  {n.friendly_name}".rstrip(), n.phone_number) for n in sms
        ]
        choices.append(Choice(messages.SETUP_CHOICE_TYPE_NUMBER, _TYPE_NUMBER))
        # A stored number the list lacks stays the default: Enter goes on to the typed
        # answer, pre-filled with it, rather than silently switching to the first number.
        listed = not default or find_number(sms, default) is not None
        picked = ask_select(
            messages.SETUP_ASK_PICK_NUMBER, choices, default=default if listed else _TYPE_NUMBER
        )
        if picked != _TYPE_NUMBER:
            return str(picked)
    elif check is not None:
        ctx.report.warn(
            messages.SETUP_NUMBERS_UNLISTED.format(error=check.numbers_error)
            if check.numbers_error
            else messages.SETUP_NO_SMS_NUMBERS
        )
    number = f.check_phone(
        ask_text(
            messages.SETUP_ASK_PHONE_NUMBER, default=default, validate=validator(f.PHONE_NUMBER)
        )
    )
    if sms and find_number(sms, number) is None:
        ctx.report.warn(messages.SETUP_NUMBER_NOT_IN_ACCOUNT.format(number=number))
    return number


def _messaging_service(ctx: SetupContext) -> str:
    answer = ask_text(
        messages.SETUP_ASK_MESSAGING_SERVICE,
        default=_default(ctx, f.MESSAGING_SERVICE_SID),
        validate=validator(f.MESSAGING_SERVICE_SID, optional=True),
        instruction=messages.SETUP_HINT_OPTIONAL,
    )
    return _normalised(f.MESSAGING_SERVICE_SID, answer)


def _allowed_users(ctx: SetupContext, values: dict[str, str]) -> None:
    current = _default(ctx, f.ALLOWED_USERS)
    answer = ask_text(
        messages.SETUP_ASK_ALLOWED_USERS,
        default=", ".join(n.strip() for n in current.split(",") if n.strip()),
        validate=validator(f.ALLOWED_USERS, optional=True),
        instruction=messages.SETUP_HINT_ALLOWED_USERS,
    )
    allowed = _normalised(f.ALLOWED_USERS, answer)
    _set(values, f.ALLOWED_USERS, allowed)
    if allowed:
        values[f.ALLOW_ALL_USERS.name] = "false"
        return
    try:
        anyone = f.check_boolean(_default(ctx, f.ALLOW_ALL_USERS)) == "true"
    except ValueError:
        anyone = False
    choice = ask_select(
        messages.SETUP_ASK_NOBODY_LISTED,
        [
            Choice(messages.SETUP_CHOICE_DENY_ALL, "false"),
            Choice(messages.SETUP_CHOICE_ALLOW_ALL, "true"),
        ],
        default="true" if anyone else "false",
    )
    values[f.ALLOW_ALL_USERS.name] = str(choice)
    if choice == "true":
        ctx.report.warn(messages.SETUP_ALLOW_ALL_WARNING.format(number=values[f.PHONE_NUMBER.name]))


def _home_channel(ctx: SetupContext, values: dict[str, str]) -> None:
    suggestion = dict(values)
    stored = _default(ctx, f.HOME_CHANNEL)
    if stored:
        suggestion[f.HOME_CHANNEL.name] = stored
    apply_home_channel_default(suggestion)
    answer = ask_text(
        messages.SETUP_ASK_HOME_CHANNEL,
        default=suggestion.get(f.HOME_CHANNEL.name, ""),
        validate=validator(f.HOME_CHANNEL, optional=True),
        instruction=messages.SETUP_HINT_OPTIONAL,
    )
    _set(values, f.HOME_CHANNEL, _normalised(f.HOME_CHANNEL, answer))


def _webhook(ctx: SetupContext, values: dict[str, str], check: CredentialCheck | None) -> bool:
    """Port and public URL; returns whether to point the number's webhook at the URL."""
    port = f.check_port(
        ask_text(
            messages.SETUP_ASK_PORT,
            default=_default(ctx, f.WEBHOOK_PORT),
            validate=validator(f.WEBHOOK_PORT),
        )
    )
    values[f.WEBHOOK_PORT.name] = port
    warn_about_port(ctx, int(port))

    ctx.report.info(messages.SETUP_TUNNEL_HINT.format(port=port))
    answer = _ask_url(ctx, f.WEBHOOK_URL, messages.SETUP_ASK_WEBHOOK_URL, optional=True)
    url = _normalised(f.WEBHOOK_URL, answer)
    _set(values, f.WEBHOOK_URL, url)
    if not url:
        return False
    shown = display_url(url)
    if url != answer.strip():
        ctx.report.info(messages.SETUP_URL_COMPLETED.format(url=shown, path=f.WEBHOOK_PATH))

    number = values[f.PHONE_NUMBER.name]
    found = find_number(check.numbers, number) if check is not None else None
    if found is not None:
        current = display_url(found.sms_url) if found.sms_url else messages.SETUP_WEBHOOK_UNSET
        if found.sms_url and found.sms_method:
            current += f" ({found.sms_method.upper()})"
        ctx.report.info(messages.SETUP_WEBHOOK_CURRENT.format(number=number, current=current))
        if webhook_is_set(found, url):
            ctx.report.ok(messages.SETUP_WEBHOOK_ALREADY.format(url=shown))
            return False
    refused = ctx.webhook_refusal(url)
    if refused:
        # Neither offered nor done, even with --configure-webhook: real Twilio cannot reach the
        # address, so a working number would stop receiving messages (as `doctor --fix` says).
        ctx.report.warn(messages.SETUP_WEBHOOK_LEFT_ALONE.format(reason=refused))
        return False
    if found is None and check is not None and not check.numbers_error:
        # The account's numbers were listed and this is not one of them: an update could
        # only fail after the file is written, so it is not tried (as the batch run refuses).
        if ctx.configure_webhook:
            ctx.report.warn(messages.SETUP_WEBHOOK_NOT_FOUND.format(number=number))
        return False
    if ctx.configure_webhook:
        return True
    if found is None:
        ctx.report.info(messages.SETUP_WEBHOOK_MANUAL.format(number=number, url=shown))
        return False
    return ask_confirm(messages.SETUP_ASK_POINT_WEBHOOK.format(url=shown))


def _agent(ctx: SetupContext, values: dict[str, str]) -> None:
    url = f.check_agent_url(_ask_url(ctx, f.AGENT_URL, messages.SETUP_ASK_AGENT_URL))
    values[f.AGENT_URL.name] = url
    model = f.check_model(
        ask_text(
            messages.SETUP_ASK_AGENT_MODEL,
            default=_default(ctx, f.AGENT_MODEL),
            validate=validator(f.AGENT_MODEL),
        )
    )
    values[f.AGENT_MODEL.name] = model
    stored = _default(ctx, f.AGENT_API_KEY) or None
    typed = ask_secret(
        messages.SETUP_ASK_AGENT_API_KEY,
        kept=mask_secret(stored) if stored else None,
        validate=validator(f.AGENT_API_KEY),
        optional=True,
    )
    key = stored if typed is None else typed
    _set(values, f.AGENT_API_KEY, key)
    shown = display_url(url)
    if ctx.verify and ask_confirm(messages.SETUP_ASK_TEST_AGENT.format(url=shown)):
        result = ctx.report.spin(
            messages.SETUP_CHECKING_AGENT, check_agent(url, model, key or None)
        )
        report_agent(ctx, result)
