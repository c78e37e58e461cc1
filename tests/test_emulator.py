"""The Twilio emulator and the pretend phone: JSON shapes, checks, faults, signed webhooks."""

from __future__ import annotations

import asyncio
import base64
import re
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from multidict import MultiDict

from hermes_sms.sandbox import TwilioEmulator, new_message_sid, post_inbound, post_status_callback
from hermes_sms.twilio.client import TwilioClient
from hermes_sms.twilio.errors import TwilioError
from hermes_sms.twilio.signature import SIGNATURE_HEADER, is_valid_signature

OUR_NUMBER = "+15550100001"
TO = "+15557654321"
SID_RE = re.compile(r"^SM[0-9a-f]{32}$")


# -- helpers ------------------------------------------------------------------------------------


async def api(
    emulator: TwilioEmulator,
    method: str,
    suffix: str,
    *,
    data: Any = None,
    params: dict[str, str] | None = None,
    auth: tuple[str, str] | None = None,
    account_sid: str | None = None,
) -> tuple[int, dict[str, Any], Any]:
    """Raw HTTP call, independent of TwilioClient, so the emulator is checked on its own."""
    login, password = auth or (emulator.account_sid, emulator.auth_token)
    path = f"/2010-04-01/Accounts/{account_sid or emulator.account_sid}{suffix}"
    token = base64.b64encode(f"{login}:{password}".encode()).decode()
    headers = {"Authorization": f"Basic {token}"}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.request(method, emulator.base_url + path, data=data, params=params) as resp,
    ):
        return resp.status, await resp.json(), resp.headers


async def send(emulator: TwilioEmulator, **form: str) -> tuple[int, dict[str, Any]]:
    form.setdefault("To", TO)
    form.setdefault("From", OUR_NUMBER)
    status, body, _ = await api(emulator, "POST", "/Messages.json", data=form)
    return status, body


@dataclass
class Hit:
    url: str
    form: MultiDict[str]
    signature: str | None
    valid: bool


class Receiver:
    """A tiny webhook server on 127.0.0.1 that checks X-Twilio-Signature on every request."""

    def __init__(self, auth_token: str) -> None:
        self.auth_token = auth_token
        self.hits: list[Hit] = []
        self.public_url: str | None = None  # URL to validate against, as behind a proxy
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        form = MultiDict((k, str(v)) for k, v in (await request.post()).items())
        signature = request.headers.get(SIGNATURE_HEADER)
        url = self.public_url or str(request.url)
        valid = is_valid_signature(self.auth_token, url, form, signature)
        self.hits.append(Hit(str(request.url), form, signature, valid))
        return web.Response(text="<Response></Response>", content_type="application/xml")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait(self, count: int, timeout: float = 5.0) -> list[Hit]:
        deadline = time.monotonic() + timeout
        while len(self.hits) < count:
            assert time.monotonic() < deadline, f"only {len(self.hits)} webhook(s) arrived"
            await asyncio.sleep(0.005)
        return self.hits


@pytest.fixture
async def receiver(twilio_creds) -> AsyncIterator[Receiver]:
    rec = Receiver(twilio_creds.auth_token)
    await rec.start()
    yield rec
    await rec.stop()


# -- JSON shapes --------------------------------------------------------------------------------


async def test_message_json_shape(emulator: TwilioEmulator):
    status, body = await send(emulator, Body="hello", StatusCallback="https://example.com/s")
    assert status == 201
    assert SID_RE.match(body["sid"])
    assert body["status"] == "queued"
    assert body["num_segments"] == "1" and isinstance(body["num_segments"], str)
    assert (body["to"], body["from"], body["body"]) == (TO, OUR_NUMBER, "hello")
    assert body["messaging_service_sid"] is None and body["error_code"] is None
    assert body["date_created"] and body["account_sid"] == emulator.account_sid
    assert body["uri"] == f"/2010-04-01/Accounts/{emulator.account_sid}/Messages/{body['sid']}.json"
    [record] = emulator.messages
    assert record["status_callback"] == "https://example.com/s" and record["media_urls"] == []

    status, fetched, _ = await api(emulator, "GET", f"/Messages/{body['sid']}.json")
    assert status == 200 and fetched["sid"] == body["sid"]


async def test_messaging_service_message_is_accepted(emulator: TwilioEmulator):
    service = "MG" + "a" * 32
    status, body, _ = await api(
        emulator,
        "POST",
        "/Messages.json",
        data={"To": TO, "MessagingServiceSid": service, "Body": "x"},
    )
    assert status == 201
    assert (body["status"], body["num_segments"], body["from"]) == ("accepted", "0", None)
    assert body["messaging_service_sid"] == service


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("1" * 160, "1"),
        ("1" * 161, "2"),
        ("1" * 307, "3"),
        ("€" + "1" * 158, "1"),
        ("€" + "1" * 159, "2"),
        ("😜" + "1" * 68, "1"),
        ("😜" + "1" * 69, "2"),
        ("ú" * 70, "1"),
        ("ú" * 71, "2"),
    ],
)
async def test_num_segments(emulator: TwilioEmulator, text: str, segments: str):
    status, body = await send(emulator, Body=text)
    assert status == 201 and body["num_segments"] == segments


async def test_account_and_numbers_json(emulator_factory):
    emu = await emulator_factory(phone_numbers=["+15550100001", "+447700900123"])
    status, account, _ = await api(emu, "GET", ".json")
    assert status == 200
    assert {k: account[k] for k in ("sid", "status", "type")} == {
        "sid": emu.account_sid,
        "status": "active",
        "type": "Full",
    }
    assert account["friendly_name"]

    status, listing, _ = await api(emu, "GET", "/IncomingPhoneNumbers.json")
    numbers = listing["incoming_phone_numbers"]
    assert status == 200 and len(numbers) == 2 and listing["next_page_uri"] is None
    first = numbers[0]
    assert re.match(r"^PN[0-9a-f]{32}$", first["sid"])
    assert first["capabilities"] == {"sms": True, "mms": True, "voice": True, "fax": False}
    assert (first["sms_url"], first["sms_method"]) == ("", "POST")

    _, filtered, _ = await api(
        emu, "GET", "/IncomingPhoneNumbers.json", params={"PhoneNumber": "+447700900123"}
    )
    assert [n["phone_number"] for n in filtered["incoming_phone_numbers"]] == ["+447700900123"]

    status, updated, _ = await api(
        emu,
        "POST",
        f"/IncomingPhoneNumbers/{first['sid']}.json",
        data={"SmsUrl": "https://example.com/sms", "SmsMethod": "get"},
    )
    assert status == 200 and (updated["sms_url"], updated["sms_method"]) == (
        "https://example.com/sms",
        "GET",
    )


# -- auth ---------------------------------------------------------------------------------------


async def test_wrong_password_is_401_20003(emulator: TwilioEmulator):
    status, body, headers = await api(emulator, "GET", ".json", auth=(emulator.account_sid, "no"))
    assert status == 401
    assert body == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }
    assert "WWW-Authenticate" in headers


async def test_missing_auth_is_401(emulator: TwilioEmulator):
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{emulator.base_url}/2010-04-01/Accounts/{emulator.account_sid}.json") as r,
    ):
        assert r.status == 401 and (await r.json())["code"] == 20003


async def test_other_account_in_path_is_404(emulator: TwilioEmulator):
    status, body, _ = await api(emulator, "GET", ".json", account_sid="AC" + "9" * 32)
    assert (status, body["code"]) == (404, 20404)


async def test_unknown_path_is_twilio_json_404(emulator: TwilioEmulator):
    status, body, _ = await api(emulator, "GET", "/Calls.json")
    assert (status, body["code"], body["status"]) == (404, 20404, 404)


# -- message checks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"To": ""}, 21604),
        ({"To": "5551234"}, 21211),
        ({"To": "+0123456789"}, 21211),
        ({"From": ""}, 21603),
        ({"Body": ""}, 21602),
        ({"Body": "x" * 1601}, 21617),
        ({"From": "+15550109999"}, 21606),
    ],
)
async def test_message_validation_errors(emulator: TwilioEmulator, form: dict[str, str], code: int):
    form.setdefault("Body", "hi")
    status, body = await send(emulator, **form)
    assert (status, body["code"], body["status"]) == (400, code, 400)
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert body["message"]
    assert emulator.messages == []


async def test_body_of_exactly_1600_is_accepted(emulator: TwilioEmulator):
    status, body = await send(emulator, Body="x" * 1600)
    assert status == 201 and body["num_segments"] == "11"


async def test_opt_out_and_back_in(emulator: TwilioEmulator):
    emulator.opt_out(TO)
    status, body = await send(emulator, Body="hi")
    assert (status, body["code"]) == (400, 21610)
    emulator.opt_in(TO)
    status, _ = await send(emulator, Body="hi")
    assert status == 201


async def test_trial_account_needs_verified_numbers(emulator_factory):
    emu = await emulator_factory(account_type="Trial", verified_numbers=["+15550001111"])
    status, body = await send(emu, Body="hi")
    assert (status, body["code"]) == (400, 21608)
    status, _ = await send(emu, To="+15550001111", Body="hi")
    assert status == 201
    emu.verified_numbers.add(TO)
    status, _ = await send(emu, Body="hi")
    assert status == 201


async def test_requests_are_recorded(emulator: TwilioEmulator):
    await send(emulator, Body="hi", MediaUrl="https://example.com/x.jpg")
    await api(emulator, "GET", "/IncomingPhoneNumbers.json", params={"PhoneNumber": OUR_NUMBER})
    post, get = emulator.requests
    assert (post.method, post.status, post.form["Body"]) == ("POST", 201, "hi")
    assert (get.method, get.status, get.query["PhoneNumber"]) == ("GET", 200, OUR_NUMBER)
    assert get.path.endswith("/IncomingPhoneNumbers.json")
    assert emulator.messages[0]["media_urls"] == ["https://example.com/x.jpg"]
    assert emulator.messages[0]["sid"].startswith("MM")


async def test_wait_for_messages(emulator: TwilioEmulator):
    with pytest.raises(TimeoutError, match="expected 1 message"):
        await emulator.wait_for_messages(1, timeout=0.05)
    await send(emulator, Body="hi")
    [message] = await emulator.wait_for_messages(1, timeout=1)
    assert message["body"] == "hi"


# -- fault injection ----------------------------------------------------------------------------


async def test_fault_count_code_and_retry_after(emulator: TwilioEmulator):
    emulator.inject_fault(429, count=2, retry_after=1.5)
    results = [await api(emulator, "POST", "/Messages.json", data={"To": TO}) for _ in range(3)]
    assert [r[0] for r in results[:2]] == [429, 429]
    assert results[0][1]["code"] == 20429 and results[0][2]["Retry-After"] == "1.5"
    # After the faults run out the request is handled normally (here: a 21603 validation error).
    assert results[2][0] == 400


async def test_fault_after_lets_the_first_requests_through(emulator: TwilioEmulator):
    emulator.inject_fault(400, code=21610, after=2, count=1)
    statuses = [(await send(emulator, Body=f"part {i}"))[0] for i in range(4)]
    assert statuses == [201, 201, 400, 201]
    assert [m["body"] for m in emulator.messages] == ["part 0", "part 1", "part 3"]
    with pytest.raises(ValueError, match="after"):
        emulator.inject_fault(500, after=-1)


async def test_fault_only_matches_its_path(emulator: TwilioEmulator):
    emulator.inject_fault(503, code=20503)
    status, _, _ = await api(emulator, "GET", ".json")
    assert status == 200
    status, body = await send(emulator, Body="x")
    assert (status, body["code"]) == (503, 20503)
    emulator.clear_faults()
    status, _ = await send(emulator, Body="x")
    assert status == 201


async def test_fault_share_is_seeded_and_deterministic(emulator_factory):
    patterns = []
    for _ in range(2):
        emu = await emulator_factory(seed=42)
        emu.inject_fault(500, share=0.5)
        for _ in range(20):
            await send(emu, Body="x")
        patterns.append([r.status for r in emu.requests])
    assert patterns[0] == patterns[1]
    assert set(patterns[0]) == {201, 500}


async def test_latency_only_fault(emulator: TwilioEmulator):
    # While its latency runs, the request is held: a request without the fault, sent after
    # it, is answered first. The latency is far longer than any request could take, so the
    # order cannot depend on how busy the machine is; the held request is given up on.
    held_fault = emulator.inject_fault(None, latency=600, count=1)
    held = asyncio.create_task(send(emulator, Body="held"))
    async with asyncio.timeout(30):
        while not held_fault.fired:
            await asyncio.sleep(0.01)
    status, _ = await send(emulator, Body="not held")
    assert status == 201
    assert not held.done()
    assert held_fault.fired == 1
    assert [m["body"] for m in emulator.messages] == ["not held"]
    held.cancel()
    with pytest.raises(asyncio.CancelledError):
        await held

    # Once the latency is over, the request is processed normally (status=None: no error).
    fault = emulator.inject_fault(None, latency=0.01, count=1)
    status, body = await send(emulator, Body="late")
    assert status == 201 and body["body"] == "late"
    assert fault.fired == 1
    assert [m["body"] for m in emulator.messages] == ["not held", "late"]
    assert emulator.requests[-1].status == 201 and not emulator.requests[-1].abandoned


async def test_stop_does_not_wait_for_injected_latency(twilio_creds):
    emu = TwilioEmulator(twilio_creds.account_sid, twilio_creds.auth_token)
    await emu.start()
    # Longer than the suite's per-test timeout: if stop() waited for it, the test would fail.
    emu.inject_fault(None, latency=3600, path_contains="/Accounts/")
    async with TwilioClient(
        emu.account_sid, emu.auth_token, base_url=emu.base_url, max_attempts=1
    ) as client:
        pending = asyncio.create_task(client.fetch_account())
        while not emu.requests:
            await asyncio.sleep(0.005)
        await emu.stop()
        with pytest.raises(TwilioError):
            await pending
    assert emu.requests[0].abandoned


# -- status callbacks ---------------------------------------------------------------------------


async def test_status_callbacks_are_signed(emulator_factory, receiver: Receiver):
    emu = await emulator_factory(send_status_callbacks=True)
    callback_url = receiver.base_url + "/status?x=1"
    _, body = await send(emu, Body="hi", StatusCallback=callback_url)
    hits = await receiver.wait(2)
    assert all(hit.valid for hit in hits)
    assert all(hit.url == callback_url for hit in hits)
    assert [hit.form["MessageStatus"] for hit in hits] == ["sent", "delivered"]
    for hit in hits:
        assert hit.form["MessageSid"] == body["sid"] and hit.form["SmsStatus"] in (
            "sent",
            "delivered",
        )
        assert (hit.form["AccountSid"], hit.form["From"], hit.form["To"]) == (
            emu.account_sid,
            OUR_NUMBER,
            TO,
        )
    await emu.wait_for_callbacks(2)
    assert emu.messages[0]["status"] == "delivered"
    _, fetched, _ = await api(emu, "GET", f"/Messages/{body['sid']}.json")
    assert fetched["status"] == "delivered"


async def test_delivery_failure_callback(emulator_factory, receiver: Receiver):
    emu = await emulator_factory(send_status_callbacks=True)
    emu.fail_delivery(TO, 30006)
    await send(emu, Body="hi", StatusCallback=receiver.base_url + "/status")
    sent, failed = await receiver.wait(2)
    assert (failed.form["MessageStatus"], failed.form["ErrorCode"]) == ("undelivered", "30006")
    assert "ErrorCode" not in sent.form and failed.valid


async def test_unreachable_callback_is_ignored(emulator_factory):
    emu = await emulator_factory(send_status_callbacks=True)
    await send(emu, Body="hi", StatusCallback="http://127.0.0.1:9/status")
    callbacks = await emu.wait_for_callbacks(2)
    assert all(cb.status is None and cb.error for cb in callbacks)
    status, _ = await send(emu, Body="still serving")
    assert status == 201


async def test_no_callbacks_unless_enabled(emulator: TwilioEmulator, receiver: Receiver):
    await send(emulator, Body="hi", StatusCallback=receiver.base_url + "/status")
    await asyncio.sleep(0.05)
    assert receiver.hits == [] and emulator.messages[0]["status"] == "queued"


# -- the pretend phone --------------------------------------------------------------------------


async def test_post_inbound_is_signed_like_twilio(twilio_creds, receiver: Receiver):
    url = receiver.base_url + "/sms"
    result = await post_inbound(
        url,
        auth_token=twilio_creds.auth_token,
        account_sid=twilio_creds.account_sid,
        from_=TO,
        to=OUR_NUMBER,
        body="What's the weather? ☀",
    )
    assert result.status == 200 and result.text == "<Response></Response>"
    assert SID_RE.match(result.message_sid)
    [hit] = receiver.hits
    assert hit.valid and hit.signature
    form = hit.form
    assert form["MessageSid"] == form["SmsSid"] == form["SmsMessageSid"] == result.message_sid
    assert (form["From"], form["To"], form["Body"]) == (TO, OUR_NUMBER, "What's the weather? ☀")
    assert (form["NumMedia"], form["NumSegments"], form["SmsStatus"]) == ("0", "1", "received")
    assert (form["ApiVersion"], form["AccountSid"]) == ("2010-04-01", twilio_creds.account_sid)
    assert dict(form) == result.params


async def test_post_inbound_media_extra_and_proxy_url(twilio_creds, receiver: Receiver):
    receiver.public_url = "https://hermes.example.com/sms"
    result = await post_inbound(
        receiver.base_url + "/sms",
        auth_token=twilio_creds.auth_token,
        account_sid=twilio_creds.account_sid,
        from_=TO,
        to=OUR_NUMBER,
        body="",
        media=[
            ("https://api.twilio.com/m/1", "image/jpeg"),
            ("https://api.twilio.com/m/2", "image/png"),
        ],
        extra={"OptOutType": "STOP", "MessagingServiceSid": "MG" + "b" * 32},
        signature_url="https://hermes.example.com/sms",
    )
    assert re.match(r"^MM[0-9a-f]{32}$", result.message_sid)
    [hit] = receiver.hits
    assert hit.valid
    assert hit.form["NumMedia"] == "2"
    assert hit.form["MediaUrl1"] == "https://api.twilio.com/m/2"
    assert hit.form["MediaContentType0"] == "image/jpeg"
    assert hit.form["OptOutType"] == "STOP"


async def test_unsigned_or_wrongly_signed_inbound_fails_validation(
    twilio_creds, receiver: Receiver
):
    common = {"account_sid": twilio_creds.account_sid, "from_": TO, "to": OUR_NUMBER, "body": "x"}
    await post_inbound(
        receiver.base_url + "/sms", auth_token=twilio_creds.auth_token, sign=False, **common
    )
    await post_inbound(receiver.base_url + "/sms", auth_token="other-token", **common)
    await post_inbound(
        receiver.base_url + "/sms",
        auth_token=twilio_creds.auth_token,
        headers={SIGNATURE_HEADER: "forged"},
        **common,
    )
    unsigned, wrong_token, forged = receiver.hits
    assert unsigned.signature is None and not unsigned.valid
    assert not wrong_token.valid and not forged.valid


async def test_post_status_callback_helper(twilio_creds, receiver: Receiver):
    sid = new_message_sid()
    result = await post_status_callback(
        receiver.base_url + "/status",
        auth_token=twilio_creds.auth_token,
        account_sid=twilio_creds.account_sid,
        message_sid=sid,
        message_status="failed",
        from_=OUR_NUMBER,
        to=TO,
        error_code=30003,
    )
    assert result.status == 200 and result.message_sid == sid
    [hit] = receiver.hits
    assert hit.valid and hit.form["ErrorCode"] == "30003" and hit.form["MessageStatus"] == "failed"


async def test_deliver_inbound_uses_configured_webhook(
    emulator: TwilioEmulator, receiver: Receiver
):
    with pytest.raises(RuntimeError, match="no SmsUrl"):
        await emulator.deliver_inbound(TO, "hi")
    async with TwilioClient(
        emulator.account_sid, emulator.auth_token, base_url=emulator.base_url
    ) as client:
        [number] = await client.list_incoming_numbers(OUR_NUMBER)
        await client.update_sms_webhook(number.sid, receiver.base_url + "/sms")
    result = await emulator.deliver_inbound(TO, "hello there")
    assert result.status == 200
    [hit] = receiver.hits
    assert hit.valid and hit.form["Body"] == "hello there" and hit.form["To"] == OUR_NUMBER


async def test_emulator_serves_a_subprocess(emulator: TwilioEmulator):
    # The CLI tests run `hermes-sms send` in a subprocess against this fixture: the emulator must
    # keep answering while the test awaits the child, and record what it sent.
    script = """
import base64, os, sys, urllib.parse, urllib.request
sid, token, base = sys.argv[1:4]
data = urllib.parse.urlencode({"To": "+15557654321", "From": "+15550100001", "Body": "hi"})
req = urllib.request.Request(
    f"{base}/2010-04-01/Accounts/{sid}/Messages.json", data=data.encode(), method="POST"
)
req.add_header("Authorization", "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode())
print(urllib.request.urlopen(req, timeout=5).status)
"""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        emulator.account_sid,
        emulator.auth_token,
        emulator.base_url,
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await asyncio.wait_for(proc.communicate(), timeout=20)
    assert proc.returncode == 0 and stdout.strip() == b"201"
    [message] = emulator.messages
    assert message["body"] == "hi"


async def test_body_limit_counts_utf16_units(twilio_client) -> None:
    from hermes_sms.twilio.errors import TwilioError

    with pytest.raises(TwilioError) as info:
        await twilio_client.create_message(
            to="+15550100002", from_="+15550100001", body="\U0001f600" * 801
        )
    assert info.value.code == 21617
    sent = await twilio_client.create_message(
        to="+15550100002", from_="+15550100001", body="\U0001f600" * 800
    )
    assert sent.sid.startswith("SM")


# -- message status controls ----------------------------------------------------------------------


async def test_mark_message_failed_shows_in_the_listing_by_from(emulator_factory):
    other = "+15550100009"
    emu = await emulator_factory(phone_numbers=[OUR_NUMBER, other])
    _, ours = await send(emu, Body="ours")
    _, theirs = await send(emu, Body="from the other number", From=other)
    emu.mark_message(ours["sid"], "undelivered", 30034)

    status, listing, _ = await api(emu, "GET", "/Messages.json", params={"From": OUR_NUMBER})
    assert status == 200
    [item] = listing["messages"]
    assert (item["sid"], item["status"], item["error_code"]) == (ours["sid"], "undelivered", 30034)
    # Undelivered means it left Twilio first: it has a date_sent, like Twilio's.
    assert item["date_sent"] and item["from"] == OUR_NUMBER
    # The recorded copy and the single-message resource agree.
    assert emu.messages[0]["status"] == "undelivered" and emu.messages[0]["error_code"] == 30034
    _, fetched, _ = await api(emu, "GET", f"/Messages/{ours['sid']}.json")
    assert fetched["error_code"] == 30034
    _, untouched, _ = await api(emu, "GET", f"/Messages/{theirs['sid']}.json")
    assert (untouched["status"], untouched["error_code"]) == ("queued", None)


async def test_mark_message_failed_never_sent_and_delivered(emulator: TwilioEmulator):
    _, first = await send(emulator, Body="one")
    _, second = await send(emulator, Body="two")
    emulator.mark_message(first["sid"], "failed", 30032)
    emulator.mark_message(second["sid"], "delivered")
    _, listing, _ = await api(emulator, "GET", "/Messages.json", params={"PageSize": "1"})
    [newest] = listing["messages"]
    assert (newest["sid"], newest["status"], newest["error_code"]) == (
        second["sid"],
        "delivered",
        None,
    )
    _, failed, _ = await api(emulator, "GET", f"/Messages/{first['sid']}.json")
    assert (failed["status"], failed["error_code"], failed["date_sent"]) == ("failed", 30032, None)


async def test_mark_message_refuses_unknown_sids_and_codes_on_success(emulator: TwilioEmulator):
    with pytest.raises(KeyError):
        emulator.mark_message("SM" + "0" * 32, "failed", 30034)
    _, body = await send(emulator, Body="hi")
    with pytest.raises(ValueError):
        emulator.mark_message(body["sid"], "delivered", 30034)
