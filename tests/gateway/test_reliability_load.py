"""Load and faults: bursts, a flaky Twilio, and a crash under a stream of messages.

Each test is bounded in time; none asserts on speed.
"""

from __future__ import annotations

import asyncio
import re
import signal
from collections import defaultdict
from pathlib import Path

import aiohttp
import pytest
from harness import ALICE, BOB, OUR_NUMBER, StartGateway, free_port, spawn

from hermes_sms.sandbox import post_inbound
from hermes_sms.sandbox.fake_llm import FakeLLM

TOKEN = re.compile(r"m(\d+)-(\d+)")


async def until(condition, timeout: float) -> None:
    """Wait for a condition, bounded; the bound is a safety net, not a speed assertion."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


def senders(count: int) -> list[str]:
    return [f"+1555020{index:04d}" for index in range(count)]


def tokens_by_sender(bodies_by_sender: dict[str, list[str]]) -> dict[str, list[int]]:
    """The message numbers each sender's replies mention, in the order the replies went out."""
    found: dict[str, list[int]] = {}
    for number, bodies in bodies_by_sender.items():
        found[number] = [int(m.group(2)) for body in bodies for m in TOKEN.finditer(body)]
    return found


def replies(emulator) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for message in emulator.messages:
        grouped[message["to"]].append(message["body"])
    return grouped


async def test_burst_of_1000_from_20_senders(start_gateway: StartGateway) -> None:
    numbers = senders(20)
    per_sender = 50
    gw = await start_gateway(
        SMS_ALLOWED_USERS=",".join(numbers), SMS_RATE_LIMIT="off", SMS_MAX_CONCURRENCY="8"
    )
    statuses: list[int] = []

    async def one_sender(session: aiohttp.ClientSession, index: int, number: str) -> None:
        # Each phone sends in order; the twenty phones at once.
        for n in range(per_sender):
            result = await gw.text(f"m{index}-{n}", from_=number, session=session)
            statuses.append(result.status)

    connector = aiohttp.TCPConnector(limit=50)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.wait_for(
            asyncio.gather(*(one_sender(session, i, n) for i, n in enumerate(numbers))),
            timeout=120,
        )
    assert statuses == [200] * (20 * per_sender)
    await asyncio.wait_for(gw.settle(), timeout=120)
    found = tokens_by_sender(replies(gw.emulator))
    for number in numbers:
        # Every message answered (texts merged into turns are answered together), in order.
        assert found[number] == list(range(per_sender)), number
    assert gw.store.count("inbound", state="pending") == 0


async def test_flaky_twilio_every_reply_exactly_once(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_RATE_LIMIT="off")
    # Faults are tried in order, the first that fires wins: 429 on half of the sends, 500 on a
    # quarter, a timeout on about 8% (past the client's 2 s timeout). Most sends fail at first.
    throttled = gw.emulator.inject_fault(429, share=0.5, retry_after=0)
    errors = gw.emulator.inject_fault(500, share=0.5)
    timeouts = gw.emulator.inject_fault(None, share=0.3, latency=3.0)
    for n in range(10):
        await gw.text(f"m0-{n}", from_=ALICE)
        await gw.text(f"m1-{n}", from_=BOB)
    await until(
        lambda: all(9 in tokens_by_sender(replies(gw.emulator)).get(n, []) for n in (ALICE, BOB)),
        timeout=90,
    )
    await gw.settle()
    found = tokens_by_sender(replies(gw.emulator))
    assert found[ALICE] == list(range(10))
    assert found[BOB] == list(range(10))
    assert gw.store.count("outbound", state="failed") == 0
    # The faults really happened: at least half of the sends were refused or timed out.
    sends = [r for r in gw.emulator.requests if r.method == "POST" and "/Messages" in r.path]
    assert throttled.fired and errors.fired and timeouts.fired
    assert any(r.abandoned for r in sends)
    assert throttled.fired + errors.fired + timeouts.fired >= len(sends) / 2


@pytest.fixture
async def llm():
    async with FakeLLM() as fake:
        yield fake


async def test_sigkill_under_a_stream_of_100_messages(
    isolated_home: Path, emulator, twilio_creds, llm
) -> None:
    from cli_helpers import base_env

    numbers = senders(5)
    env = base_env(
        isolated_home,
        TWILIO_ACCOUNT_SID=twilio_creds.account_sid,
        TWILIO_AUTH_TOKEN=twilio_creds.auth_token,
        TWILIO_PHONE_NUMBER=OUR_NUMBER,
        TWILIO_API_BASE_URL=emulator.base_url,
        SMS_WEBHOOK_HOST="127.0.0.1",
        SMS_WEBHOOK_PORT=str(free_port()),
        SMS_ALLOWED_USERS=",".join(numbers),
        SMS_DEBOUNCE_SECONDS="0",
        SMS_RATE_LIMIT="off",
        SMS_AGENT_URL=llm.url,
    )
    llm.delay = 0.02  # turns take a moment, so the kill lands mid-conversation
    acked: dict[str, list[int]] = defaultdict(list)
    first = await spawn(env)
    await first.wait_for("listening")
    killed = asyncio.Event()

    async def stream(index: int, number: str) -> None:
        for n in range(20):
            if killed.is_set():
                return
            try:
                result = await post_inbound(
                    first.url,
                    auth_token=twilio_creds.auth_token,
                    account_sid=twilio_creds.account_sid,
                    from_=number,
                    to=OUR_NUMBER,
                    body=f"m{index}-{n}",
                    timeout=5,
                )
            except (aiohttp.ClientError, TimeoutError):
                return  # not acknowledged: Twilio would retry it; we only promise acked ones
            if result.status == 200:
                acked[number].append(n)

    async def killer() -> None:
        while sum(len(v) for v in acked.values()) < 50:
            await asyncio.sleep(0.005)
        first.process.send_signal(signal.SIGKILL)
        killed.set()

    await asyncio.wait_for(
        asyncio.gather(killer(), *(stream(i, n) for i, n in enumerate(numbers))), timeout=60
    )
    await first.process.wait()
    total_acked = sum(len(v) for v in acked.values())
    assert 50 <= total_acked < 100

    second = await spawn(env)
    await second.wait_for("listening")

    def all_answered() -> bool:
        found = tokens_by_sender(replies(emulator))
        return all(set(acked[n]) <= set(found.get(n, [])) for n in numbers)

    await until(all_answered, timeout=60)
    assert await second.stop() == 0
    found = tokens_by_sender(replies(emulator))
    for number in numbers:
        # Answered, in order, and nothing twice (a message stored but not acked may be answered).
        assert len(found[number]) == len(set(found[number])), found[number]
        assert found[number] == sorted(found[number])
        assert set(acked[number]) <= set(found[number])
