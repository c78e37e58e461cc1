"""TwilioClient against the emulator (and tiny misbehaving servers): calls, errors, retries."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest
from aiohttp import web
from cli_helpers import free_port

from hermes_sms import __version__
from hermes_sms.sandbox import TwilioEmulator
from hermes_sms.twilio.client import TwilioClient
from hermes_sms.twilio.errors import TwilioError

OUR_NUMBER = "+15550100001"
TO = "+15557654321"
SERVICE_SID = "MG" + "1" * 32


class SleepRecorder:
    """Injectable sleep: records requested delays and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def make_client(emulator: TwilioEmulator, **kwargs: object) -> TwilioClient:
    kwargs.setdefault("backoff_base", 0.01)
    kwargs.setdefault("backoff_max", 0.05)
    return TwilioClient(
        emulator.account_sid,
        emulator.auth_token,
        base_url=emulator.base_url,
        **kwargs,  # type: ignore[arg-type]
    )


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


# -- happy paths -------------------------------------------------------------------------------


async def test_create_message_from_number(twilio_client: TwilioClient, emulator: TwilioEmulator):
    sent = await twilio_client.create_message(to=TO, from_=OUR_NUMBER, body="hello")
    assert sent.sid.startswith("SM") and len(sent.sid) == 34
    assert (sent.status, sent.to, sent.num_segments, sent.error_code) == ("queued", TO, 1, None)
    assert sent.raw["body"] == "hello"

    [message] = emulator.messages
    assert (message["sid"], message["to"], message["from"], message["body"]) == (
        sent.sid,
        TO,
        OUR_NUMBER,
        "hello",
    )
    [request] = emulator.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{emulator.account_sid}/Messages.json"
    assert request.form["To"] == TO and request.form["From"] == OUR_NUMBER
    assert "MessagingServiceSid" not in request.form
    assert request.headers["User-Agent"] == f"hermes-sms/{__version__}"
    assert request.headers["Authorization"].startswith("Basic ")


async def test_create_message_via_messaging_service(
    twilio_client: TwilioClient, emulator: TwilioEmulator
):
    sent = await twilio_client.create_message(
        to=TO,
        messaging_service_sid=SERVICE_SID,
        body="hi",
        status_callback="https://example.com/status",
    )
    # A Messaging Service answers "accepted" and "0" segments until it has encoded the message.
    assert (sent.status, sent.num_segments) == ("accepted", 0)
    form = emulator.requests[0].form
    assert form["MessagingServiceSid"] == SERVICE_SID and "From" not in form
    assert emulator.messages[0]["status_callback"] == "https://example.com/status"


async def test_media_url_is_repeated(twilio_client: TwilioClient, emulator: TwilioEmulator):
    urls = ["https://example.com/a.jpg", "https://example.com/b.png"]
    sent = await twilio_client.create_message(to=TO, from_=OUR_NUMBER, media_urls=urls)
    assert sent.sid.startswith("MM")
    assert emulator.requests[0].form.getall("MediaUrl") == urls
    assert "Body" not in emulator.requests[0].form
    assert emulator.messages[0]["media_urls"] == urls


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"from_": OUR_NUMBER, "messaging_service_sid": SERVICE_SID}],
    ids=["neither", "both"],
)
async def test_sender_must_be_exactly_one(
    twilio_client: TwilioClient, emulator: TwilioEmulator, kwargs: dict[str, str]
):
    with pytest.raises(ValueError, match="exactly one"):
        await twilio_client.create_message(to=TO, body="x", **kwargs)
    assert emulator.requests == []


async def test_fetch_account_full(twilio_client: TwilioClient, emulator: TwilioEmulator):
    account = await twilio_client.fetch_account()
    assert account.sid == emulator.account_sid
    assert (account.type, account.is_trial, account.is_active) == ("Full", False, True)


async def test_fetch_account_trial_suspended(emulator_factory):
    emu = await emulator_factory(account_type="Trial", account_status="suspended")
    async with make_client(emu) as client:
        account = await client.fetch_account()
    assert account.is_trial and not account.is_active and account.status == "suspended"


async def test_list_and_filter_numbers(emulator_factory):
    emu = await emulator_factory(phone_numbers=["+15550100001", "+15550100002"])
    async with make_client(emu) as client:
        numbers = await client.list_incoming_numbers()
        assert [n.phone_number for n in numbers] == ["+15550100001", "+15550100002"]
        assert all(n.sid.startswith("PN") and n.sms_capable and n.mms_capable for n in numbers)
        assert numbers[0].sms_url is None and numbers[0].friendly_name == "(555) 010-0001"

        [only] = await client.list_incoming_numbers("+15550100002")
        assert only.phone_number == "+15550100002"
        assert emu.requests[-1].query["PhoneNumber"] == "+15550100002"
        assert await client.list_incoming_numbers("+15559999999") == []


async def test_list_numbers_follows_pages(emulator_factory):
    emu = await emulator_factory(phone_numbers=[f"+1555010000{i}" for i in range(5)])
    emu.page_size = 2
    async with make_client(emu) as client:
        numbers = await client.list_incoming_numbers()
    assert len(numbers) == 5 and len(emu.requests) == 3


async def test_update_sms_webhook(twilio_client: TwilioClient, emulator: TwilioEmulator):
    [number] = await twilio_client.list_incoming_numbers(OUR_NUMBER)
    updated = await twilio_client.update_sms_webhook(number.sid, "https://example.com/sms")
    assert (updated.sid, updated.sms_url, updated.sms_method) == (
        number.sid,
        "https://example.com/sms",
        "POST",
    )
    assert emulator.number(OUR_NUMBER)["sms_url"] == "https://example.com/sms"  # type: ignore[index]
    [again] = await twilio_client.list_incoming_numbers(OUR_NUMBER)
    assert again.sms_url == "https://example.com/sms"


async def test_update_unknown_number_is_404(twilio_client: TwilioClient):
    with pytest.raises(TwilioError) as info:
        await twilio_client.update_sms_webhook("PN" + "0" * 32, "https://example.com/sms")
    assert (info.value.status, info.value.code, info.value.retryable) == (404, 20404, False)


# -- permanent errors ---------------------------------------------------------------------------


async def test_wrong_token_is_not_retried(emulator: TwilioEmulator):
    sleep = SleepRecorder()
    async with TwilioClient(
        emulator.account_sid, "wrong-token", base_url=emulator.base_url, sleep=sleep
    ) as client:
        with pytest.raises(TwilioError) as info:
            await client.create_message(to=TO, from_=OUR_NUMBER, body="x")
    err = info.value
    assert (err.status, err.code, err.retryable) == (401, 20003, False)
    assert err.more_info == "https://www.twilio.com/docs/errors/20003"
    assert len(emulator.requests) == 1 and sleep.delays == []


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [({"to": "5551234", "body": "x"}, 21211), ({"to": TO, "body": "x" * 1601}, 21617)],
)
async def test_invalid_requests_are_not_retried(
    twilio_client: TwilioClient, emulator: TwilioEmulator, kwargs: dict[str, str], code: int
):
    with pytest.raises(TwilioError) as info:
        await twilio_client.create_message(from_=OUR_NUMBER, **kwargs)
    assert (info.value.status, info.value.code, info.value.retryable) == (400, code, False)
    assert len(emulator.requests) == 1
    assert emulator.messages == []


# -- retries ------------------------------------------------------------------------------------


async def test_429_twice_then_success(emulator: TwilioEmulator):
    emulator.inject_fault(429, count=2)
    retries: list[tuple[int | None, int, float]] = []
    sleep = SleepRecorder()
    async with make_client(
        emulator, sleep=sleep, on_retry=lambda err, n, delay: retries.append((err.code, n, delay))
    ) as client:
        sent = await client.create_message(to=TO, from_=OUR_NUMBER, body="x")
    assert sent.status == "queued"
    assert [r.status for r in emulator.requests] == [429, 429, 201]
    assert len(client.attempts) == 3
    assert [(code, n) for code, n, _ in retries] == [(20429, 1), (20429, 2)]
    assert [delay for *_, delay in retries] == sleep.delays
    assert len(emulator.messages) == 1


async def test_retry_after_is_honoured_in_full(emulator: TwilioEmulator):
    emulator.inject_fault(429, count=1, retry_after=3)
    emulator.inject_fault(503, count=1, retry_after=20)
    sleep = SleepRecorder()
    async with make_client(emulator, sleep=sleep, backoff_max=8.0) as client:
        await client.create_message(to=TO, from_=OUR_NUMBER, body="x")
    # Twilio's own pause, even above backoff_max: retrying sooner would only be refused.
    assert sleep.delays == [3.0, 20.0]


async def test_retry_after_beyond_the_limit_gives_up_at_once(emulator: TwilioEmulator):
    emulator.inject_fault(429, count=1, retry_after=600)
    sleep = SleepRecorder()
    async with make_client(emulator, sleep=sleep, retry_after_max=30.0) as client:
        with pytest.raises(TwilioError) as info:
            await client.create_message(to=TO, from_=OUR_NUMBER, body="x")
    assert info.value.retryable  # the gateway keeps the part and tries later
    assert sleep.delays == []
    assert emulator.messages == []


async def test_redirect_is_an_error_not_a_silent_success() -> None:
    from aiohttp import web

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently(location="/2010-04-01/elsewhere")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", moved)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with TwilioClient(
            "AC" + "0" * 32, "token-000000000000", base_url=f"http://127.0.0.1:{port}"
        ) as client:
            with pytest.raises(TwilioError, match="redirect") as info:
                await client.create_message(to=TO, from_=OUR_NUMBER, body="x")
        assert info.value.status == 301 and not info.value.retryable
    finally:
        await runner.cleanup()


async def test_server_errors_outlasting_attempts_raise_retryable(emulator: TwilioEmulator):
    emulator.inject_fault(500)
    sleep = SleepRecorder()
    async with make_client(
        emulator, sleep=sleep, max_attempts=4, backoff_base=0.5, backoff_max=1.5
    ) as client:
        with pytest.raises(TwilioError) as info:
            await client.create_message(to=TO, from_=OUR_NUMBER, body="x")
    assert (info.value.status, info.value.retryable) == (500, True)
    assert len(emulator.requests) == 4 and len(sleep.delays) == 3
    # Full jitter: each delay lies in [0, min(backoff_max, base * 2**(attempt-1))].
    for attempt, delay in enumerate(sleep.delays, start=1):
        assert 0.0 <= delay <= min(1.5, 0.5 * 2 ** (attempt - 1))


async def test_non_messages_paths_retry_too(emulator: TwilioEmulator):
    emulator.inject_fault(502, count=1, path_contains="/IncomingPhoneNumbers")
    async with make_client(emulator) as client:
        assert len(await client.list_incoming_numbers()) == 1
    assert [r.status for r in emulator.requests] == [502, 200]


async def test_timeout_is_retried(emulator: TwilioEmulator):
    emulator.inject_fault(status=None, latency=0.5, count=1)
    errors: list[TwilioError] = []
    async with make_client(
        emulator, timeout=0.2, on_retry=lambda err, n, d: errors.append(err)
    ) as client:
        sent = await client.create_message(to=TO, from_=OUR_NUMBER, body="x")
    assert sent.status == "queued"
    assert len(client.attempts) == 2
    [err] = errors
    assert err.status is None and err.code is None and err.retryable
    assert err.message == f"no answer from {emulator.base_url} within {client.timeout:g} s"
    assert err.in_doubt  # the request went out: Twilio may have it
    # Once the slow handler wakes up it sees the client gone and drops the request, so exactly
    # one message exists (real Twilio might have accepted it: see create_message's caveat).
    for _ in range(200):
        if emulator.requests[0].status is not None:
            break
        await asyncio.sleep(0.01)
    assert emulator.requests[0].abandoned
    assert len(emulator.messages) == 1


async def test_a_lost_answer_stays_in_doubt_when_a_later_attempt_fails_cleanly(
    emulator: TwilioEmulator,
):
    """Timeout, then 503: the error raised is the 503, but the first request may have created
    the message, so the caller must still be told it is in doubt."""
    emulator.inject_fault(status=None, latency=0.5, count=1)
    emulator.inject_fault(503, retry_after=0)  # fires from the second request on
    async with make_client(emulator, timeout=0.2, max_attempts=2) as client:
        with pytest.raises(TwilioError) as info:
            await client.create_message(to=TO, from_=OUR_NUMBER, body="x")
    assert len(client.attempts) == 2
    assert info.value.status == 503
    assert info.value.in_doubt


async def test_clean_failures_are_not_in_doubt(emulator: TwilioEmulator):
    emulator.inject_fault(503, retry_after=0)
    async with make_client(emulator, max_attempts=2) as client:
        with pytest.raises(TwilioError) as info:
            await client.create_message(to=TO, from_=OUR_NUMBER, body="x")
    assert info.value.status == 503 and not info.value.in_doubt


@pytest.mark.parametrize("failure", ["500", "no answer"])
async def test_blind_retry_after_an_accepted_request_sends_twice(
    emulator: TwilioEmulator, failure: str
):
    """The default (`hermes-sms send`): Twilio created the message but answered 500, or its
    answer came too late; the retry creates a second one. Documented, and the reason the
    gateway's outbox asks for `retry_unanswered=False`."""
    if failure == "500":
        emulator.inject_fault(500, count=1, processed=True)
    else:
        emulator.inject_fault(None, latency=0.5, count=1, processed=True)
    async with make_client(emulator, timeout=0.2) as client:
        await client.create_message(to=TO, from_=OUR_NUMBER, body="twice")
    assert [m["body"] for m in emulator.messages] == ["twice", "twice"]


@pytest.mark.parametrize("failure", ["500", "503", "no answer", "lost answer after a 429"])
async def test_retry_unanswered_false_raises_the_first_maybe_done_failure(
    emulator: TwilioEmulator, failure: str
):
    if failure == "500":
        emulator.inject_fault(500, count=1, processed=True)
    elif failure == "503":
        emulator.inject_fault(503, count=1)
    elif failure == "no answer":
        emulator.inject_fault(None, latency=0.5, count=1, processed=True)
    else:
        emulator.inject_fault(429, count=1, retry_after=0)
        emulator.inject_fault(None, latency=0.5, count=1, processed=True)
    async with make_client(emulator, timeout=0.2) as client:
        with pytest.raises(TwilioError) as info:
            await client.create_message(
                to=TO, from_=OUR_NUMBER, body="once", retry_unanswered=False
            )
    err = info.value
    assert err.retryable  # for later, after a look in the message log
    assert len(client.attempts) == (2 if "429" in failure else 1)
    assert err.in_doubt is (failure not in ("500", "503"))
    assert len(emulator.messages) == (0 if failure == "503" else 1)


async def test_retry_unanswered_false_still_retries_what_was_never_carried_out(
    emulator: TwilioEmulator,
):
    """A 429 was never processed and a refused connection sent nothing: retried as before."""
    emulator.inject_fault(429, count=2, retry_after=0)
    async with make_client(emulator) as client:
        sent = await client.create_message(
            to=TO, from_=OUR_NUMBER, body="x", retry_unanswered=False
        )
    assert sent.sid.startswith("SM") and len(client.attempts) == 3
    base_url = f"http://127.0.0.1:{free_port()}"
    sleep = SleepRecorder()
    async with TwilioClient(
        "AC" + "0" * 32, "secret-token-value", base_url=base_url, max_attempts=3, sleep=sleep
    ) as client:
        with pytest.raises(TwilioError):
            await client.create_message(to=TO, from_=OUR_NUMBER, body="x", retry_unanswered=False)
    assert len(client.attempts) == 3


async def test_unreachable_port_is_retryable_connection_error():
    base_url = f"http://127.0.0.1:{free_port()}"
    sleep = SleepRecorder()
    async with TwilioClient(
        "AC" + "0" * 32, "secret-token-value", base_url=base_url, max_attempts=2, sleep=sleep
    ) as client:
        with pytest.raises(TwilioError) as info:
            await client.fetch_account()
    err = info.value
    assert (err.status, err.code, err.retryable) == (None, None, True)
    # What the system said, not aiohttp's "Cannot connect to host … ssl:default […]".
    assert err.message == f"could not reach {base_url}: Connection refused"
    assert str(err) == err.message and not err.in_doubt
    assert len(client.attempts) == 2 and len(sleep.delays) == 1


async def test_untrusted_certificate_is_a_plain_tls_reason():
    """A TLS failure says so (OpenSSL's errno must not become "Operation not permitted")."""
    import ssl
    from pathlib import Path

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    # A throwaway self-signed certificate for 127.0.0.1, made for this test only.
    context.load_cert_chain(Path(__file__).parent / "data" / "self_signed_127.0.0.1.pem")
    runner = web.AppRunner(web.Application(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    base_url = f"https://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with TwilioClient(
            "AC" + "0" * 32, "secret-token-value", base_url=base_url, max_attempts=1
        ) as client:
            with pytest.raises(TwilioError) as info:
                await client.fetch_account()
    finally:
        await runner.cleanup()
    assert info.value.message.startswith(f"could not reach {base_url}: TLS handshake failed (")
    assert "self-signed certificate" in info.value.message
    assert not info.value.in_doubt


@pytest.mark.parametrize(
    ("status", "body", "retryable"),
    [(502, "<html><body>Bad gateway</body></html>", True), (503, "", True), (418, "nope", False)],
)
async def test_non_json_error_bodies_are_tolerated(status: int, body: str, retryable: bool):
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=status, text=body, content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner, base_url = await serve(app)
    try:
        async with TwilioClient(
            "AC" + "0" * 32, "tok", base_url=base_url, max_attempts=1
        ) as client:
            with pytest.raises(TwilioError) as info:
                await client.fetch_account()
    finally:
        await runner.cleanup()
    err = info.value
    assert (err.status, err.code, err.retryable) == (status, None, retryable)
    assert err.message.startswith(f"HTTP {status}")
    if "Bad gateway" in body:
        assert "Bad gateway" in err.message


# -- secrets and lifecycle ----------------------------------------------------------------------


async def test_token_never_leaks(emulator: TwilioEmulator, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    token = emulator.auth_token
    emulator.inject_fault(500, count=1)
    texts: list[str] = []
    async with make_client(emulator, on_retry=lambda err, n, d: texts.append(str(err))) as client:
        texts += [repr(client), str(client)]
        await client.create_message(to=TO, from_=OUR_NUMBER, body="x")
        with pytest.raises(TwilioError) as bad:
            await client.create_message(to="bad", from_=OUR_NUMBER, body="x")
        texts += [str(bad.value), repr(bad.value), bad.value.message]
    async with TwilioClient(
        emulator.account_sid, token, base_url=f"http://127.0.0.1:{free_port()}", max_attempts=1
    ) as offline:
        with pytest.raises(TwilioError) as down:
            await offline.fetch_account()
        texts += [str(down.value), repr(down.value), repr(offline)]
    texts.append(caplog.text)
    assert all(token not in text for text in texts)


async def test_borrowed_session_is_not_closed(emulator: TwilioEmulator):
    async with aiohttp.ClientSession() as session:
        client = make_client(emulator, session=session)
        await client.fetch_account()
        await client.close()
        assert not session.closed


async def test_client_can_be_reused_after_close(emulator: TwilioEmulator):
    client = make_client(emulator)
    await client.fetch_account()
    await client.close()
    await client.fetch_account()
    await client.close()
    assert len(emulator.requests) == 2


def test_constructor_validates_arguments():
    with pytest.raises(ValueError):
        TwilioClient("", "tok")
    with pytest.raises(ValueError):
        TwilioClient("AC" + "0" * 32, "")
    with pytest.raises(ValueError):
        TwilioClient("AC" + "0" * 32, "tok", max_attempts=0)


async def test_list_messages_finds_recent_messages_to_a_number(twilio_client, emulator) -> None:
    import time

    before = time.time()
    first = await twilio_client.create_message(to="+15550100002", body="one", from_="+15550100001")
    await twilio_client.create_message(to="+15550100003", body="other", from_="+15550100001")
    second = await twilio_client.create_message(to="+15550100002", body="two", from_="+15550100001")
    records = await twilio_client.list_messages(to="+15550100002")
    assert [r.sid for r in records] == [second.sid, first.sid]
    assert [r.body for r in records] == ["two", "one"]
    assert records[0].direction == "outbound-api"
    assert records[0].created_at is not None and records[0].created_at >= int(before)
    assert await twilio_client.list_messages(to="+15550100002", sent_after=time.time() + 3600) == []


async def test_list_messages_from_our_number_with_delivery_fields(emulator_factory) -> None:
    ours, other = "+15550100001", "+15550100009"
    emulator = await emulator_factory(phone_numbers=[ours, other])
    async with TwilioClient(
        emulator.account_sid, emulator.auth_token, base_url=emulator.base_url
    ) as client:
        first = await client.create_message(to="+15550100002", body="one", from_=ours)
        await client.create_message(to="+15550100002", body="not ours", from_=other)
        second = await client.create_message(to="+15550100003", body="two", from_=ours)
        emulator.mark_message(first.sid, "undelivered", 30034)
        emulator.mark_message(second.sid, "delivered")

        records = await client.list_messages(from_=ours, page_size=20)

    assert [r.sid for r in records] == [second.sid, first.sid]
    assert [(r.status, r.error_code, r.failed) for r in records] == [
        ("delivered", None, False),
        ("undelivered", 30034, True),
    ]
    assert {r.from_ for r in records} == {ours}
    assert all(r.sent_at is not None and r.created_at is not None for r in records)
    [request] = [r for r in emulator.requests if r.method == "GET"]
    assert (request.query["From"], request.query["PageSize"]) == (ours, "20")
    assert "To" not in request.query


async def test_list_messages_rejects_a_page_size_twilio_would_not_serve(twilio_client) -> None:
    for size in (0, 1001):
        with pytest.raises(ValueError):
            await twilio_client.list_messages(from_="+15550100001", page_size=size)
