"""Sending: retries, refusals, opt-outs, delivery statuses, flood limits, agent failures."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from harness import ALICE, BOB, OUR_NUMBER, StartGateway

from hermes_sms import messages
from hermes_sms.home import DATABASE_NAME
from hermes_sms.sandbox import post_status_callback
from hermes_sms.store import FAILED, SENT, SKIPPED, Store


async def wait_until(condition, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


async def test_twilio_429_then_success_sends_once(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    gw.emulator.inject_fault(429, count=2)
    await gw.text("busy?")
    await gw.settle()
    assert gw.replies_to(ALICE) == ["You said: busy?"]
    creates = [r for r in gw.emulator.requests if r.method == "POST" and "Messages" in r.path]
    assert len(creates) == 3


async def test_twilio_500_outlasting_retries_is_kept_and_sent_later(
    start_gateway: StartGateway,
) -> None:
    gw = await start_gateway()
    # Four 500s in a row, on sends and on message-log look-ups alike.
    gw.emulator.inject_fault(500, count=4)
    await gw.text("are you there?")
    # The part stays queued and a timer (shortened in tests) sends it later, once.
    await gw.emulator.wait_for_messages(1, timeout=10)
    await gw.settle()
    assert "deferred, will retry" in gw.log
    assert gw.replies_to(ALICE) == ["You said: are you there?"]
    assert gw.store.count("outbound", state=SENT) == 1
    # A 500 may hide an accepted message: never a blind resend. Every send after a failed
    # one comes after a look-up in Twilio's message log that answered (and found nothing).
    calls = [
        (r.method, r.status) for r in gw.emulator.requests if r.path.endswith("/Messages.json")
    ]
    assert calls[0] == ("POST", 500) and calls[-1] == ("POST", 201)
    for before, after in itertools.pairwise(calls):
        if after[0] == "POST":
            assert before == ("GET", 200), calls
    assert [status for _, status in calls].count(500) == 4


async def test_permanent_refusal_is_recorded_not_retried(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    gw.emulator.inject_fault(400, code=21408, count=1)
    await gw.text("far away")
    await gw.settle()
    assert gw.store.count("outbound", state=FAILED) == 1
    assert gw.emulator.messages == []
    assert "21408" in gw.log


async def test_21610_on_send_marks_number_opted_out(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    gw.emulator.opt_out(ALICE)
    await gw.text("hi")
    await gw.settle()
    assert gw.store.is_opted_out(ALICE)
    assert gw.emulator.messages == []
    # Later texts (not START) get no agent call and no SMS.
    calls = len(gw.llm.chat_requests)
    await gw.text("hello again")
    await gw.settle()
    assert len(gw.llm.chat_requests) == calls


async def test_stop_keyword_opts_out_without_reply_or_agent(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    for keyword in ("STOP", "stop ", "Unsubscribe"):
        await gw.text(keyword)
    await gw.settle()
    assert gw.llm.chat_requests == []
    assert gw.emulator.messages == []
    assert gw.store.is_opted_out(ALICE)
    await gw.text("are you still there")
    await gw.settle()
    assert gw.llm.chat_requests == [] and gw.emulator.messages == []
    await gw.text("START")
    await gw.settle()
    assert not gw.store.is_opted_out(ALICE)
    assert gw.emulator.messages == []  # Twilio answers START itself
    await gw.text("back")
    await gw.settle()
    assert gw.replies_to(ALICE) == ["You said: back"]


async def test_help_and_info_keywords_never_reach_agent(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    await gw.text("HELP")
    await gw.text("info")
    await gw.settle()
    assert gw.llm.chat_requests == [] and gw.emulator.messages == []


async def test_stop_drops_reply_still_queued(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    gw.emulator.inject_fault(500)  # Twilio keeps failing: the reply stays queued
    await gw.text("question")
    await gw.settle()
    assert len(gw.store.unsent_parts(ALICE)) == 1
    await gw.text("STOP")
    gw.emulator.clear_faults()
    gw.gateway.worker.wake(ALICE)
    await gw.settle()
    assert gw.emulator.messages == []
    assert gw.store.count("outbound", state=SKIPPED) == 1


async def test_status_callbacks_update_parts(start_gateway: StartGateway) -> None:
    gw = await start_gateway(with_webhook_url=True)
    gw.emulator.send_status_callbacks = True
    await gw.text("track me")
    await gw.settle()
    (sent,) = gw.emulator.messages
    assert sent["status_callback"] == gw.settings.webhook_url + "/status"
    await gw.emulator.wait_for_callbacks(2)
    await gw.settle()
    (part,) = gw.store.parts_by_state(SENT)
    assert part.twilio_sid == sent["sid"]
    assert part.delivery_status == "delivered"


async def test_undelivered_status_records_error_code(start_gateway: StartGateway) -> None:
    gw = await start_gateway(with_webhook_url=True)
    gw.emulator.send_status_callbacks = True
    gw.emulator.fail_delivery(ALICE, 30003)
    await gw.text("unreachable phone")
    await gw.settle()
    await gw.emulator.wait_for_callbacks(2)
    (part,) = gw.store.parts_by_state(SENT)
    assert (part.delivery_status, part.error_code) == ("undelivered", 30003)
    assert "undelivered (error 30003: Delivery failed" in gw.log


async def test_status_callback_21610_marks_opt_out(start_gateway: StartGateway) -> None:
    gw = await start_gateway(with_webhook_url=True)
    await gw.text("hello")
    await gw.settle()
    (sent,) = gw.emulator.messages
    url = gw.settings.webhook_url + "/status"
    result = await post_status_callback(
        url,
        auth_token=gw.auth_token,
        account_sid=gw.account_sid,
        message_sid=sent["sid"],
        message_status="failed",
        from_=OUR_NUMBER,
        to=ALICE,
        error_code=21610,
    )
    assert result.status == 200
    assert gw.store.is_opted_out(ALICE)


async def test_status_callback_needs_valid_signature(start_gateway: StartGateway) -> None:
    gw = await start_gateway(with_webhook_url=True)
    url = gw.settings.webhook_url + "/status"
    result = await post_status_callback(
        url,
        auth_token="wrong-token-000000000000",
        account_sid=gw.account_sid,
        message_sid="SM" + "0" * 32,
        message_status="delivered",
        from_=OUR_NUMBER,
        to=ALICE,
    )
    assert result.status == 403


async def test_flood_limit_drops_excess_with_one_notice(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_RATE_LIMIT="3/600")
    for i in range(8):
        result = await gw.text(f"message {i}")
        assert result.status == 200
        await gw.settle()
    replies = gw.replies_to(ALICE)
    assert len(gw.llm.chat_requests) == 3
    assert replies.count(messages.RATE_LIMIT_NOTICE) == 1
    assert len(replies) == 4
    # Another sender is not affected.
    await gw.text("hi", from_=BOB)
    await gw.settle()
    assert gw.replies_to(BOB) == ["You said: hi"]


async def test_agent_down_sends_one_short_apology(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_AGENT_URL="http://127.0.0.1:9/v1")
    await gw.text("hello?")
    await gw.settle()
    assert gw.replies_to(ALICE) == [messages.AGENT_APOLOGY]
    assert "agent failed for +1555***0002" in gw.log


async def test_agent_errors_and_garbage_never_reach_the_user(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    gw.llm.fail_with(500, count=1, message="Traceback (most recent call last): boom")
    await gw.text("one")
    await gw.settle()
    gw.llm.garbage(count=1)
    await gw.text("two")
    await gw.settle()
    assert gw.replies_to(ALICE) == [messages.AGENT_APOLOGY, messages.AGENT_APOLOGY]
    # The failed turns left no half-written history behind.
    assert gw.store.history(ALICE, 10) == []


async def test_agent_timeout_sends_apology(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_AGENT_TIMEOUT="0.3")
    gw.llm.delay = 5
    await gw.text("slow")
    await gw.settle()
    assert gw.replies_to(ALICE) == [messages.AGENT_APOLOGY]


async def test_messaging_service_used_instead_of_from(start_gateway: StartGateway) -> None:
    service = "MG" + "1" * 32
    gw = await start_gateway(TWILIO_MESSAGING_SERVICE_SID=service)
    await gw.text("via service")
    await gw.settle()
    (sent,) = gw.emulator.messages
    assert sent["messaging_service_sid"] == service
    assert sent["from"] is None


async def test_stop_with_grace_keeps_unfinished_turns_queued(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_AGENT_TIMEOUT="30")
    gw.llm.delay = 20
    await gw.text("never finishes before shutdown")
    await gw.gateway.stop(grace=0.2)
    # Still pending on disk for the next start; nothing was sent.
    assert gw.emulator.messages == []
    reopened = Store.open(gw.settings.home / DATABASE_NAME)
    assert [m.body for m in reopened.pending_inbound(ALICE)] == ["never finishes before shutdown"]
    reopened.close()


async def test_database_not_writable_answers_503(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    # SQLite's own read-only switch: every write now fails as on a read-only file.
    gw.store._db.execute("PRAGMA query_only = ON")
    result = await gw.text("will this be lost?")
    assert result.status == 503  # Twilio logs the failure: visible, not silent
    assert "could not store message" in gw.log
    gw.store._db.execute("PRAGMA query_only = OFF")
    retry = await gw.text("will this be lost?", message_sid=result.message_sid)
    assert retry.status == 200
    await gw.settle()
    assert gw.replies_to(ALICE) == ["You said: will this be lost?"]


async def test_sigterm_sends_a_reply_finished_within_grace(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    gw.llm.delay = 0.3
    await gw.text("answer before you go")
    await gw.gateway.stop(grace=5)
    assert gw.replies_to(ALICE) == ["You said: answer before you go"]


async def test_work_from_a_number_no_longer_allowed_is_dropped(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    gw.llm.delay = 30
    await gw.text("hi from a soon-removed user")
    await gw.gateway.stop(grace=0.1)
    # Restart with the number removed from SMS_ALLOWED_USERS: the left-over work is dropped.
    gw2 = await start_gateway(SMS_ALLOWED_USERS=BOB)
    gw2.llm.delay = 0
    await gw2.settle()
    assert gw2.llm.chat_requests == [] or all(
        "soon-removed" not in str(r.json) for r in gw2.llm.chat_requests[1:]
    )
    assert gw2.replies_to(ALICE) == []
    assert "no longer in SMS_ALLOWED_USERS" in gw2.log


async def test_odd_error_codes_in_status_callbacks_are_not_5xx(start_gateway: StartGateway) -> None:
    gw = await start_gateway(with_webhook_url=True)
    url = gw.settings.webhook_url + "/status"
    for code in ("\u00b2", "9" * 40, "-1", "abc"):
        result = await post_status_callback(
            url,
            auth_token=gw.auth_token,
            account_sid=gw.account_sid,
            message_sid="SM" + "1" * 32,
            message_status="failed",
            from_=OUR_NUMBER,
            to=ALICE,
            extra={"ErrorCode": code},
        )
        assert result.status == 200, code


@pytest.mark.parametrize(
    "keyword",
    ["STOP", "stopall", "Unsubscribe", "CANCEL", "end", "QUIT", "revoke", " OptOut\n"],
)
async def test_every_opt_out_keyword(start_gateway: StartGateway, keyword: str) -> None:
    gw = await start_gateway()
    await gw.text(keyword)
    await gw.settle()
    assert gw.store.is_opted_out(ALICE)
    assert gw.llm.chat_requests == [] and gw.emulator.messages == []


@pytest.mark.parametrize("keyword", ["start", "YES", "Unstop"])
async def test_every_opt_in_keyword(start_gateway: StartGateway, keyword: str) -> None:
    gw = await start_gateway()
    await gw.text("STOP")
    await gw.text(keyword)
    await gw.settle()
    assert not gw.store.is_opted_out(ALICE)
    assert gw.llm.chat_requests == [] and gw.emulator.messages == []


async def test_keyword_inside_a_sentence_is_an_ordinary_message(
    start_gateway: StartGateway,
) -> None:
    gw = await start_gateway()
    await gw.text("please stop that")
    await gw.settle()
    assert not gw.store.is_opted_out(ALICE)
    assert gw.replies_to(ALICE) == ["You said: please stop that"]


async def test_stop_during_a_failing_turn_gets_no_apology(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    release = asyncio.Event()

    async def held_then_fails(messages):
        await release.wait()
        return ""  # an empty answer is an agent failure: an apology would be queued

    gw.llm.responder = held_then_fails
    await gw.text("question")
    await wait_until(lambda: len(gw.llm.chat_requests) == 1)
    await gw.text("STOP")
    release.set()
    await gw.settle()
    assert gw.emulator.messages == []
    assert gw.store.count("outbound", kind="apology", state=SKIPPED) == 1


async def test_no_rate_limit_notice_to_an_opted_out_number(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_RATE_LIMIT="1/600")
    await gw.text("first")
    await gw.settle()
    await gw.text("STOP")
    for i in range(3):
        await gw.text(f"flood {i}")
    await gw.settle()
    assert gw.replies_to(ALICE) == ["You said: first"]


async def test_no_status_callback_without_webhook_url(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    await gw.text("untracked")
    await gw.settle()
    (sent,) = gw.emulator.messages
    assert sent["status_callback"] is None


async def test_late_status_callback_does_not_undo_delivered(start_gateway: StartGateway) -> None:
    # Twilio does not promise the order of status callbacks: a late "sent" must not
    # overwrite "delivered".
    gw = await start_gateway(with_webhook_url=True)
    await gw.text("hello")
    await gw.settle()
    (sent,) = gw.emulator.messages
    url = gw.settings.webhook_url + "/status"
    for status in ("delivered", "sent", "queued"):
        result = await post_status_callback(
            url,
            auth_token=gw.auth_token,
            account_sid=gw.account_sid,
            message_sid=sent["sid"],
            message_status=status,
            from_=OUR_NUMBER,
            to=ALICE,
        )
        assert result.status == 200
    (part,) = gw.store.parts_by_state(SENT)
    assert part.delivery_status == "delivered"


async def test_reply_empty_once_formatted_gets_the_apology(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    gw.llm.responder = lambda messages: "---\n\n<br>"
    await gw.text("say nothing")
    await gw.settle()
    assert gw.replies_to(ALICE) == [messages.AGENT_APOLOGY]
    assert gw.store.history(ALICE, 10) == []
    assert "reply was empty once formatted" in gw.log
