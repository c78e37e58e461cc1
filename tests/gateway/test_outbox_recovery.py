"""A part interrupted mid-request (crash) is looked up at Twilio before being sent again."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from harness import ALICE, OUR_NUMBER

from hermes_sms.config import TwilioConfig
from hermes_sms.gateway.outbox import Outbox
from hermes_sms.store import SENT, NewPart, Store


@pytest.fixture
def store(tmp_path: Path):
    opened = Store.open(tmp_path / "sms.sqlite3")
    yield opened
    opened.close()


@pytest.fixture
def outbox(store: Store, twilio_client, twilio_creds) -> Outbox:
    twilio = TwilioConfig(
        account_sid=twilio_creds.account_sid,
        auth_token=twilio_creds.auth_token,
        phone_number=OUR_NUMBER,
        api_base_url=twilio_client.base_url,
    )
    return Outbox(store, twilio_client, twilio, logging.getLogger("test.outbox"))


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
