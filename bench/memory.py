"""Benchmark 4: resident memory of a gateway process, idle and after 10,000 messages.

VmRSS (and the VmHWM peak) come from /proc/<pid>/status of a `python -m hermes_sms gateway`
child. The load is a closed loop: 50 senders text at once, each sending its next message only
after the reply to the previous one reached the emulator, so at most 50 messages are in flight
and every message gets its own turn and reply. Bounded by the message count and a deadline.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
from common import (
    REQUEST_TIMEOUT,
    Row,
    Section,
    SignedForm,
    kb_to_mb,
    log,
    median,
    proc_status_kb,
    senders,
    signed_batch,
    spread,
)
from local_gateway import LocalGateway, local_gateway

SENDERS = 50
REPLY_TIMEOUT = 10.0
IDLE_TARGET_MB = 60.0
SETTLE_SECONDS = 1.0


def _mb(value: float) -> str:
    return f"{value:.1f} MB"


async def _load(gateway: LocalGateway, forms: list[SignedForm], max_seconds: float) -> int:
    """Send every form (one in flight per sender); returns how many were answered."""
    per_sender: dict[str, list[SignedForm]] = {}
    for form in forms:
        per_sender.setdefault(form.sender, []).append(form)
    answered = 0
    deadline = time.perf_counter() + max_seconds
    connector = aiohttp.TCPConnector(limit=SENDERS)
    async with aiohttp.ClientSession(connector=connector, timeout=REQUEST_TIMEOUT) as session:

        async def phone(own: list[SignedForm]) -> None:
            nonlocal answered
            for form in own:
                if time.perf_counter() > deadline:
                    return
                try:
                    async with session.post(
                        gateway.url, data=form.body, headers=form.headers
                    ) as resp:
                        await resp.read()
                        if resp.status != 200:
                            continue
                except (aiohttp.ClientError, TimeoutError):
                    continue
                if await gateway.watch.next_reply(form.sender, REPLY_TIMEOUT) is not None:
                    answered += 1

        await asyncio.gather(*(phone(own) for own in per_sender.values()))
    return answered


async def one_run(messages: int, max_seconds: float) -> dict[str, float]:
    allowed = senders(SENDERS)
    async with local_gateway(allowed) as gateway:
        await asyncio.sleep(SETTLE_SECONDS)  # let start-up allocations finish
        idle_kb = proc_status_kb(gateway.pid, "VmRSS")
        forms = signed_batch(gateway.url, messages, allowed)
        started = time.perf_counter()
        answered = await _load(gateway, forms, max_seconds)
        elapsed = time.perf_counter() - started
        await asyncio.sleep(SETTLE_SECONDS)
        after_kb = proc_status_kb(gateway.pid, "VmRSS")
        peak_kb = proc_status_kb(gateway.pid, "VmHWM")
    return {
        "idle": kb_to_mb(idle_kb),
        "after": kb_to_mb(after_kb),
        "peak": kb_to_mb(peak_kb),
        "answered": answered,
        "rate": answered / elapsed if elapsed > 0 else 0.0,
    }


async def run(*, runs: int, messages: int, max_seconds: float) -> Section:
    section = Section("Gateway memory")
    results = []
    for index in range(runs):
        result = await one_run(messages, max_seconds)
        results.append(result)
        log(
            f"memory run {index + 1}/{runs}: idle {_mb(result['idle'])}, after "
            f"{result['answered']:,.0f}/{messages:,} answered {_mb(result['after'])} "
            f"(peak {_mb(result['peak'])}, {result['rate']:,.0f} answered/s)"
        )

    def column(name: str) -> list[float]:
        return [r[name] for r in results]

    idle = median(column("idle"))
    section.rows.append(
        Row(
            section.title,
            "Gateway RSS, idle after start",
            _mb(idle),
            spread(column("idle"), _mb),
            f"< {IDLE_TARGET_MB:.0f} MB",
            idle < IDLE_TARGET_MB,
        )
    )
    answered = min(column("answered"))
    section.rows.append(
        Row(
            section.title,
            f"Gateway RSS after {messages:,} messages (peak)",
            f"{_mb(median(column('after')))} ({_mb(median(column('peak')))})",
            spread(column("after"), _mb),
        )
    )
    section.rows.append(
        Row(
            section.title,
            "Messages answered end to end, 50 senders in a closed loop",
            f"{median(column('rate')):,.0f}/s",
            spread(column("rate"), lambda v: f"{v:,.0f}"),
        )
    )
    section.notes.append(
        f"{runs} run(s), each a fresh gateway and database; MB = 10^6 bytes. Idle is read "
        f"{SETTLE_SECONDS:g} s after /health first answers. The load: {messages:,} messages "
        f"from {SENDERS} senders, one in flight per sender, within {max_seconds:g} s; the "
        "fewest answered in any run was "
        f"{answered:,.0f}. The answered/s figure includes the emulator and the client sharing "
        "one process, so it is a floor, not the gateway's limit."
    )
    return section
