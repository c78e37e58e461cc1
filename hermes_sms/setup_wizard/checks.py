"""The live checks of setup: do the credentials work, which numbers does the account have,
where does a number's webhook point, does the agent answer, is the port free.

Each check returns a result instead of raising for the expected failures, so the caller
decides whether to ask again, warn or stop. No message here ever contains a secret: Twilio
errors name the base URL only, agent errors are scrubbed by the agent itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from hermes_sms.masking import has_userinfo

if TYPE_CHECKING:
    from hermes_sms.agent import AgentCheck
    from hermes_sms.twilio.client import Account, IncomingNumber

# A person is waiting at a spinner: fail within seconds rather than after the client's full
# retry schedule.
CHECK_TIMEOUT = 10.0
CHECK_ATTEMPTS = 2
AGENT_CHECK_TIMEOUT = 5.0
# Said instead of crashing: aiohttp refuses a URL with user info next to our Basic auth.
BASE_URL_USERINFO = (
    "TWILIO_API_BASE_URL holds user info (user:password@), which cannot be sent along with "
    "the Account SID and Auth Token: remove it"
)


class CredentialStatus(Enum):
    OK = "ok"
    # Twilio answered 401 / error 20003: the Account SID or the Auth Token is wrong.
    REJECTED = "rejected"
    # No answer at all: offline, DNS, proxy, or a wrong TWILIO_API_BASE_URL.
    UNREACHABLE = "unreachable"
    # Any other error answer (Twilio outage, suspended account, ...).
    FAILED = "failed"


@dataclass(frozen=True)
class CredentialCheck:
    status: CredentialStatus
    message: str = ""
    account: Account | None = None
    # Every number of the account (empty when listing them failed; see `numbers_error`).
    numbers: list[IncomingNumber] = field(default_factory=list)
    numbers_error: str = ""

    @property
    def sms_numbers(self) -> list[IncomingNumber]:
        return [number for number in self.numbers if number.sms_capable]


async def check_credentials(
    account_sid: str, auth_token: str, *, base_url: str, timeout: float = CHECK_TIMEOUT
) -> CredentialCheck:
    """Fetch the account, then list its numbers, with these credentials."""
    from hermes_sms.twilio.client import TwilioClient
    from hermes_sms.twilio.errors import TwilioError

    if has_userinfo(base_url):
        return CredentialCheck(CredentialStatus.UNREACHABLE, BASE_URL_USERINFO)
    async with TwilioClient(
        account_sid,
        auth_token,
        base_url=base_url,
        timeout=timeout,
        max_attempts=CHECK_ATTEMPTS,
        backoff_base=0.2,
        backoff_max=1.0,
    ) as client:
        try:
            account = await client.fetch_account()
        except TwilioError as exc:
            return CredentialCheck(_status_of(exc), str(exc))
        try:
            numbers = await client.list_incoming_numbers()
        except TwilioError as exc:
            # The credentials work; a key without permission to list numbers only means the
            # number has to be typed in.
            return CredentialCheck(CredentialStatus.OK, account=account, numbers_error=str(exc))
    return CredentialCheck(CredentialStatus.OK, account=account, numbers=numbers)


def _status_of(error: Exception) -> CredentialStatus:
    status = getattr(error, "status", None)
    code = getattr(error, "code", None)
    if status == 401 or code == 20003:
        return CredentialStatus.REJECTED
    if status is None:
        return CredentialStatus.UNREACHABLE
    return CredentialStatus.FAILED


def find_number(numbers: Sequence[IncomingNumber], phone_number: str) -> IncomingNumber | None:
    """The account's resource for `phone_number` (E.164), if the account has it."""
    return next((n for n in numbers if n.phone_number == phone_number), None)


def webhook_is_set(number: IncomingNumber, url: str) -> bool:
    """True when the number already sends incoming messages to `url` with POST."""
    return number.sms_url == url and (number.sms_method or "POST").upper() == "POST"


async def set_sms_webhook(
    account_sid: str,
    auth_token: str,
    *,
    base_url: str,
    phone_number: str,
    url: str,
    timeout: float = CHECK_TIMEOUT,
) -> IncomingNumber:
    """Point the "A message comes in" webhook of `phone_number` at `url`, method POST.

    Looks the number up first (its SID is needed); raises TwilioError from the API, or
    LookupError when the account has no such number.
    """
    from hermes_sms.twilio.client import TwilioClient
    from hermes_sms.twilio.errors import TwilioError

    if has_userinfo(base_url):
        raise TwilioError(BASE_URL_USERINFO)
    async with TwilioClient(
        account_sid, auth_token, base_url=base_url, timeout=timeout, max_attempts=CHECK_ATTEMPTS
    ) as client:
        found = find_number(await client.list_incoming_numbers(phone_number), phone_number)
        if found is None:
            raise LookupError(phone_number)
        return await client.update_sms_webhook(found.sid, url, "POST")


async def check_agent(
    url: str, model: str, api_key: str | None, *, timeout: float = AGENT_CHECK_TIMEOUT
) -> AgentCheck:
    """Ask `<url>/models` whether the agent answers and lists `model`; never raises."""
    from hermes_sms.agent import create_agent
    from hermes_sms.config import AgentConfig

    agent = create_agent(AgentConfig(url=url, model=model, api_key=api_key))
    try:
        return await agent.check(timeout)
    finally:
        await agent.close()
