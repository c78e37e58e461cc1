"""Webhook security: signatures fail closed, bad input is refused, strangers get nothing."""

from __future__ import annotations

import asyncio

import aiohttp
from harness import ALICE, OUR_NUMBER, STRANGER, StartGateway

from hermes_sms.sandbox import new_message_sid, post_inbound
from hermes_sms.twilio.signature import compute_signature


async def post_raw(url: str, data: bytes | str, headers: dict[str, str]) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=data, headers=headers) as response:
            return response.status, await response.text()


def signed_form(gw, url: str, **fields: str) -> tuple[dict[str, str], dict[str, str]]:
    params = {
        "MessageSid": new_message_sid(),
        "AccountSid": gw.account_sid,
        "From": ALICE,
        "To": OUR_NUMBER,
        "Body": "hello",
        **fields,
    }
    headers = {"X-Twilio-Signature": compute_signature(gw.auth_token, url, params)}
    return params, headers


async def nothing_happened(gw) -> None:
    await gw.settle()
    assert gw.llm.chat_requests == []
    assert gw.emulator.messages == []


async def test_missing_signature_is_403(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    result = await gw.text("hi", sign=False)
    assert result.status == 403
    await nothing_happened(gw)
    assert gw.store.count("inbound") == 0
    assert "missing X-Twilio-Signature" in gw.log


async def test_signature_with_wrong_token_is_403(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    result = await gw.text("hi", auth_token="not-the-token-0000000000")
    assert result.status == 403
    await nothing_happened(gw)


async def test_tampered_body_is_403(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    params, headers = signed_form(gw, gw.webhook_url)
    params["Body"] = "something else"
    status, _ = await post_raw(gw.webhook_url, _encode(params), {**headers, **FORM})
    assert status == 403
    await nothing_happened(gw)


async def test_signature_over_url_with_default_port_is_accepted(
    start_gateway: StartGateway,
) -> None:
    # Twilio may sign https://host:443/... for https://host/...; behind a tunnel the public URL
    # is what was signed, and SMS_WEBHOOK_URL names it.
    gw = await start_gateway(SMS_WEBHOOK_URL="https://sms.example.com/webhooks/twilio")
    result = await gw.text("hi", signature_url="https://sms.example.com:443/webhooks/twilio")
    assert result.status == 200
    await gw.settle()
    assert gw.replies_to(ALICE) == ["You said: hi"]


async def test_configured_url_is_what_is_checked(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_WEBHOOK_URL="https://sms.example.com/webhooks/twilio")
    # Signed for the local address, but Twilio signs the public one: refused.
    result = await gw.text("hi")
    assert result.status == 403
    ok = await gw.text("hi", signature_url="https://sms.example.com/webhooks/twilio")
    assert ok.status == 200


async def test_forwarded_headers_from_a_tunnel(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    public = "https://abc-123.trycloudflare.com/webhooks/twilio"
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "abc-123.trycloudflare.com"}
    result = await gw.text("through the tunnel", signature_url=public, headers=forwarded)
    assert result.status == 200
    await gw.settle()
    assert gw.replies_to(ALICE) == ["You said: through the tunnel"]
    # Without the headers the same signature does not match the local URL.
    refused = await gw.text("again", signature_url=public)
    assert refused.status == 403


async def test_other_account_sid_is_403(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    result = await gw.text("hi", account_sid="AC" + "9" * 32)
    assert result.status == 403
    await nothing_happened(gw)


async def test_insecure_mode_skips_signature(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_INSECURE_NO_SIGNATURE="true")
    result = await gw.text("dev mode", sign=False)
    assert result.status == 200
    await gw.settle()
    assert gw.replies_to(ALICE) == ["You said: dev mode"]


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _encode(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


async def test_oversize_body_is_413(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    params, headers = signed_form(gw, gw.webhook_url, Body="x" * 70_000)
    status, _ = await post_raw(gw.webhook_url, _encode(params), {**headers, **FORM})
    assert status == 413
    await nothing_happened(gw)


async def test_malformed_bodies_are_400(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    cases = [
        (b"\xff\xfe\x00garbage=%ZZ", FORM),
        (b"Body=%C3%28", FORM),  # percent-encoded invalid UTF-8
        (b'{"Body": "json"}', {"Content-Type": "application/json"}),
        (b"", {"Content-Type": "text/plain"}),
    ]
    for data, headers in cases:
        status, _ = await post_raw(gw.webhook_url, data, headers)
        assert status == 400, data
    # Signed but missing required fields.
    params = {"AccountSid": gw.account_sid, "Body": "no sender"}
    headers = {"X-Twilio-Signature": compute_signature(gw.auth_token, gw.webhook_url, params)}
    status, _ = await post_raw(gw.webhook_url, _encode(params), {**headers, **FORM})
    assert status == 400
    await nothing_happened(gw)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{gw.base_url}/health") as response:
            assert response.status == 200


async def test_stranger_gets_no_agent_and_no_sms(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    result = await gw.text("let me in", from_=STRANGER)
    assert result.status == 200  # acknowledged: an error would only make Twilio retry
    await nothing_happened(gw)
    assert "ignored message from +1555***0099: not in SMS_ALLOWED_USERS" in gw.log
    assert "+15550100099" not in gw.log


async def test_stranger_stop_and_start_are_still_recorded(start_gateway: StartGateway) -> None:
    """Nothing may ever go to a number that texted STOP, even one allowed only later."""
    gw = await start_gateway()
    assert (await gw.text("STOP", from_=STRANGER)).status == 200
    await nothing_happened(gw)
    assert gw.store.is_opted_out(STRANGER)
    assert "+1555***0099 opted out (STOP) (not in SMS_ALLOWED_USERS)" in gw.log
    await gw.text("start", from_=STRANGER)
    await nothing_happened(gw)
    assert not gw.store.is_opted_out(STRANGER)
    assert "+1555***0099 opted back in (START) (not in SMS_ALLOWED_USERS)" in gw.log
    await gw.text("HELP", from_=STRANGER)  # not an opt-out: just ignored, like any text
    await nothing_happened(gw)
    assert "+15550100099" not in gw.log


async def test_allowlist_written_with_spaces_and_dashes(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_ALLOWED_USERS="+1 (555) 010-0099")
    await gw.text("now I'm allowed", from_=STRANGER)
    await gw.settle()
    assert gw.replies_to(STRANGER) == ["You said: now I'm allowed"]
    await gw.text("but not me", from_=ALICE)
    await gw.settle()
    assert gw.replies_to(ALICE) == []


async def test_deny_all_when_no_allowlist(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_ALLOWED_USERS="")
    await gw.text("hello?")
    await nothing_happened(gw)


async def test_allow_all_users(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_ALLOWED_USERS="", SMS_ALLOW_ALL_USERS="true")
    await gw.text("anyone", from_=STRANGER)
    await gw.settle()
    assert gw.replies_to(STRANGER) == ["You said: anyone"]


async def test_messages_from_our_own_number_are_ignored(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_ALLOW_ALL_USERS="true")
    result = await gw.text("echo?", from_=OUR_NUMBER)
    assert result.status == 200
    await nothing_happened(gw)
    assert "(echo)" in gw.log


async def test_duplicate_message_sid_processed_once(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    sid = new_message_sid()
    first = await gw.text("once", message_sid=sid)
    await gw.settle()
    second = await gw.text("once", message_sid=sid)
    await gw.settle()
    assert (first.status, second.status) == (200, 200)
    assert len(gw.llm.chat_requests) == 1
    assert gw.replies_to(ALICE) == ["You said: once"]


async def test_concurrent_duplicate_deliveries_processed_once(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    sid = new_message_sid()
    results = await asyncio.gather(*(gw.text("same", message_sid=sid) for _ in range(5)))
    assert {r.status for r in results} == {200}
    await gw.settle()
    assert gw.replies_to(ALICE) == ["You said: same"]


async def test_ack_does_not_wait_for_a_slow_agent(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_AGENT_TIMEOUT="60")
    gw.llm.delay = 30.0  # far longer than Twilio's 15 s webhook timeout
    result = await gw.text("take your time")
    # Acknowledged, and stored, while the agent has not answered and nothing was sent.
    assert result.status == 200
    assert gw.store.count("inbound") == 1
    assert gw.emulator.messages == []


async def test_secrets_never_logged(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    await gw.text("hi")
    await gw.text("bad", auth_token="wrong-token-value-123456")
    await gw.settle()
    assert gw.auth_token not in gw.log
    assert ALICE not in gw.log


async def test_health(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{gw.base_url}/health") as response:
            body = await response.json()
    assert body["status"] == "ok"
    assert body["service"] == "hermes-sms-gateway"
    assert "version" in body
    assert gw.auth_token not in str(body) and gw.account_sid not in str(body)


async def test_post_inbound_helper_signs_for_the_url(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    result = await post_inbound(
        gw.webhook_url,
        auth_token=gw.auth_token,
        account_sid=gw.account_sid,
        from_=ALICE,
        to=OUR_NUMBER,
        body="direct",
    )
    assert result.status == 200


async def test_forwarded_proto_with_public_host_header_like_ngrok(
    start_gateway: StartGateway,
) -> None:
    # ngrok keeps the public Host header and adds only X-Forwarded-Proto: https.
    gw = await start_gateway()
    public = "https://pub.ngrok.app/webhooks/twilio"
    headers = {"X-Forwarded-Proto": "https", "Host": "pub.ngrok.app"}
    result = await gw.text("via ngrok", signature_url=public, headers=headers)
    assert result.status == 200
    await gw.settle()
    assert gw.replies_to(ALICE) == ["You said: via ngrok"]


async def test_forwarded_port_of_a_proxy_on_another_port(start_gateway: StartGateway) -> None:
    # nginx's usual `X-Forwarded-Host $host` drops the port; it is in X-Forwarded-Port.
    gw = await start_gateway()
    public = "https://sms.example.com:8443/webhooks/twilio"
    forwarded = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "sms.example.com",
        "X-Forwarded-Port": "8443",
    }
    result = await gw.text("odd port", signature_url=public, headers=forwarded)
    assert result.status == 200
    # The default port adds nothing: Twilio signed the URL without it.
    default = {**forwarded, "X-Forwarded-Port": "443"}
    plain = "https://sms.example.com/webhooks/twilio"
    assert (await gw.text("default port", signature_url=plain, headers=default)).status == 200
    # A port already in the forwarded host wins over X-Forwarded-Port.
    with_port = {**forwarded, "X-Forwarded-Host": "sms.example.com:8443", "X-Forwarded-Port": "9"}
    assert (await gw.text("host port", signature_url=public, headers=with_port)).status == 200
    await gw.settle()
    assert gw.replies_to(ALICE) == [
        "You said: odd port",
        "You said: default port",
        "You said: host port",
    ]


async def test_echo_from_our_number_even_when_allowlisted(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_ALLOWED_USERS=f"{ALICE},{OUR_NUMBER}")
    assert (await gw.text("loop?", from_=OUR_NUMBER)).status == 200
    await nothing_happened(gw)


async def test_numbers_inside_logged_text_are_redacted(start_gateway: StartGateway) -> None:
    # An agent's error can quote what the user wrote; the numbers in it must not be legible.
    gw = await start_gateway()
    gw.llm.fail_with(500, count=1, message="cannot call (555) 010-4567 or +44 20 7946 0958")
    await gw.text("call (555) 010-4567 or +44 20 7946 0958 for me")
    await gw.settle()
    (line,) = [ln for ln in gw.log.splitlines() if "agent failed for" in ln]
    assert "cannot call 555***4567 or +4420***0958" in line
    assert "5501" not in line and "7946" not in line


async def test_a_bug_answers_500_without_a_stack_trace(start_gateway: StartGateway) -> None:
    """The last line of defence: an exception nobody expected is logged in one redacted line
    and answered with a bare 500 (Twilio then retries), never a traceback."""
    gw = await start_gateway()

    def broken(messages):
        raise RuntimeError(f"bug while storing a message from {ALICE}")

    gw.store.record_inbound_batch = broken  # the store misbehaves; the routes are under test
    result = await gw.text("hello")
    assert result.status == 500
    assert result.text == "internal error"
    assert "Traceback" not in result.text + gw.log
    assert "internal error on /webhooks/twilio: RuntimeError: bug while storing" in gw.log
    assert ALICE not in gw.log and "+1555***0002" in gw.log
    assert (await gw.text("hi", sign=False)).status == 403  # and it keeps serving


async def test_shared_key_signature_is_refused_with_the_reason(start_gateway: StartGateway) -> None:
    import base64
    import hashlib
    import hmac

    gw = await start_gateway()
    params, _ = signed_form(gw, gw.webhook_url)
    payload = gw.webhook_url + "".join(k + params[k] for k in sorted(params))
    digest = hmac.new(b"some-shared-key-secret", payload.encode(), hashlib.sha256).digest()
    headers = {
        "X-Twilio-Signature": base64.b64encode(digest).decode(),
        "X-Twilio-Webhooks-Signature-Settings": "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256",
    }
    status, _ = await post_raw(gw.webhook_url, _encode(params), {**headers, **FORM})
    assert status == 403
    await nothing_happened(gw)
    assert "invalid X-Twilio-Signature" in gw.log
    assert "signed with a webhook SharedKey" in gw.log


async def test_auth_token_signature_passes_whatever_the_settings_header(
    start_gateway: StartGateway,
) -> None:
    gw = await start_gateway()
    params, headers = signed_form(gw, gw.webhook_url)
    headers["X-Twilio-Webhooks-Signature-Settings"] = "algorithm=HMAC_SHA1"
    status, _ = await post_raw(gw.webhook_url, _encode(params), {**headers, **FORM})
    assert status == 200
