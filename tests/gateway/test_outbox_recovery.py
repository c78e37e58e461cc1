"""A part interrupted mid-request (crash) is looked up at Twilio before being sent again."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from harness import ALICE, OUR_NUMBER

from hermes_sms.config import TwilioConfig
from hermes_sms.gateway.outbox import Outbox
from hermes_sms.store import SENDING, SENT, NewPart, Store
from hermes_sms.twilio.client import TwilioClient


@pytest.fixture
def store(tmp_path: Path):
    opened = Store.open(tmp_path / "sms.sqlite3")
    yield opened
    opened.close()


@pytest.fixture
def outbox(store: Store, twilio_client, twilio_creds) -> Outbox:
    return _outbox_with(store, twilio_client, twilio_creds)


async def test_part_accepted_before_crash_is_not_sent_again(
    store: Store, outbox: Outbox, twilio_client, emulator
) -> None:
    (part_id,) = store.queue_outbound(ALICE, [NewPart("the answer", "GSM-7", 1)], kind="reply")
    store.mark_sending(part_id)
    # Twilio accepted it, then the gateway died before writing down the SID.
    accepted = await twilio_client.create_message(to=ALICE, body="the answer", from_=OUR_NUMBER)
    result = await outbox.flush(ALICE)
    assert result.complete
    assert len(emulator.messages) == 1
    part = store.part(part_id)
    assert part is not None
    assert (part.state, part.twilio_sid) == (SENT, accepted.sid)


async def test_part_not_at_twilio_is_sent(store: Store, outbox: Outbox, emulator) -> None:
    (part_id,) = store.queue_outbound(ALICE, [NewPart("lost in flight", "GSM-7", 1)], kind="reply")
    store.mark_sending(part_id)
    await outbox.flush(ALICE)
    assert [m["body"] for m in emulator.messages] == ["lost in flight"]
    part = store.part(part_id)
    assert part is not None and part.twilio_sid == emulator.messages[0]["sid"]


async def test_lookup_failure_defers_instead_of_risking_duplicate(
    store: Store, outbox: Outbox, emulator
) -> None:
    (part_id,) = store.queue_outbound(ALICE, [NewPart("unsure", "GSM-7", 1)], kind="reply")
    store.mark_sending(part_id)
    emulator.inject_fault(500, count=10, path_contains="/Messages.json")
    result = await outbox.flush(ALICE)
    assert not result.complete
    assert emulator.messages == []
    part = store.part(part_id)
    assert part is not None and part.state == "sending"


async def test_identical_earlier_reply_is_not_mistaken_for_the_interrupted_one(
    store: Store, outbox: Outbox, twilio_client, emulator
) -> None:
    # The same apology went out a moment ago and is recorded with its SID.
    (first,) = store.queue_outbound(ALICE, [NewPart("Sorry!", "GSM-7", 1)], kind="apology")
    await outbox.flush(ALICE)
    earlier = store.part(first)
    assert earlier is not None and earlier.twilio_sid
    # A second identical apology was interrupted before Twilio saw it.
    (second,) = store.queue_outbound(ALICE, [NewPart("Sorry!", "GSM-7", 1)], kind="apology")
    store.mark_sending(second)
    result = await outbox.flush(ALICE)
    assert result.complete
    assert [m["body"] for m in emulator.messages] == ["Sorry!", "Sorry!"]
    part = store.part(second)
    assert part is not None and part.state == SENT
    assert part.twilio_sid not in (None, earlier.twilio_sid)


async def test_part_skipped_while_waiting_is_not_sent(
    store: Store, outbox: Outbox, emulator
) -> None:
    (part_id,) = store.queue_outbound(ALICE, [NewPart("late", "GSM-7", 1)], kind="reply")
    store.mark_sending(part_id)
    # STOP arrives while the interrupted part is being looked up at Twilio.
    emulator.inject_fault(None, latency=0.3, path_contains="/Messages.json", count=1)
    flushing = asyncio.create_task(outbox.flush(ALICE))
    await asyncio.sleep(0.1)
    store.set_opted_out(ALICE, True, "STOP")
    await flushing
    assert emulator.messages == []
    part = store.part(part_id)
    assert part is not None and part.state == "skipped"


async def test_5xx_leaves_part_to_be_looked_up_first(
    store: Store, outbox: Outbox, emulator
) -> None:
    (part_id,) = store.queue_outbound(ALICE, [NewPart("maybe sent", "GSM-7", 1)], kind="reply")
    emulator.inject_fault(500, count=1)
    assert not (await outbox.flush(ALICE)).complete
    part = store.part(part_id)
    assert part is not None and part.state == "sending"  # Twilio may have it: check first
    assert [r.method for r in emulator.requests] == ["POST"]  # no blind retry after a 500
    assert (await outbox.flush(ALICE)).complete
    assert [r.method for r in emulator.requests] == ["POST", "GET", "POST"]
    assert [m["body"] for m in emulator.messages] == ["maybe sent"]


def _outbox_with(store: Store, client: TwilioClient, twilio_creds) -> Outbox:
    twilio = TwilioConfig(
        account_sid=twilio_creds.account_sid,
        auth_token=twilio_creds.auth_token,
        phone_number=OUR_NUMBER,
        api_base_url=client.base_url,
    )
    return Outbox(store, client, twilio, logging.getLogger("test.outbox"))


@pytest.mark.parametrize("failure", ["500", "no answer"])
async def test_accepted_despite_a_failed_answer_is_found_not_sent_twice(
    store: Store, emulator, twilio_creds, failure: str
) -> None:
    """Twilio created the message, but its answer was a 500 or never came: a blind retry
    would send it again. The outbox finds it in the message log instead: one SMS."""
    client = TwilioClient(
        twilio_creds.account_sid,
        twilio_creds.auth_token,
        base_url=emulator.base_url,
        timeout=0.3,
        backoff_base=0.01,
        backoff_max=0.02,
    )
    async with client:
        outbox = _outbox_with(store, client, twilio_creds)
        (part_id,) = store.queue_outbound(ALICE, [NewPart("only once", "GSM-7", 1)], kind="reply")
        if failure == "500":
            emulator.inject_fault(500, count=1, processed=True)
        else:
            emulator.inject_fault(None, latency=1.0, count=1, processed=True)
        assert not (await outbox.flush(ALICE)).complete
        assert [m["body"] for m in emulator.messages] == ["only once"]  # Twilio has it
        assert (await outbox.flush(ALICE)).complete
    assert [m["body"] for m in emulator.messages] == ["only once"]
    assert [r.method for r in emulator.requests] == ["POST", "GET"]
    part = store.part(part_id)
    assert part is not None and part.state == SENT
    assert part.twilio_sid == emulator.messages[0]["sid"]


async def test_429_requeues_without_a_lookup(store: Store, outbox: Outbox, emulator) -> None:
    (part_id,) = store.queue_outbound(ALICE, [NewPart("throttled", "GSM-7", 1)], kind="reply")
    emulator.inject_fault(429, count=4)
    assert not (await outbox.flush(ALICE)).complete
    part = store.part(part_id)
    assert part is not None and part.state == "queued"  # a 429 was never processed
    assert (await outbox.flush(ALICE)).complete
    assert [r.method for r in emulator.requests if "Messages" in r.path].count("GET") == 0
    assert [m["body"] for m in emulator.messages] == ["throttled"]


async def test_throttled_after_a_lost_answer_is_looked_up_before_resending(
    store: Store, emulator, twilio_creds
) -> None:
    """Timeout, then 429: the 429 alone would be safe to resend, but the first request may have
    created the message, so the part stays in doubt (`sending`) for the message-log look-up."""
    from hermes_sms.twilio.client import TwilioClient

    client = TwilioClient(
        twilio_creds.account_sid,
        twilio_creds.auth_token,
        base_url=emulator.base_url,
        timeout=0.2,
        max_attempts=2,
        backoff_base=0.01,
        backoff_max=0.02,
    )
    twilio = TwilioConfig(
        twilio_creds.account_sid, twilio_creds.auth_token, OUR_NUMBER, api_base_url=client.base_url
    )
    outbox = Outbox(store, client, twilio, logging.getLogger("test.outbox"))
    emulator.inject_fault(status=None, latency=0.5, count=1)
    emulator.inject_fault(429, retry_after=0)
    (part_id,) = store.queue_outbound(ALICE, [NewPart("maybe sent", "GSM-7", 1)], kind="reply")
    try:
        result = await outbox.flush(ALICE)
    finally:
        await client.close()
    assert not result.complete
    part = store.part(part_id)
    assert part is not None and part.state == SENDING


async def test_trial_accounts_notice_does_not_hide_an_accepted_part(
    store: Store, outbox: Outbox, emulator
) -> None:
    """Twilio records a trial account's message with its notice in front: the look-up must
    still recognise the part, or every part in doubt would go twice on a trial account."""
    emulator.account_type = "Trial"
    emulator.verified_numbers.add(ALICE)
    (part_id,) = store.queue_outbound(ALICE, [NewPart("only once", "GSM-7", 1)], kind="reply")
    emulator.inject_fault(500, count=1, processed=True)
    assert not (await outbox.flush(ALICE)).complete
    assert [m["body"] for m in emulator.messages] == [
        "Sent from your Twilio trial account - only once"
    ]
    assert (await outbox.flush(ALICE)).complete
    assert len(emulator.messages) == 1
    part = store.part(part_id)
    assert part is not None and part.twilio_sid == emulator.messages[0]["sid"]


def creates(emulator) -> list:
    return [r for r in emulator.requests if r.method == "POST" and "/Messages.json" in r.path]


async def test_unreadable_message_log_defers_even_when_sending_would_work(
    store: Store, outbox: Outbox, twilio_client, emulator
) -> None:
    (part_id,) = store.queue_outbound(ALICE, [NewPart("in doubt", "GSM-7", 1)], kind="reply")
    store.mark_sending(part_id)
    # Exactly the look-up's attempts fail; a send right after would succeed.
    emulator.inject_fault(500, count=twilio_client.max_attempts)
    result = await outbox.flush(ALICE)
    assert not result.complete
    assert creates(emulator) == [] and emulator.messages == []
    part = store.part(part_id)
    assert part is not None and (part.state, part.attempts) == (SENDING, 1)
    # Next time the log answers: not there, so it is sent, once.
    assert (await outbox.flush(ALICE)).complete
    assert [m["body"] for m in emulator.messages] == ["in doubt"]
    part = store.part(part_id)
    assert part is not None and (part.state, part.twilio_sid) == (SENT, emulator.messages[0]["sid"])
