"""An in-process emulator of the slice of Twilio's REST API that hermes-sms uses.

It answers with Twilio's JSON shapes and error codes, records every request, can inject faults
(errors, Retry-After, latency) and can send signed status callbacks. Tests, the demo command and
benchmarks point a client at it instead of api.twilio.com.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
import logging
import random
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from types import TracebackType
from typing import Any, Self

import aiohttp
from aiohttp import web
from multidict import MultiDict

from hermes_sms.sandbox._segments import count_segments
from hermes_sms.sandbox.phone import InboundResult, post_inbound, post_status_callback

__all__ = ["CallbackRecord", "Fault", "RecordedRequest", "TwilioEmulator"]

log = logging.getLogger(__name__)

API_VERSION = "2010-04-01"
MAX_BODY_CHARS = 1600
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_DOCS_URL = "https://www.twilio.com/docs/errors/{code}"
# Twilio answers infrastructure failures with these codes in the JSON body.
_DEFAULT_FAULT_CODES = {429: 20429, 500: 20500, 503: 20503}
# Written out here, not imported: the emulator is the tests' independent picture of Twilio.
TRIAL_NOTICE = "Sent from your Twilio trial account - "
_FAULT_MESSAGES = {
    429: "Too Many Requests",
    500: "An internal server error has occurred",
    502: "Bad Gateway",
    503: "Service Unavailable",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class RecordedRequest:
    """One HTTP request as the emulator saw it (``status`` is filled in once answered)."""

    method: str
    path: str
    query: MultiDict[str]
    form: MultiDict[str]
    headers: dict[str, str]
    status: int | None = None
    # True when the client hung up during injected latency; such requests are not processed.
    abandoned: bool = False


@dataclass
class Fault:
    """An injected failure; see :meth:`TwilioEmulator.inject_fault`."""

    status: int | None
    code: int | None
    remaining: int | None
    share: float | None
    retry_after: float | None
    latency: float
    path_contains: str
    # Matching requests still to let through before the fault starts firing.
    after: int = 0
    # True: the request is carried out first, and only the answer goes wrong.
    processed: bool = False
    fired: int = 0


@dataclass
class CallbackRecord:
    """One status callback the emulator attempted (``params`` empty when it could not post)."""

    url: str
    params: dict[str, str]
    status: int | None  # None when the receiver could not be reached
    error: str | None = None


class _ApiError(Exception):
    """Raised by handlers; the middleware turns it into Twilio's error JSON."""

    def __init__(
        self, status: int, code: int | None, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def _new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


def _now_rfc2822() -> str:
    # Twilio's date fields use RFC 2822 ("Tue, 03 Dec 2024 19:10:00 +0000").
    return format_datetime(datetime.now(UTC)).replace("-0000", "+0000")


async def _form(request: web.Request) -> MultiDict[str]:
    """The posted form as strings (aiohttp caches the parsed body, so calling twice is cheap)."""
    if request.method != "POST":
        return MultiDict()
    posted = await request.post()
    return MultiDict((k, v if isinstance(v, str) else str(v)) for k, v in posted.items())


def _int_or(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _friendly(number: str) -> str:
    if number.startswith("+1") and len(number) == 12:
        return f"({number[2:5]}) {number[5:8]}-{number[8:]}"
    return number


class TwilioEmulator:
    """Twilio REST API double: Messages, Account, IncomingPhoneNumbers, with Twilio's checks."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        phone_numbers: Sequence[str] = ("+15550100001",),
        account_type: str = "Full",
        account_status: str = "active",
        send_status_callbacks: bool = False,
        verified_numbers: Iterable[str] = (),
        callback_delay: float = 0.0,
        seed: int | None = 0,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.account_type = account_type
        self.account_status = account_status
        self.friendly_name = "hermes-sms emulator"
        self.send_status_callbacks = send_status_callbacks
        self.callback_delay = callback_delay
        self.verified_numbers: set[str] = set(verified_numbers)
        self.opted_out: set[str] = set()
        # To number -> delivery error code (e.g. 30003): callbacks end in "undelivered".
        self.delivery_failures: dict[str, int] = {}
        self.numbers: list[dict[str, Any]] = [self._number_resource(n) for n in phone_numbers]
        # Default page size of list answers (Twilio's is 50); lower it to exercise paging.
        self.page_size = 50
        self.requests: list[RecordedRequest] = []
        self.messages: list[dict[str, Any]] = []
        self.callbacks: list[CallbackRecord] = []
        self.base_url: str = ""
        self._resources: dict[str, dict[str, Any]] = {}
        self._faults: list[Fault] = []
        # Seeded so a "random share" of failures is the same on every run.
        self._rng = random.Random(seed)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing: asyncio.Event | None = None
        self.app = self._build_app()

    def __repr__(self) -> str:
        return f"TwilioEmulator(account_sid={self.account_sid!r}, base_url={self.base_url!r})"

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0 picks a free port); returns the base URL."""
        if self._runner is not None:
            raise RuntimeError("emulator already started")
        # No access log: tests would drown in it. Short shutdown timeout: a request stuck in
        # injected latency must not hold stop() for aiohttp's default 60 s.
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        self._session = aiohttp.ClientSession()
        self._closing = asyncio.Event()
        return self.base_url

    async def stop(self) -> None:
        """Stop serving; pending status callbacks are cancelled. Recorded data stays readable."""
        if self._closing is not None:
            self._closing.set()
        tasks, self._tasks = self._tasks, set()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._closing = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- test controls -------------------------------------------------------------------------

    def opt_out(self, number: str) -> None:
        """Behave as if ``number`` replied STOP: later sends to it fail with 21610."""
        self.opted_out.add(number)

    def opt_in(self, number: str) -> None:
        self.opted_out.discard(number)

    def fail_delivery(self, number: str, error_code: int = 30003) -> None:
        """Accept messages to ``number`` but report them "undelivered" with ``error_code``."""
        self.delivery_failures[number] = error_code

    def mark_message(self, sid: str, status: str, error_code: int | None = None) -> None:
        """Move an accepted message to ``status`` ("sent", "delivered", "failed",
        "undelivered", ...) as Twilio would later, with ``error_code`` for a failure.

        Unlike :meth:`fail_delivery`, this changes a message already recorded (no callback is
        sent): what `GET Messages.json` lists afterwards, e.g. for the doctor's delivery check.
        """
        if sid not in self._resources:
            raise KeyError(f"no message {sid} recorded")
        if error_code is not None and status not in ("failed", "undelivered"):
            raise ValueError("only a failed or undelivered message has an error code")
        resource = self._resources[sid]
        # Leaving Twilio gives the message its date_sent (and a Messaging Service's sender).
        if status in ("sent", "delivered", "undelivered") and not resource["date_sent"]:
            self._set_status(sid, "sent", None, resource["from"] or self.numbers[0]["phone_number"])
        self._set_status(sid, status, error_code, resource["from"] or "")

    def inject_fault(
        self,
        status: int | None = 500,
        *,
        code: int | None = None,
        count: int | None = None,
        share: float | None = None,
        retry_after: float | None = None,
        latency: float = 0.0,
        path_contains: str = "/Messages.json",
        after: int = 0,
        processed: bool = False,
    ) -> Fault:
        """Make requests whose path contains ``path_contains`` misbehave.

        The first ``after`` matching requests pass untouched (``after=1``: the second part of a
        reply fails). Then the fault fires on every matching request, or on a random ``share``
        of them (seeded RNG), at most ``count`` times when given. When it fires it waits
        ``latency`` seconds, then answers ``status`` with Twilio's error JSON (``code`` defaults
        to 20429 for 429 and 20500/20503 for 500/503) and a ``Retry-After`` header if asked.
        ``status=None`` only adds latency and then processes the request normally. Faults fire
        before authentication, as an overloaded edge would.

        ``processed=True`` is the case that makes blind retries send twice: the request is
        carried out first (the message is created), then the latency and the error answer
        follow, so the client sees a 5xx or, with a latency beyond its timeout, no answer at
        all, although Twilio has the message.
        """
        if count is not None and count < 1:
            raise ValueError("count must be at least 1")
        if share is not None and not 0.0 <= share <= 1.0:
            raise ValueError("share must be between 0 and 1")
        if after < 0:
            raise ValueError("after must be 0 or more")
        if status is not None and code is None:
            code = _DEFAULT_FAULT_CODES.get(status)
        fault = Fault(
            status, code, count, share, retry_after, latency, path_contains, after, processed
        )
        self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self._faults.clear()

    def reset(self) -> None:
        """Forget recorded requests, messages and callbacks (not numbers, opt-outs or faults)."""
        self.requests.clear()
        self.messages.clear()
        self.callbacks.clear()
        self._resources.clear()

    async def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until at least ``count`` messages were accepted; returns all of them.

        Polls rather than using a Condition so the emulator works whichever event loop the test
        (or a subprocess-driving test) happens to run on.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.messages) < count:
            if loop.time() >= deadline:
                raise TimeoutError(
                    f"expected {count} message(s) within {timeout:g}s, got {len(self.messages)}"
                )
            await asyncio.sleep(0.005)
        return list(self.messages)

    async def wait_for_callbacks(self, count: int, timeout: float = 5.0) -> list[CallbackRecord]:
        """Wait until at least ``count`` status callbacks were attempted."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.callbacks) < count:
            if loop.time() >= deadline:
                raise TimeoutError(
                    f"expected {count} callback(s) within {timeout:g}s, got {len(self.callbacks)}"
                )
            await asyncio.sleep(0.005)
        return list(self.callbacks)

    def number(self, phone_number: str) -> dict[str, Any] | None:
        """The IncomingPhoneNumber resource for ``phone_number``, if it is ours."""
        return next((n for n in self.numbers if n["phone_number"] == phone_number), None)

    async def deliver_inbound(
        self, from_: str, body: str, *, to: str | None = None, **kwargs: Any
    ) -> InboundResult:
        """Text our number as ``from_``: a signed POST to the number's configured SmsUrl."""
        number = self.number(to) if to else self.numbers[0]
        if number is None or not number["sms_url"]:
            raise RuntimeError(f"no SmsUrl configured for {to or 'the first number'}")
        return await post_inbound(
            number["sms_url"],
            auth_token=self.auth_token,
            account_sid=self.account_sid,
            from_=from_,
            to=number["phone_number"],
            body=body,
            session=kwargs.pop("session", self._session),
            **kwargs,
        )

    # -- application ---------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        base = f"/{API_VERSION}/Accounts/{{account_sid}}"
        app.router.add_get(base + ".json", self._get_account)
        app.router.add_post(base + "/Messages.json", self._create_message)
        app.router.add_get(base + "/Messages.json", self._list_messages)
        app.router.add_get(base + "/Messages/{message_sid}.json", self._get_message)
        app.router.add_get(base + "/IncomingPhoneNumbers.json", self._list_numbers)
        app.router.add_get(base + "/IncomingPhoneNumbers/{number_sid}.json", self._get_number)
        app.router.add_post(base + "/IncomingPhoneNumbers/{number_sid}.json", self._update_number)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        form = await _form(request)
        record = RecordedRequest(
            request.method, request.path, MultiDict(request.query), form, dict(request.headers)
        )
        self.requests.append(record)
        try:
            response = await self._handle(request, handler, record)
        except _ApiError as exc:
            response = self._error_response(exc.status, exc.code, exc.message, exc.headers)
        except web.HTTPException as exc:
            # Unknown paths and wrong methods: Twilio answers these in JSON as well.
            response = self._error_response(
                exc.status, 20404 if exc.status == 404 else None, exc.reason
            )
        record.status = response.status
        return response

    async def _handle(
        self, request: web.Request, handler: Handler, record: RecordedRequest
    ) -> web.StreamResponse:
        fault = self._fire_fault(request.path)
        if fault is not None and fault.processed:
            response = await self._process(request, handler)
            if fault.latency > 0:
                await self._delay(fault.latency)  # the client may have given up by now
            if fault.status is not None:
                raise self._fault_error(fault)
            return response
        if fault is not None:
            if fault.latency > 0:
                await self._delay(fault.latency)
                transport = request.transport
                stopping = self._closing is not None and self._closing.is_set()
                if stopping or transport is None or transport.is_closing():
                    # The client gave up (timeout). Not processing keeps counts deterministic;
                    # real Twilio might have processed it, see TwilioClient.create_message.
                    record.abandoned = True
                    raise _ApiError(499, None, "client closed the connection")
            if fault.status is not None:
                raise self._fault_error(fault)
        return await self._process(request, handler)

    async def _process(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self._check_auth(request)
        if request.match_info.get("account_sid", self.account_sid) != self.account_sid:
            # Authenticated, but the account in the path is not this one (nor a subaccount).
            raise _ApiError(404, 20404, f"The requested resource {request.path} was not found")
        return await handler(request)

    @staticmethod
    def _fault_error(fault: Fault) -> _ApiError:
        assert fault.status is not None
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = f"{fault.retry_after:g}"
        message = _FAULT_MESSAGES.get(fault.status, f"Injected fault (HTTP {fault.status})")
        return _ApiError(fault.status, fault.code, message, headers)

    async def _delay(self, seconds: float) -> None:
        # Wakes early when stop() is called, so a long injected latency never holds up shutdown.
        if self._closing is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    def _fire_fault(self, path: str) -> Fault | None:
        for fault in list(self._faults):
            if fault.path_contains not in path:
                continue
            if fault.after > 0:
                fault.after -= 1
                continue
            if fault.share is not None and self._rng.random() >= fault.share:
                continue
            fault.fired += 1
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
            return fault
        return None

    def _check_auth(self, request: web.Request) -> None:
        ok = False
        header = request.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() == "basic" and encoded:
            try:
                user, _, password = base64.b64decode(encoded.strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user = password = ""
            # Constant-time comparisons, as a real server would do.
            ok = hmac.compare_digest(user.encode(), self.account_sid.encode()) and (
                hmac.compare_digest(password.encode(), self.auth_token.encode())
            )
        if not ok:
            raise _ApiError(
                401, 20003, "Authenticate", {"WWW-Authenticate": 'Basic realm="Twilio API"'}
            )

    @staticmethod
    def _error_response(
        status: int, code: int | None, message: str, headers: dict[str, str] | None = None
    ) -> web.Response:
        body = {
            "code": code,
            "message": message,
            "more_info": _DOCS_URL.format(code=code) if code is not None else None,
            "status": status,
        }
        return web.json_response(body, status=status, headers=headers)

    # -- handlers ------------------------------------------------------------------------------

    def _account_resource(self) -> dict[str, Any]:
        created = _now_rfc2822()
        return {
            "sid": self.account_sid,
            "owner_account_sid": self.account_sid,
            "friendly_name": self.friendly_name,
            "status": self.account_status,
            "type": self.account_type,
            "date_created": created,
            "date_updated": created,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}.json",
        }

    async def _get_account(self, request: web.Request) -> web.Response:
        return web.json_response(self._account_resource())

    async def _create_message(self, request: web.Request) -> web.Response:
        form = await _form(request)
        to = form.get("To", "").strip()
        from_ = form.get("From", "").strip()
        service_sid = form.get("MessagingServiceSid", "").strip()
        body = form.get("Body")
        media_urls = form.getall("MediaUrl", [])
        callback_url = form.get("StatusCallback") or None

        # Checks in roughly the order Twilio reports them.
        if not to:
            raise _ApiError(400, 21604, "A 'To' phone number is required.")
        if not E164.match(to):
            raise _ApiError(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not from_ and not service_sid:
            raise _ApiError(400, 21603, "A 'From' phone number is required.")
        if not body and not media_urls:
            raise _ApiError(400, 21602, "Message body is required.")
        # Counted in UTF-16 code units, the stricter reading of Twilio's 1600 "characters":
        # an emoji counts 2, so a splitter that counted code points would be caught here.
        if body is not None and len(body.encode("utf-16-le")) // 2 > MAX_BODY_CHARS:
            raise _ApiError(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        if from_ and self.number(from_) is None:
            raise _ApiError(
                400,
                21606,
                f"The From phone number {from_} is not a valid, SMS-capable inbound phone number "
                "or short code for your account.",
            )
        if self.account_status != "active":
            raise _ApiError(401, 20003, "Authenticate")
        if from_ and to == from_:
            raise _ApiError(400, 21266, "'To' and 'From' number cannot be the same")
        if to in self.opted_out:
            raise _ApiError(400, 21610, "Attempt to send to unsubscribed recipient")
        if self.account_type == "Trial" and to not in self.verified_numbers:
            raise _ApiError(
                400,
                21608,
                f"The number {to} is unverified. Trial accounts cannot send messages to "
                "unverified numbers; verify it at twilio.com/user/account/phone-numbers/verified, "
                "or purchase a Twilio number to send messages to unverified numbers.",
            )

        if self.account_type == "Trial" and body:
            # Twilio puts its notice in front of a trial account's messages, and its records
            # (the answer, the message log) show the body as sent, notice included.
            body = TRIAL_NOTICE + body
        sid = _new_sid("MM" if media_urls else "SM")
        via_service = bool(service_sid)
        created = _now_rfc2822()
        resource: dict[str, Any] = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body or "",
            "date_created": created,
            "date_sent": None,
            "date_updated": created,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            # Through a Messaging Service the sender is picked later, so "from" is still null.
            "from": from_ or None,
            "messaging_service_sid": service_sid or None,
            "num_media": str(len(media_urls)),
            # A Messaging Service reports "0" until it has encoded the message.
            "num_segments": "0" if via_service else str(count_segments(body or "")),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if via_service else "queued",
            "subresource_uris": {
                "media": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}/Media.json"
            },
            "to": to,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        self._resources[sid] = resource
        record = dict(resource)
        record["status_callback"] = callback_url
        record["media_urls"] = list(media_urls)
        self.messages.append(record)
        if self.send_status_callbacks:
            task = asyncio.create_task(self._deliver(sid, callback_url))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.json_response(resource, status=201)

    async def _list_messages(self, request: web.Request) -> web.Response:
        """One page of the message log, newest first, filtered by To and From like Twilio."""
        to = request.query.get("To")
        from_ = request.query.get("From")
        page_size = max(1, min(1000, _int_or(request.query.get("PageSize"), 50)))
        items = [
            r
            for r in reversed(list(self._resources.values()))
            if (not to or r["to"] == to) and (not from_ or r["from"] == from_)
        ]
        return web.json_response(
            {"messages": items[:page_size], "page": 0, "page_size": page_size, "start": 0}
        )

    async def _get_message(self, request: web.Request) -> web.Response:
        resource = self._resources.get(request.match_info["message_sid"])
        if resource is None:
            raise _ApiError(404, 20404, f"The requested resource {request.path} was not found")
        return web.json_response(resource)

    def _number_resource(self, phone_number: str) -> dict[str, Any]:
        sid = _new_sid("PN")
        return {
            "sid": sid,
            "account_sid": self.account_sid,
            "phone_number": phone_number,
            "friendly_name": _friendly(phone_number),
            "capabilities": {"sms": True, "mms": True, "voice": True, "fax": False},
            "sms_url": "",
            "sms_method": "POST",
            "sms_fallback_url": "",
            "sms_fallback_method": "POST",
            "status": "in-use",
            "api_version": API_VERSION,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/IncomingPhoneNumbers/{sid}.json",
        }

    async def _list_numbers(self, request: web.Request) -> web.Response:
        wanted = request.query.get("PhoneNumber")
        items = [n for n in self.numbers if not wanted or n["phone_number"] == wanted]
        page_size = max(1, min(1000, _int_or(request.query.get("PageSize"), self.page_size)))
        page = max(0, _int_or(request.query.get("Page"), 0))
        start = page * page_size
        chunk = items[start : start + page_size]
        path = request.path

        def page_uri(number: int) -> str:
            query = f"PageSize={page_size}&Page={number}"
            if wanted:
                query = f"PhoneNumber={wanted.replace('+', '%2B')}&" + query
            return f"{path}?{query}"

        has_next = start + page_size < len(items)
        return web.json_response(
            {
                "incoming_phone_numbers": chunk,
                "page": page,
                "page_size": page_size,
                "start": start,
                "end": start + max(len(chunk) - 1, 0),
                "uri": page_uri(page),
                "first_page_uri": page_uri(0),
                "next_page_uri": page_uri(page + 1) if has_next else None,
                "previous_page_uri": page_uri(page - 1) if page > 0 else None,
            }
        )

    def _find_number(self, request: web.Request) -> dict[str, Any]:
        sid = request.match_info["number_sid"]
        number = next((n for n in self.numbers if n["sid"] == sid), None)
        if number is None:
            raise _ApiError(404, 20404, f"The requested resource {request.path} was not found")
        return number

    async def _get_number(self, request: web.Request) -> web.Response:
        return web.json_response(self._find_number(request))

    async def _update_number(self, request: web.Request) -> web.Response:
        number = self._find_number(request)
        form = await _form(request)
        for param, key in (
            ("SmsUrl", "sms_url"),
            ("SmsMethod", "sms_method"),
            ("SmsFallbackUrl", "sms_fallback_url"),
            ("SmsFallbackMethod", "sms_fallback_method"),
        ):
            if param in form:
                value = form[param]
                number[key] = value.upper() if key.endswith("method") else value
        return web.json_response(number)

    # -- status callbacks ----------------------------------------------------------------------

    async def _deliver(self, sid: str, callback_url: str | None) -> None:
        """Advance a message to sent, then delivered/undelivered, calling back at each step."""
        resource = self._resources.get(sid)
        if resource is None:
            return
        to = resource["to"]
        # A Messaging Service picks one of our numbers as the sender.
        from_ = resource["from"] or self.numbers[0]["phone_number"]
        failure = self.delivery_failures.get(to)
        steps: list[tuple[str, int | None]] = [("sent", None)]
        steps.append(("undelivered", failure) if failure else ("delivered", None))
        for status, error_code in steps:
            await asyncio.sleep(self.callback_delay)
            self._set_status(sid, status, error_code, from_)
            if not callback_url:
                continue
            try:
                result = await post_status_callback(
                    callback_url,
                    auth_token=self.auth_token,
                    account_sid=self.account_sid,
                    message_sid=sid,
                    message_status=status,
                    from_=from_,
                    to=to,
                    error_code=error_code,
                    session=self._session,
                    timeout=5.0,
                )
                self.callbacks.append(CallbackRecord(callback_url, result.params, result.status))
            except (aiohttp.ClientError, TimeoutError, OSError, RuntimeError) as exc:
                # The app being down must not break the emulator, exactly as with Twilio.
                log.debug("status callback to %s failed: %s", callback_url, exc)
                self.callbacks.append(CallbackRecord(callback_url, {}, None, str(exc) or repr(exc)))

    def _set_status(self, sid: str, status: str, error_code: int | None, from_: str) -> None:
        updates: dict[str, Any] = {"status": status, "date_updated": _now_rfc2822()}
        if status == "sent":
            updates["date_sent"] = updates["date_updated"]
            updates["from"] = from_
        if error_code is not None:
            updates["error_code"] = error_code
        for target in (self._resources.get(sid), *(m for m in self.messages if m["sid"] == sid)):
            if target is not None:
                target.update(updates)
