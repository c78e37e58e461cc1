"""Store contracts that the wider tests left open (found by mutating store.py): a part in
flight is still work to resume, only unsent parts may be marked sending, and a repeated
keyword delivery changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from hermes_sms.store import FAILED, QUEUED, SENDING, SENT, SKIPPED, NewPart, Store

ALICE = "+15550100002"
BOB = "+15550100003"


@pytest.fixture
def store(tmp_path: Path):
    opened = Store.open(tmp_path / "home" / "sms.sqlite3")
    yield opened
    opened.close()


def queue(store: Store, recipient: str, *bodies: str) -> list[int]:
    return store.queue_outbound(recipient, [NewPart(b, "GSM-7", 1) for b in bodies], kind="reply")


def test_a_part_left_sending_is_work_to_resume(store: Store) -> None:
    # A crash mid-request leaves the part `sending`: the next start must pick its recipient up
    # (to look it up at Twilio and send it if Twilio never got it), or the reply is lost.
    (part_id,) = queue(store, ALICE, "in flight")
    assert store.mark_sending(part_id)
    assert store.senders_with_work() == [ALICE]
    store.mark_sent(part_id, "SM" + "1" * 32, "queued")
    assert store.senders_with_work() == []


@pytest.mark.parametrize("final", [SENT, FAILED, SKIPPED])
def test_only_unsent_parts_can_be_marked_sending(store: Store, final: str) -> None:
    (part_id,) = queue(store, ALICE, "once")
    if final == SENT:
        store.mark_sent(part_id, "SM" + "2" * 32, "queued")
    elif final == FAILED:
        store.mark_failed(part_id, 21211, "invalid")
    else:
        store.skip_unsent(ALICE, "recipient opted out")
    assert store.mark_sending(part_id) is False
    part = store.part(part_id)
    assert part is not None and (part.state, part.attempts) == (final, 0)


def test_a_part_can_be_marked_sending_again_after_an_interruption(store: Store) -> None:
    (part_id,) = queue(store, ALICE, "retry me")
    assert store.mark_sending(part_id)
    assert store.mark_sending(part_id)
    part = store.part(part_id)
    assert part is not None and (part.state, part.attempts) == (SENDING, 2)


def test_skip_unsent_also_drops_parts_in_flight(store: Store) -> None:
    queued, in_flight = queue(store, ALICE, "a", "b")
    (other,) = queue(store, BOB, "c")
    store.mark_sending(in_flight)
    assert store.skip_unsent(ALICE, "sender no longer allowed") == 2
    assert [store.part(i).state for i in (queued, in_flight)] == [SKIPPED, SKIPPED]
    assert store.part(other).state == QUEUED
    assert store.senders_with_work() == [BOB]


def test_a_repeated_stop_delivery_does_not_undo_a_later_start(store: Store) -> None:
    assert store.record_keyword("SM1", ALICE, "STOP", opted_out=True, note="opt-out") == 0
    assert store.record_keyword("SM2", ALICE, "START", opted_out=False, note="opt-in") == 0
    # Twilio retries the STOP webhook (our first answer was lost): nothing may change.
    assert store.record_keyword("SM1", ALICE, "STOP", opted_out=True, note="opt-out") is None
    assert not store.is_opted_out(ALICE)
    (part_id,) = queue(store, ALICE, "still wanted")
    assert store.record_keyword("SM1", ALICE, "STOP", opted_out=True, note="opt-out") is None
    assert store.part(part_id).state == QUEUED


def test_a_repeated_callback_without_error_code_keeps_the_recorded_one(store: Store) -> None:
    (part_id,) = queue(store, ALICE, "unlucky")
    store.mark_sent(part_id, "SM" + "3" * 32, "queued")
    assert store.update_delivery("SM" + "3" * 32, "undelivered", 30003) == ALICE
    assert store.update_delivery("SM" + "3" * 32, "undelivered", None) == ALICE
    part = store.part(part_id)
    assert part is not None and (part.delivery_status, part.error_code) == ("undelivered", 30003)
