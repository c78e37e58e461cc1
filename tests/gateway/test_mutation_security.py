"""Security rules a mutation audit found unguarded: each test fails when the rule is broken.

A real gateway on 127.0.0.1, the Twilio emulator and signed webhooks, as in the other
gateway tests; see test_gateway_security.py for the rules' first line of tests.
"""

from __future__ import annotations

from harness import ALICE, BOB, OUR_NUMBER, STRANGER, StartGateway
from yarl import URL

from hermes_sms.home import DATABASE_NAME
from hermes_sms.sandbox import post_inbound, post_status_callback
from hermes_sms.store import read_opt_out

PUBLIC = "https://sms.example.com/webhooks/twilio"


async def nothing_happened(gw) -> None:
    await gw.settle()
    assert gw.llm.chat_requests == []
    assert gw.emulator.messages == []


# --- signatures: the query string is part of the signed URL ---------------------------------


async def test_query_string_of_the_webhook_url_is_signed_exactly(
    start_gateway: StartGateway,
) -> None:
    """Twilio signs the URL with its query, byte for byte (`%7E` is not `~`)."""
    gw = await start_gateway()
    signed = gw.webhook_url + "?tenant=a%7Eb"
    # encoded=True: the client must send the query as written, not requote it.
    ok = await post_inbound(
        URL(signed, encoded=True),
        auth_token=gw.auth_token,
        account_sid=gw.account_sid,
        from_=ALICE,
        to=OUR_NUMBER,
        body="with a query",
        signature_url=signed,
    )
    assert ok.status == 200
    # A signature over the URL without its query does not cover one with it.
    refused = await post_inbound(
        URL(signed, encoded=True),
        auth_token=gw.auth_token,
        account_sid=gw.account_sid,
        from_=ALICE,
        to=OUR_NUMBER,
        body="query not signed",
        signature_url=gw.webhook_url,
    )
    assert refused.status == 403
    await gw.settle()
    assert gw.replies_to(ALICE) == ["You said: with a query"]


async def test_insecure_mode_still_refuses_another_account(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_INSECURE_NO_SIGNATURE="true")
    result = await gw.text("not ours", sign=False, account_sid="AC" + "9" * 32)
    assert result.status == 403
    await nothing_happened(gw)
    assert gw.store.count("inbound") == 0


# --- status callbacks -----------------------------------------------------------------------


async def test_status_callback_url_keeps_the_webhook_query(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_WEBHOOK_URL=PUBLIC + "?site=a")
    assert (await gw.text("hello", signature_url=PUBLIC + "?site=a")).status == 200
    await gw.settle()
    (sent,) = gw.emulator.messages
    status_url = "https://sms.example.com/webhooks/twilio/status?site=a"
    assert sent["status_callback"] == status_url
    # And a callback signed for that URL is accepted there.
    result = await post_status_callback(
        f"{gw.base_url}/webhooks/twilio/status",
        auth_token=gw.auth_token,
        account_sid=gw.account_sid,
        message_sid=sent["sid"],
        message_status="delivered",
        from_=OUR_NUMBER,
        to=ALICE,
        signature_url=status_url,
    )
    assert result.status == 200
    (part,) = gw.store.parts_by_state("sent")
    assert part.delivery_status == "delivered"


async def test_21610_for_an_unknown_message_opts_nobody_out(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    result = await post_status_callback(
        gw.webhook_url + "/status",
        auth_token=gw.auth_token,
        account_sid=gw.account_sid,
        message_sid="SM" + "7" * 32,
        message_status="undelivered",
        from_=OUR_NUMBER,
        to=ALICE,
        error_code=21610,
    )
    assert result.status == 200
    assert gw.store.count("opt_outs") == 0
    assert "status undelivered for unknown message" in gw.log


async def test_other_delivery_errors_do_not_opt_out(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    await gw.text("hello")
    await gw.settle()
    (sent,) = gw.emulator.messages
    result = await post_status_callback(
        gw.webhook_url + "/status",
        auth_token=gw.auth_token,
        account_sid=gw.account_sid,
        message_sid=sent["sid"],
        message_status="undelivered",
        from_=OUR_NUMBER,
        to=ALICE,
        error_code=30003,
    )
    assert result.status == 200
    assert not gw.store.is_opted_out(ALICE)
    await gw.text("still here")
    await gw.settle()
    assert gw.replies_to(ALICE) == ["You said: hello", "You said: still here"]


# --- the allowlist ----------------------------------------------------------------------------


async def test_stranger_texts_are_not_stored(start_gateway: StartGateway) -> None:
    """Only STOP/START from a stranger are recorded; anything else, HELP included, is dropped."""
    gw = await start_gateway()
    for body in ("let me in", "HELP", "info"):
        assert (await gw.text(body, from_=STRANGER)).status == 200
    await nothing_happened(gw)
    assert gw.store.count("inbound") == 0
    assert gw.log.count("ignored message from +1555***0099: not in SMS_ALLOWED_USERS") == 3


async def test_sender_written_in_another_form_is_the_allowed_number(
    start_gateway: StartGateway,
) -> None:
    gw = await start_gateway()
    assert (await gw.text("formatted", from_="+1 (555) 010-0002")).status == 200
    await gw.settle()
    assert gw.replies_to(ALICE) == ["You said: formatted"]


async def test_work_left_by_a_removed_number_is_not_sent_when_it_is_allowed_again(
    start_gateway: StartGateway,
) -> None:
    gw = await start_gateway()
    gw.emulator.inject_fault(500)  # Twilio keeps failing: the reply stays queued
    await gw.text("first")
    await gw.settle()
    await gw.text("second")  # waits behind the unsent reply
    await gw.settle()
    assert len(gw.store.unsent_parts(ALICE)) == 1
    assert [m.body for m in gw.store.pending_inbound(ALICE)] == ["second"]
    await gw.gateway.stop(grace=1)

    removed = await start_gateway(SMS_ALLOWED_USERS=BOB)
    await removed.settle()
    assert removed.store.unsent_parts(ALICE) == []
    assert removed.store.pending_inbound(ALICE) == []
    await removed.gateway.stop(grace=1)

    # Allowed again: what was dropped stays dropped (no stale reply, no old question asked).
    gw.emulator.clear_faults()
    again = await start_gateway()
    await again.settle()
    assert again.emulator.messages == []
    assert len(again.llm.chat_requests) == 1  # "first", in the first run


# --- keywords -------------------------------------------------------------------------------


async def test_help_neither_opts_out_nor_opts_back_in(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    await gw.text("STOP")
    await gw.text("HELP")
    await gw.text("info", from_=BOB)
    await nothing_happened(gw)
    assert gw.store.is_opted_out(ALICE)
    assert not gw.store.is_opted_out(BOB)
    await gw.text("are you there?")  # still opted out: no agent, no SMS
    await nothing_happened(gw)


async def test_opt_out_records_the_keyword_as_texted(start_gateway: StartGateway) -> None:
    """`send` quotes it ("texted STOPALL on ..."): the trimmed, upper-case keyword."""
    gw = await start_gateway()
    await gw.text(" stopAll\n")
    await gw.settle()
    opt_out = read_opt_out(gw.settings.home / DATABASE_NAME, ALICE)
    assert opt_out is not None and opt_out.reason == "STOPALL"
