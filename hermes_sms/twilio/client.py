"""A small async Twilio REST client on aiohttp.

Why not the twilio package's own async client: importing it costs ~0.5 s, and we need only four
endpoints. Requests are form-encoded, authenticated with HTTP Basic (Account SID : Auth Token), and
answered in JSON because every path ends in ``.json``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import random
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from hermes_sms import __version__
from hermes_sms.http_pool import PooledHttpClient
from hermes_sms.masking import has_userinfo
from hermes_sms.twilio.errors import TwilioError

__all__ = [
    "API_VERSION",
    "DEFAULT_API_BASE_URL",
    "Account",
    "IncomingNumber",
    "MessageRecord",
    "SentMessage",
    "TwilioClient",
]

DEFAULT_API_BASE_URL = "https://api.twilio.com"
API_VERSION = "2010-04-01"
USER_AGENT = f"hermes-sms/{__version__}"
_MAX_PAGES = 100

log = logging.getLogger(__name__)

SleepFunc = Callable[[float], Awaitable[None]]
RetryHook = Callable[[TwilioError, int, float], None]


@dataclass(frozen=True)
class SentMessage:
    """Twilio's answer to a create-message request (the message is queued, not yet delivered)."""

    sid: str
    status: str
    to: str
    num_segments: int
    error_code: int | None
    error_message: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SentMessage:
        return cls(
            sid=str(data.get("sid") or ""),
            status=str(data.get("status") or ""),
            to=str(data.get("to") or ""),
            # Twilio sends num_segments as a string, "0" while a Messaging Service holds it.
            num_segments=_to_int(data.get("num_segments")) or 0,
            error_code=_to_int(data.get("error_code")),
            error_message=data.get("error_message"),
            raw=dict(data),
        )


# What a trial account's messages start with, in the SMS and in Twilio's records of them.
TRIAL_BODY_PREFIX = "Sent from your Twilio trial account - "


@dataclass(frozen=True)
class MessageRecord:
    """A message as Twilio's message log lists it."""

    sid: str
    to: str
    body: str
    status: str
    direction: str
    created_at: float | None  # Unix time, from date_created
    # Null until the message has left Twilio (and for messages that never did).
    sent_at: float | None = None  # Unix time, from date_sent
    from_: str = ""  # empty while a Messaging Service has not picked the sender yet
    error_code: int | None = None  # set on "failed" and "undelivered" messages

    @property
    def failed(self) -> bool:
        """Twilio gave up on it: not sent at all ("failed") or not delivered ("undelivered")."""
        return self.status in ("failed", "undelivered")

    def has_body(self, body: str) -> bool:
        """True when this is the message created with `body`: on a trial account Twilio
        records it with its trial notice in front."""
        return self.body == body or self.body == TRIAL_BODY_PREFIX + body

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MessageRecord:
        return cls(
            sid=str(data.get("sid") or ""),
            to=str(data.get("to") or ""),
            body=str(data.get("body") or ""),
            status=str(data.get("status") or ""),
            direction=str(data.get("direction") or ""),
            created_at=_parse_date(data.get("date_created")),
            sent_at=_parse_date(data.get("date_sent")),
            from_=str(data.get("from") or ""),
            error_code=_to_int(data.get("error_code")),
        )


def _parse_date(value: object) -> float | None:
    """Unix time of one of Twilio's RFC 2822 date fields, None when missing or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Account:
    sid: str
    friendly_name: str
    status: str
    type: str

    @property
    def is_trial(self) -> bool:
        """Trial accounts can only text verified numbers and prefix every message."""
        return self.type == "Trial"

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Account:
        return cls(
            sid=str(data.get("sid") or ""),
            friendly_name=str(data.get("friendly_name") or ""),
            status=str(data.get("status") or ""),
            type=str(data.get("type") or ""),
        )


@dataclass(frozen=True)
class IncomingNumber:
    sid: str
    phone_number: str
    friendly_name: str
    sms_capable: bool
    mms_capable: bool
    sms_url: str | None
    sms_method: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IncomingNumber:
        caps = data.get("capabilities") or {}
        return cls(
            sid=str(data.get("sid") or ""),
            phone_number=str(data.get("phone_number") or ""),
            friendly_name=str(data.get("friendly_name") or ""),
            sms_capable=bool(caps.get("sms") or caps.get("SMS")),
            mms_capable=bool(caps.get("mms") or caps.get("MMS")),
            sms_url=data.get("sms_url") or None,
            sms_method=data.get("sms_method") or None,
        )


def _to_int(value: object) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


class TwilioClient(PooledHttpClient):
    """Async client for the handful of Twilio REST calls hermes-sms needs.

    One ``aiohttp.ClientSession`` (one connection pool) per client, created on first use so the
    client can be built outside a running event loop. Close it with ``await client.close()`` or use
    ``async with``. A session passed in is borrowed: the caller closes it.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        base_url: str = DEFAULT_API_BASE_URL,
        timeout: float = 15.0,
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        retry_after_max: float = 30.0,
        session: aiohttp.ClientSession | None = None,
        sleep: SleepFunc = asyncio.sleep,
        on_retry: RetryHook | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if not account_sid:
            raise ValueError("account_sid is required")
        if not auth_token:
            raise ValueError("auth_token is required")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if has_userinfo(base_url):
            # aiohttp would refuse it next to our Basic auth, and it is a secret in a URL.
            raise ValueError("base_url must not contain a user name or password")
        self.account_sid = account_sid
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self._use_session(session)
        self._sleep = sleep
        self._on_retry = on_retry
        self._rng = rng or random.Random()
        # Auth, headers and timeout go on each request rather than on the session so that a
        # borrowed session (shared pool) works too. The header is private and out of repr: the
        # token must never reach logs or tracebacks. Built by hand because aiohttp.BasicAuth is
        # deprecated in new aiohttp and its replacement is missing from the older ones we allow.
        credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode("ascii")
        self._headers = {
            "Authorization": f"Basic {credentials}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        # Every HTTP attempt as (method, path); lets tests and benchmarks count retries.
        # Bounded: a gateway makes requests for months.
        self.attempts: deque[tuple[str, str]] = deque(maxlen=1000)

    def __repr__(self) -> str:
        return f"TwilioClient(account_sid={self.account_sid!r}, base_url={self.base_url!r})"

    __str__ = __repr__

    # -- endpoints -----------------------------------------------------------------------------

    async def create_message(
        self,
        *,
        to: str,
        body: str | None = None,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
        media_urls: Sequence[str] = (),
        retry_unanswered: bool = True,
    ) -> SentMessage:
        """Queue an SMS/MMS. Exactly one of ``from_`` / ``messaging_service_sid`` is required.

        Idempotency caveat: Twilio has no idempotency key for Messages. Retrying on 429 and 5xx is
        what Twilio recommends (a 429 was never processed). A 5xx, a timeout or a dropped
        connection after the request went out may mean Twilio *did* accept it, so retrying
        those at once can, rarely, send the message twice. ``retry_unanswered=False`` does not:
        the first such failure is raised (429s and failed connections are still retried), for
        a caller that looks in Twilio's message log before sending again, as the gateway's
        outbox does. The default keeps retrying: for a one-off send, a rare duplicate is
        better than giving up on the first hiccup.
        """
        if (from_ is None) == (messaging_service_sid is None):
            raise ValueError("exactly one of from_ or messaging_service_sid is required")
        if body is None and not media_urls:
            raise ValueError("a body or at least one media URL is required")
        form: list[tuple[str, str]] = [("To", to)]
        if from_ is not None:
            form.append(("From", from_))
        else:
            form.append(("MessagingServiceSid", str(messaging_service_sid)))
        if body is not None:
            form.append(("Body", body))
        if status_callback:
            form.append(("StatusCallback", status_callback))
        # MediaUrl is repeated once per attachment, which is why form is a list of pairs.
        form.extend(("MediaUrl", url) for url in media_urls)
        data = await self._request(
            "POST",
            self._account_path("/Messages.json"),
            form=form,
            retry_unanswered=retry_unanswered,
        )
        message = SentMessage.from_json(data)
        if not message.sid.startswith(("SM", "MM")):
            # Not a created message (a proxy's page, a list): claiming success would lose it.
            raise TwilioError("unexpected answer from Twilio: no message SID", status=200)
        return message

    async def list_messages(
        self,
        *,
        to: str | None = None,
        from_: str | None = None,
        sent_after: float | None = None,
        page_size: int = 50,
    ) -> list[MessageRecord]:
        """The most recent messages to ``to`` and/or from ``from_`` (newest first, one page),
        optionally only those created at or after the Unix time ``sent_after``.

        Used to find out whether a message interrupted by a crash reached Twilio before
        sending it again (``to``), and by the doctor to see how our last replies fared
        (``from_``). Filtering by time happens here because Twilio's DateSent filter is by
        whole day and skips messages still queued.
        """
        if not 1 <= page_size <= 1000:
            raise ValueError("page_size must be between 1 and 1000")
        query = {"PageSize": str(page_size)}
        if to is not None:
            query["To"] = to
        if from_ is not None:
            query["From"] = from_
        data = await self._request("GET", self._account_path("/Messages.json"), query=query)
        records = [MessageRecord.from_json(item) for item in data.get("messages") or []]
        if sent_after is None:
            return records
        return [r for r in records if r.created_at is None or r.created_at >= int(sent_after)]

    async def fetch_account(self) -> Account:
        data = await self._request("GET", self._account_path(".json"))
        return Account.from_json(data)

    async def list_incoming_numbers(self, phone_number: str | None = None) -> list[IncomingNumber]:
        """List the account's phone numbers, optionally only the one equal to ``phone_number``."""
        query = {"PhoneNumber": phone_number} if phone_number else {}
        path: str | None = self._account_path("/IncomingPhoneNumbers.json")
        numbers: list[IncomingNumber] = []
        # Follow Twilio's paging (next_page_uri) so accounts with many numbers are complete;
        # the page cap guards against a server that keeps pointing at the same page.
        for _page in range(_MAX_PAGES):
            if not path:
                break
            data = await self._request("GET", path, query=query)
            numbers.extend(
                IncomingNumber.from_json(item) for item in data.get("incoming_phone_numbers") or []
            )
            next_uri = data.get("next_page_uri")
            # next_page_uri already carries the query string.
            path, query = (next_uri, {}) if next_uri else (None, {})
        return numbers

    async def update_sms_webhook(
        self, number_sid: str, sms_url: str, sms_method: str = "POST"
    ) -> IncomingNumber:
        """Point a number's incoming-SMS webhook at ``sms_url``."""
        form = [("SmsUrl", sms_url), ("SmsMethod", sms_method)]
        data = await self._request(
            "POST", self._account_path(f"/IncomingPhoneNumbers/{number_sid}.json"), form=form
        )
        return IncomingNumber.from_json(data)

    # -- transport -----------------------------------------------------------------------------

    def _account_path(self, suffix: str) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}{suffix}"

    async def _request(
        self,
        method: str,
        path: str,
        *,
        form: Sequence[tuple[str, str]] | None = None,
        query: Mapping[str, str] | None = None,
        retry_unanswered: bool = True,
    ) -> dict[str, Any]:
        """Send one logical request, retrying transient failures with capped, jittered backoff
        (not those that may have been carried out, unless ``retry_unanswered``)."""
        attempt = 0
        # Whether any attempt may have reached Twilio without an answer coming back: the error
        # finally raised must say so even when the last attempt failed cleanly (a timeout, then
        # a 503), or a caller would take "not sent" for certain and send it again.
        doubt = False
        while True:
            attempt += 1
            try:
                return await self._attempt(method, path, form=form, query=query)
            except _Failure as failure:
                error = failure.error
                doubt = doubt or error.in_doubt
                error.in_doubt = doubt
                maybe_done = error.in_doubt or (error.status or 0) >= 500
                if not retry_unanswered and maybe_done:
                    raise error from failure.__cause__
                if not error.retryable or attempt >= self.max_attempts:
                    raise error from failure.__cause__
                if failure.retry_after is not None and failure.retry_after > self.retry_after_max:
                    # Twilio asks for a longer pause than we may block for: give up now, the
                    # caller (the gateway's outbox) keeps the message and tries later.
                    raise error from failure.__cause__
                delay = self._backoff(attempt, failure.retry_after)
                log.debug(
                    "retrying %s %s in %.2fs after attempt %d: %s",
                    method,
                    path,
                    delay,
                    attempt,
                    error,
                )
                if self._on_retry is not None:
                    try:
                        self._on_retry(error, attempt, delay)
                    except Exception:
                        # A broken logging hook must not turn a recoverable failure into a crash.
                        log.exception("on_retry hook failed")
                await self._sleep(delay)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if retry_after is not None:
            # Twilio knows best when it will have room again (values above retry_after_max
            # never get here).
            return max(0.0, retry_after)
        # Full jitter: spreads retries of many concurrent senders instead of having them collide.
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        return self._rng.uniform(0.0, ceiling)

    async def _attempt(
        self,
        method: str,
        path: str,
        *,
        form: Sequence[tuple[str, str]] | None,
        query: Mapping[str, str] | None,
    ) -> dict[str, Any]:
        session = self._get_session()
        url = self.base_url + path
        self.attempts.append((method, path))
        try:
            async with session.request(
                method,
                url,
                data=form,
                params=query or None,
                headers=self._headers,
                timeout=self._timeout,
                # A redirect would turn the POST into a GET of the message list: a "success"
                # with nothing sent. Twilio never redirects API calls; a wrong base URL does.
                allow_redirects=False,
            ) as resp:
                text = await resp.text(errors="replace")
                status = resp.status
                retry_after = _parse_retry_after(resp.headers.get("Retry-After"))
        except aiohttp.ConnectionTimeoutError as exc:
            # No connection, so nothing was sent (a subclass of TimeoutError: caught first).
            raise _Failure(
                TwilioError(
                    f"could not reach {self.base_url}: no connection within {self.timeout:g} s"
                )
            ) from exc
        except TimeoutError as exc:
            raise _Failure(
                TwilioError(
                    f"no answer from {self.base_url} within {self.timeout:g} s", in_doubt=True
                )
            ) from exc
        except aiohttp.ClientConnectorError as exc:
            # Never connected, so nothing was sent. aiohttp's own text ("Cannot connect to host
            # h:p ssl:default [Connect call failed …]") is for developers; say what the OS said.
            raise _Failure(
                TwilioError(f"could not reach {self.base_url}: {_os_reason(exc.os_error)}")
            ) from exc
        except aiohttp.ClientError as exc:
            # Connected, then the exchange broke: the request may have been received.
            # aiohttp's messages name host and port only; the Basic auth header never appears.
            reason = str(exc) or type(exc).__name__
            raise _Failure(
                TwilioError(f"lost the connection to {self.base_url}: {reason}", in_doubt=True)
            ) from exc

        if 300 <= status < 400:
            raise _Failure(
                TwilioError(
                    f"{self.base_url} answered with a redirect (HTTP {status}); set "
                    "TWILIO_API_BASE_URL to the final https address",
                    status=status,
                )
            )
        if 200 <= status < 300:
            try:
                data = json.loads(text)
            except ValueError as exc:
                raise _Failure(
                    TwilioError(
                        f"unexpected non-JSON answer from Twilio: {text[:200]!r}", status=status
                    )
                ) from exc
            return data if isinstance(data, dict) else {"data": data}
        raise _Failure(_error_from_answer(status, text), retry_after)


class _Failure(Exception):
    """Internal carrier: a TwilioError plus the Retry-After hint of the answer that caused it."""

    def __init__(self, error: TwilioError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


def _parse_retry_after(value: str | None) -> float | None:
    # Twilio sends delta-seconds; an HTTP-date form is rare enough to ignore (normal backoff).
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _error_from_answer(status: int, text: str) -> TwilioError:
    """Build a TwilioError from an error answer, tolerating proxies that answer HTML or nothing."""
    try:
        data = json.loads(text) if text else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        code = _to_int(data.get("code"))
        message = str(data.get("message") or f"HTTP {status}")
        more_info = data.get("more_info") or None
        return TwilioError(message, status=status, code=code, more_info=more_info)
    snippet = " ".join(text.split())[:200]
    message = f"HTTP {status}" + (f": {snippet}" if snippet else "")
    return TwilioError(message, status=status)


def _os_reason(error: OSError) -> str:
    """What the system said: "Connection refused", "Name or service not known"."""
    import ssl

    if isinstance(error, ssl.SSLError):
        # Its errno is OpenSSL's, not the system's: os.strerror would invent a reason.
        detail = getattr(error, "verify_message", None) or error.reason or str(error)
        return f"TLS handshake failed ({detail})"
    # asyncio replaces a refused connection's strerror with "Connect call failed (addr)".
    if error.errno and error.errno > 0:
        return os.strerror(error.errno)
    return error.strerror or str(error) or type(error).__name__
