"""Twilio account and Phone number sections: what Twilio itself says about our credentials
and number, through the REST API (one attempt per call, short timeouts)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from hermes_sms.config import TwilioConfig
from hermes_sms.doctor import hints
from hermes_sms.doctor.catalog import failed, passed, skipped, warned
from hermes_sms.doctor.config_checks import TWILIO_VARIABLES
from hermes_sms.doctor.delivery_checks import PAGE_SIZE, check_delivery
from hermes_sms.doctor.loading import Loaded
from hermes_sms.doctor.masking import mask
from hermes_sms.doctor.probes import probe_session
from hermes_sms.doctor.result import CheckResult
from hermes_sms.doctor.urls import host_of, private_host_reason
from hermes_sms.masking import display_url
from hermes_sms.phone import redact, redact_text
from hermes_sms.twilio.errors import TwilioError

if TYPE_CHECKING:
    from aiohttp import ClientSession

    from hermes_sms.twilio.client import IncomingNumber, MessageRecord, TwilioClient

Emit = Callable[[CheckResult], None]
T = TypeVar("T")

ACCOUNT_CHECKS = ("twilio.credentials", "twilio.account_status", "twilio.account_type")
NUMBER_CHECKS = ("number.owned", "number.sms_capable", "number.webhook_url", "number.delivery")
# The checks that need the number looked up; number.delivery reads the message log instead.
_LOOKUP_CHECKS = NUMBER_CHECKS[:3]
WEBHOOK_METHOD = "POST"


@dataclass(frozen=True)
class WebhookFix:
    """What `--fix` would change: the number's "A message comes in" URL and method."""

    number_sid: str
    phone_number: str
    current_url: str | None
    current_method: str | None
    wanted_url: str
    # Why --fix must not make this change (see `refusal`), None when it may.
    refused: str | None = None

    def question(self) -> str:
        # Asked outside the report, so the final scrub never sees it: mask the URLs here.
        return (
            f"Set 'A message comes in' of {redact(self.phone_number)} to "
            f"{display_url(self.wanted_url)} (POST)? It is now {_shown(self.current_url)}"
            f" ({self.current_method or 'no method'})."
        )


def _shown(url: str | None) -> str:
    """A URL fit to print (user info as `…`), or `(empty)`."""
    return display_url(url) if url else "(empty)"


def open_client(twilio: TwilioConfig, timeout: float, session: ClientSession) -> TwilioClient:
    """A client on `session` (from `probe_session`, so host names resolve within `timeout`)."""
    # Imported here: aiohttp costs ~100 ms, paid only when the doctor talks to Twilio.
    from hermes_sms.twilio.client import TwilioClient

    # One attempt: a doctor reports a slow or failing API rather than waiting out retries.
    return TwilioClient(
        twilio.account_sid,
        twilio.auth_token,
        base_url=twilio.api_base_url,
        timeout=timeout,
        max_attempts=1,
        session=session,
    )


async def check_twilio(
    loaded: Loaded, timeout: float, emit: Emit, *, offline: bool = False
) -> WebhookFix | None:
    """Emit the account and number checks; return the webhook change `--fix` could make."""
    if offline:
        for check in (*ACCOUNT_CHECKS, *NUMBER_CHECKS):
            emit(skipped(check, "--offline"))
        return None
    settings = loaded.settings
    if settings is None or settings.twilio is None or not loaded.all_ok(*TWILIO_VARIABLES):
        for check in (*ACCOUNT_CHECKS, *NUMBER_CHECKS):
            emit(skipped(check, "the Twilio variables are missing or wrong"))
        return None
    twilio = settings.twilio
    async with probe_session(timeout) as session, open_client(twilio, timeout, session) as client:
        try:
            account = await client.fetch_account()
        except TwilioError as exc:
            emit(_credentials_failure(exc, twilio, str(settings.env_file)))
            for check in (*ACCOUNT_CHECKS[1:], *NUMBER_CHECKS):
                emit(skipped(check, "the credentials check failed"))
            return None
        emit(
            passed(
                "twilio.credentials",
                f"Twilio accepted the credentials for {account.friendly_name or account.sid}",
                detail=f"account {twilio.account_sid}, auth token {mask(twilio.auth_token)}",
            )
        )
        emit(_account_status(account.status))
        emit(_account_type(account.type, account.is_trial))
        # At the same time, so the section stays at two requests in a row (see runner).
        numbers, messages = await asyncio.gather(
            _outcome(client.list_incoming_numbers(twilio.phone_number)),
            _outcome(client.list_messages(from_=twilio.phone_number, page_size=PAGE_SIZE)),
        )
    if isinstance(numbers, TwilioError):
        emit(
            failed(
                "number.owned",
                f"could not list the account's numbers: {redact_text(str(numbers))}",
                "Re-run the doctor; if it persists, check the network and Twilio's status "
                "page (https://status.twilio.com).",
            )
        )
        for check in _LOOKUP_CHECKS[1:]:
            emit(skipped(check, "the number could not be looked up"))
        change = None
    else:
        change = _number_checks(numbers, twilio, loaded, emit)
        if not any(n.phone_number == twilio.phone_number for n in numbers):
            # _number_checks skipped number.delivery too: a number of another account.
            return None
    emit(_delivery(messages, twilio))
    return change


async def _outcome(call: Awaitable[T]) -> T | TwilioError:
    """The call's result, or the TwilioError it raised (one failed lookup spares the other)."""
    try:
        return await call
    except TwilioError as exc:
        return exc


def _delivery(messages: list[MessageRecord] | TwilioError, twilio: TwilioConfig) -> CheckResult:
    if isinstance(messages, TwilioError):
        return warned(
            "number.delivery",
            f"could not list the messages sent from {redact(twilio.phone_number)}: "
            f"{redact_text(str(messages))}",
            f"Re-run the doctor, or look for failed messages in {hints.MESSAGING_LOGS}.",
        )
    return check_delivery(
        messages, twilio.phone_number, via_service=bool(twilio.messaging_service_sid)
    )


def _credentials_failure(exc: TwilioError, twilio: TwilioConfig, env_file: str) -> CheckResult:
    status, code = exc.status, exc.code
    detail = f"account {twilio.account_sid}, auth token {mask(twilio.auth_token)}"
    if code == 20003 or status == 401:
        return failed(
            "twilio.credentials",
            "Twilio rejected the credentials: the auth token is wrong "
            "(or does not belong to TWILIO_ACCOUNT_SID)",
            f"Copy the Account SID and Auth Token from {hints.ACCOUNT_INFO} into "
            f"TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN in {env_file}.",
            detail=detail,
        )
    if status is None:
        return failed(
            "twilio.credentials",
            f"could not reach Twilio: {redact_text(exc.message)}",
            "Check the internet connection (and TWILIO_API_BASE_URL, if set), then re-run.",
            detail=detail,
        )
    if code == 20404 or status == 404:
        return failed(
            "twilio.credentials",
            f"Twilio does not know account {twilio.account_sid}",
            f"Check TWILIO_ACCOUNT_SID against {hints.ACCOUNT_INFO}.",
            detail=detail,
        )
    return failed(
        "twilio.credentials",
        f"Twilio refused the account lookup: {redact_text(str(exc))}",
        f"Check the credentials in {hints.ACCOUNT_INFO}; see the error code's page for more.",
        detail=detail,
    )


def _account_status(status: str) -> CheckResult:
    if status == "active":
        return passed("twilio.account_status", "the account is active")
    return failed(
        "twilio.account_status",
        f"the account is {status or 'not active'}: Twilio neither delivers nor sends messages",
        f"Reactivate the account or settle its balance in {hints.BILLING}.",
    )


def _account_type(kind: str, is_trial: bool) -> CheckResult:
    if is_trial:
        return warned(
            "twilio.account_type",
            "trial account: replies reach verified numbers only, and start with a trial notice",
            f"Verify each allowed number in {hints.VERIFIED_CALLER_IDS}, or upgrade the account "
            f"in {hints.BILLING}.",
        )
    return passed("twilio.account_type", f"{(kind or 'full').lower()} account (no trial limits)")


def _number_checks(
    numbers: list[IncomingNumber], twilio: TwilioConfig, loaded: Loaded, emit: Emit
) -> WebhookFix | None:
    shown = redact(twilio.phone_number)
    number = next((n for n in numbers if n.phone_number == twilio.phone_number), None)
    if number is None:
        emit(
            failed(
                "number.owned",
                f"TWILIO_PHONE_NUMBER {shown} is not a number of account {twilio.account_sid}",
                f"Set TWILIO_PHONE_NUMBER to one of the numbers in {hints.ACTIVE_NUMBERS}, "
                "or buy one there.",
            )
        )
        for check in NUMBER_CHECKS[1:]:
            emit(skipped(check, "the number is not in this account"))
        return None
    emit(passed("number.owned", f"{shown} belongs to this account"))
    if number.sms_capable:
        emit(passed("number.sms_capable", f"{shown} can send and receive SMS"))
    else:
        emit(
            failed(
                "number.sms_capable",
                f"{shown} cannot send or receive SMS (voice-only number)",
                f"Buy an SMS-capable number in {hints.ACTIVE_NUMBERS} and set "
                "TWILIO_PHONE_NUMBER to it.",
            )
        )
    return _webhook_url(number, twilio, loaded, emit)


def _webhook_url(
    number: IncomingNumber, twilio: TwilioConfig, loaded: Loaded, emit: Emit
) -> WebhookFix | None:
    check = "number.webhook_url"
    settings = loaded.settings
    assert settings is not None
    current = number.sms_url or None
    # No method recorded means Twilio's default, POST (as setup's webhook_is_set reads it).
    method = (number.sms_method or WEBHOOK_METHOD).upper()
    if "SMS_WEBHOOK_URL" in loaded.problems or not settings.webhook_url:
        emit(
            skipped(
                check,
                f"not compared: SMS_WEBHOOK_URL is not usable (see Webhook below); the number's "
                f"'A message comes in' is {_shown(current)}",
            )
        )
        return None
    wanted = settings.webhook_url
    detail = (
        f"number's 'A message comes in': {_shown(current)} ({method or 'no method'})\n"
        f"SMS_WEBHOOK_URL:              {display_url(wanted)} (POST)"
    )
    if twilio.messaging_service_sid:
        detail += (
            "\nTWILIO_MESSAGING_SERVICE_SID is set: if that service's Integration is not "
            "'Defer to sender's webhook', Twilio uses the service's URL instead."
        )
    if current == wanted and method == WEBHOOK_METHOD:
        emit(passed(check, "'A message comes in' is SMS_WEBHOOK_URL (POST)", detail=detail))
        return None
    if current is None:
        message = "'A message comes in' is empty: Twilio has nowhere to deliver messages"
    elif current != wanted:
        message = (
            f"'A message comes in' is {display_url(current)}, "
            f"but SMS_WEBHOOK_URL is {display_url(wanted)}"
        )
    else:
        message = f"'A message comes in' uses HTTP {method}; the gateway accepts POST only"
    refused = refusal(twilio, wanted)
    if refused is None:
        fix = (
            f"Run `{hints.RUN_FIX}`, or in {hints.ACTIVE_NUMBERS} → {redact(number.phone_number)}"
            f" → Messaging configuration set 'A message comes in' to Webhook "
            f"{display_url(wanted)}, HTTP POST."
        )
    else:
        # Not `--fix`: it would point a working number at an address Twilio cannot reach.
        fix = (
            f"{refused}. Set SMS_WEBHOOK_URL to the public https URL of your tunnel or server "
            "first (see Webhook below); then the doctor can update the number."
        )
    emit(failed(check, message, fix, detail=detail))
    return WebhookFix(number.sid, number.phone_number, current, method, wanted, refused)


def refusal(twilio: TwilioConfig, wanted_url: str) -> str | None:
    """Why the number must not be pointed at `wanted_url`, or None when it may.

    Real Twilio, on the internet, cannot reach a local or private address: pointing the
    number there would stop every incoming message. A local Twilio emulator (an API base URL
    on this machine or a private network, as in tests and the demo) can, so it is allowed.
    """
    unreachable = private_host_reason(host_of(wanted_url))
    if unreachable is None or private_host_reason(host_of(twilio.api_base_url)) is not None:
        return None
    return f"SMS_WEBHOOK_URL {display_url(wanted_url)} cannot be reached by Twilio: {unreachable}"


async def apply_webhook_fix(
    twilio: TwilioConfig, change: WebhookFix, timeout: float
) -> CheckResult:
    """Point the number at SMS_WEBHOOK_URL (POST) and report the new state."""
    check = "number.webhook_url"
    try:
        async with (
            probe_session(timeout) as session,
            open_client(twilio, timeout, session) as client,
        ):
            updated = await client.update_sms_webhook(
                change.number_sid, change.wanted_url, WEBHOOK_METHOD
            )
    except TwilioError as exc:
        return failed(
            check,
            f"--fix could not update the number: {redact_text(str(exc))}",
            f"Set it by hand in {hints.ACTIVE_NUMBERS}: 'A message comes in' → Webhook "
            f"{display_url(change.wanted_url)}, HTTP POST.",
        )
    if updated.sms_url != change.wanted_url or (updated.sms_method or "").upper() != WEBHOOK_METHOD:
        return failed(
            check,
            f"--fix sent the change, but Twilio now reports {_shown(updated.sms_url)} "
            f"({updated.sms_method or 'no method'})",
            f"Set it by hand in {hints.ACTIVE_NUMBERS}.",
        )
    return passed(
        check,
        "fixed: 'A message comes in' is now SMS_WEBHOOK_URL (POST)",
        detail=f"was {_shown(change.current_url)} ({change.current_method or 'no method'})",
    )
