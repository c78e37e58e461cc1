"""Group commit: webhooks handled in one loop turn share a transaction, and each still waits
for its own message to be on disk."""

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from hermes_sms.gateway.group_commit import InboundBatcher
from hermes_sms.store import IGNORED, NewInbound, Store

ALICE = "+15550100002"
BOB = "+15550100003"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "sms.sqlite3")
    yield opened
    opened.close()


def count_transactions(store: Store) -> list[str]:
    """Every BEGIN the store's connection runs from now on."""
    begins: list[str] = []
    store._db.set_trace_callback(
        lambda sql: begins.append(sql) if sql.startswith("BEGIN") else None
    )
    return begins


async def test_concurrent_messages_share_one_commit(store: Store) -> None:
    woken: list[str] = []
    batcher = InboundBatcher(store, woken.append)
    begins = count_transactions(store)
    messages = [
        NewInbound("SM1", ALICE, "one"),
        NewInbound("SM2", BOB, "hello"),
        NewInbound("SM3", ALICE, "two"),
        NewInbound("SM1", ALICE, "a repeated delivery"),
        NewInbound("SM4", BOB, "STOP", state=IGNORED, note="opt-out keyword"),
    ]
    results = await asyncio.gather(*(batcher.record(m) for m in messages))
    assert results == [True, True, True, False, True]
    assert len(begins) == 1
    assert [m.body for m in store.pending_inbound(ALICE)] == ["one", "two"]
    # New pending messages wake their sender, in arrival order; repeats and ignored ones do not.
    assert woken == [ALICE, BOB, ALICE]


async def test_each_message_is_committed_when_record_returns(store: Store) -> None:
    batcher = InboundBatcher(store, lambda sender: None)
    begins = count_transactions(store)
    for index in range(3):
        assert await batcher.record(NewInbound(f"SM{index}", ALICE, f"text {index}")) is True
        # On disk, seen from another connection: what an acknowledgement promises.
        other = sqlite3.connect(store.path)
        stored = other.execute("SELECT COUNT(*) FROM inbound").fetchone()[0]
        other.close()
        assert stored == index + 1
    assert len(begins) == 3


async def test_a_failed_commit_fails_every_waiter_and_wakes_nobody(store: Store) -> None:
    woken: list[str] = []
    batcher = InboundBatcher(store, woken.append)
    store._db.execute("PRAGMA query_only = ON")  # every write now fails
    results = await asyncio.gather(
        batcher.record(NewInbound("SM1", ALICE, "one")),
        batcher.record(NewInbound("SM2", BOB, "two")),
        return_exceptions=True,
    )
    assert all(isinstance(result, sqlite3.Error) for result in results)
    assert woken == []
    store._db.execute("PRAGMA query_only = OFF")
    # Nothing was stored, so Twilio's retry is stored as new.
    assert await batcher.record(NewInbound("SM1", ALICE, "one")) is True
    assert woken == [ALICE]


async def test_a_cancelled_waiter_does_not_lose_its_message(store: Store) -> None:
    woken: list[str] = []
    batcher = InboundBatcher(store, woken.append)
    waiter = asyncio.ensure_future(batcher.record(NewInbound("SM1", ALICE, "one")))
    await asyncio.sleep(0)  # the waiter has joined the batch
    waiter.cancel()
    other = await batcher.record(NewInbound("SM2", BOB, "two"))
    assert other is True
    assert waiter.cancelled()
    # Stored and its sender woken even so: the batch is written by the loop, not the waiter.
    assert [m.body for m in store.pending_inbound(ALICE)] == ["one"]
    assert woken == [ALICE, BOB]
