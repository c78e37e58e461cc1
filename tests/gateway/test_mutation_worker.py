"""Worker and shutdown paths the other tests left open (found by mutating worker.py and
service.py): work queued while a send is in flight, a conversation hit by an unexpected error,
messages left by a number that is no longer allowed, and no acknowledgement while draining."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from harness import ALICE, BOB, StartGateway

from hermes_sms import messages
from hermes_sms.home import DATABASE_NAME
from hermes_sms.store import DONE, PENDING, Store


async def wait_until(condition, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


async def test_notice_queued_while_a_reply_is_in_flight_is_sent(
    start_gateway: StartGateway,
) -> None:
    gw = await start_gateway(SMS_RATE_LIMIT="1/600")
    # Hold the reply's request at Twilio long enough for a second text to arrive meanwhile.
    gw.emulator.inject_fault(None, latency=1.5, count=1)
    await gw.text("first")
    await wait_until(
        lambda: any(r.method == "POST" and r.status is None for r in gw.emulator.requests)
    )
    # Over the limit: the notice is queued while this sender's task is busy sending.
    await gw.text("second")
    await gw.settle()
    assert gw.replies_to(ALICE) == ["You said: first", messages.RATE_LIMIT_NOTICE]
    assert gw.store.unsent_parts(ALICE) == []


async def test_an_unexpected_error_in_a_turn_is_retried_not_dropped(
    start_gateway: StartGateway,
) -> None:
    gw = await start_gateway()
    calls = 0

    def responder(chat: list) -> str:
        nonlocal calls
        calls += 1
        # The first time, the database refuses the turn's commit (not an agent failure: a
        # surprise the worker must survive); the second time it is writable again.
        gw.store._db.execute(f"PRAGMA query_only = {'ON' if calls == 1 else 'OFF'}")
        return "the answer"

    gw.llm.responder = responder
    await gw.text("question")
    await gw.emulator.wait_for_messages(1, timeout=10)
    await gw.settle()
    assert "unexpected OperationalError" in gw.log
    assert calls == 2
    assert gw.replies_to(ALICE) == ["the answer"]
    assert gw.store.count("inbound", state=PENDING) == 0


async def test_messages_of_a_number_no_longer_allowed_are_closed_not_kept(
    start_gateway: StartGateway, isolated_home: Path
) -> None:
    # Left pending by a run that was killed while ALICE was still allowed.
    store = Store.open(isolated_home / DATABASE_NAME)
    store.record_inbound("SM" + "b" * 32, ALICE, "old question")
    store.close()
    gw = await start_gateway(SMS_ALLOWED_USERS=BOB)
    await gw.settle()
    assert gw.store.count("inbound", state=PENDING) == 0
    assert gw.store.count("inbound", state=DONE, note="sender no longer allowed") == 1
    assert gw.store.senders_with_work() == []
    await gw.gateway.stop()
    # Allowed again later: the stale message is not answered then.
    again = await start_gateway()
    await again.settle()
    assert again.llm.chat_requests == []
    assert again.replies_to(ALICE) == []


async def test_no_webhook_is_acknowledged_while_stopping(start_gateway: StartGateway) -> None:
    import aiohttp

    gw = await start_gateway()
    gw.llm.delay = 1.0
    await gw.text("slow question")
    await wait_until(lambda: len(gw.llm.chat_requests) == 1)
    stopping = asyncio.create_task(gw.gateway.stop(grace=10))
    # The worker is draining: the listening socket must already be closed.
    await wait_until(lambda: gw.gateway.worker._stopping)
    with pytest.raises(aiohttp.ClientConnectionError):
        await gw.text("too late")
    await stopping
    assert gw.replies_to(ALICE) == ["You said: slow question"]
