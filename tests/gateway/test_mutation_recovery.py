"""Restart recovery and in-flight work through the real gateway, for cases the other tests left
open (found by mutating store.py, outbox.py and worker.py): a part interrupted mid-request is
resumed at start, sent if Twilio never got it and never sent twice if it did, even with our
clock ahead of Twilio's."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from harness import ALICE, OUR_NUMBER, StartGateway

from hermes_sms.home import DATABASE_NAME
from hermes_sms.store import SENT, NewPart, Store


async def wait_until(condition, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


def crashed_mid_send(home: Path, *bodies: str) -> tuple[Store, list[int]]:
    """The database a killed gateway leaves: a turn answered, its parts queued, the first
    part marked `sending` (its request was under way when the process died)."""
    store = Store.open(home / DATABASE_NAME)
    store.record_inbound("SM" + "a" * 32, ALICE, "question")
    (message,) = store.pending_inbound(ALICE)
    ids = store.finish_turn(
        ALICE,
        [message.id],
        [NewPart(body, "GSM-7", 1) for body in bodies],
        history=[("user", "question"), ("assistant", " ".join(bodies))],
    )
    assert store.mark_sending(ids[0])
    return store, ids


def lookups(emulator) -> list:
    return [r for r in emulator.requests if r.method == "GET" and "/Messages.json" in r.path]


async def test_part_interrupted_before_twilio_got_it_is_sent_after_restart(
    start_gateway: StartGateway, isolated_home: Path
) -> None:
    store, (first, second) = crashed_mid_send(isolated_home, "(1/2) first half", "(2/2) rest")
    store.close()
    gw = await start_gateway()
    await gw.settle()
    assert gw.replies_to(ALICE) == ["(1/2) first half", "(2/2) rest"]
    assert len(lookups(gw.emulator)) == 1  # looked up first: it could have been accepted
    sids = [m["sid"] for m in gw.emulator.messages]
    assert [gw.store.part(i).twilio_sid for i in (first, second)] == sids
    assert gw.store.senders_with_work() == []
    assert gw.llm.chat_requests == []  # the turn was finished: the agent is not asked again


async def test_part_twilio_accepted_before_the_crash_is_not_sent_again(
    start_gateway: StartGateway, isolated_home: Path, twilio_client
) -> None:
    store, (part_id,) = crashed_mid_send(isolated_home, "the answer")
    store.close()
    # Twilio accepted the request; the process died before writing down the SID.
    accepted = await twilio_client.create_message(to=ALICE, body="the answer", from_=OUR_NUMBER)
    gw = await start_gateway()
    await gw.settle()
    assert gw.replies_to(ALICE) == ["the answer"]
    part = gw.store.part(part_id)
    assert part is not None
    assert (part.state, part.twilio_sid, part.delivery_status) == (SENT, accepted.sid, "recovered")


async def test_no_duplicate_when_our_clock_is_ahead_of_twilios(
    start_gateway: StartGateway, isolated_home: Path, twilio_client
) -> None:
    store, (part_id,) = crashed_mid_send(isolated_home, "the answer")
    # Our clock runs a minute ahead of Twilio's: Twilio's date_created is before sending_at.
    store._db.execute(
        "UPDATE outbound SET sending_at = ? WHERE id = ?", (time.time() + 60, part_id)
    )
    store.close()
    accepted = await twilio_client.create_message(to=ALICE, body="the answer", from_=OUR_NUMBER)
    gw = await start_gateway()
    await gw.settle()
    assert gw.replies_to(ALICE) == ["the answer"]
    part = gw.store.part(part_id)
    assert part is not None and part.twilio_sid == accepted.sid


async def test_another_message_to_the_same_number_is_not_taken_for_the_interrupted_part(
    start_gateway: StartGateway, isolated_home: Path, twilio_client
) -> None:
    store, (part_id,) = crashed_mid_send(isolated_home, "the answer")
    store.close()
    # Sent to the same person by other means (`hermes-sms send`): not in our database.
    other = await twilio_client.create_message(to=ALICE, body="a note", from_=OUR_NUMBER)
    gw = await start_gateway()
    await gw.settle()
    assert gw.replies_to(ALICE) == ["a note", "the answer"]
    part = gw.store.part(part_id)
    assert part is not None and part.state == SENT
    assert part.twilio_sid not in (None, other.sid)
