"""An outbox decision the other tests left open (found by mutating outbox.py): when Twilio's
message log cannot be read, an interrupted part is not sent blind. (A request whose answer is
lost is not repeated blind either: test_outbox_recovery.py.)"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from harness import ALICE, OUR_NUMBER

from hermes_sms.config import TwilioConfig
from hermes_sms.gateway.outbox import Outbox
from hermes_sms.store import SENDING, SENT, NewPart, Store


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
