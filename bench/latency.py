"""Benchmark 2: from posting a webhook to the gateway's first outbound Twilio request.

Messages are sent one at a time (the next only after the previous reply reached the
emulator), with the instant echo agent and SMS_DEBOUNCE_SECONDS=0, so the figure is the
gateway's own overhead per answer: acknowledge, store, wake the sender's task, run the turn,
compose the SMS, commit, and open the request to Twilio. The clock stops when that request
arrives at the emulator, before the emulator answers it.
"""

from __future__ import annotations

import time

import aiohttp
from common import (
    REQUEST_TIMEOUT,
    Row,
    Section,
    log,
    median,
    ms,
    percentile,
    senders,
    signed_batch,
    spread,
)
from local_gateway import local_gateway

SENDERS = 10
WARMUP = 10  # one per sender: first-use imports and each sender's first turn are not counted
REPLY_TIMEOUT = 10.0
MAX_SECONDS_PER_RUN = 60.0


async def one_run(messages: int) -> tuple[list[float], list[float], int]:
    """(webhook-to-first-outbound latencies, webhook ack latencies, messages not answered)."""
    allowed = senders(SENDERS)
    first_outbound: list[float] = []
    acks: list[float] = []
    missing = 0
    async with (
        local_gateway(allowed) as gateway,
        aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as session,
    ):
        forms = signed_batch(gateway.url, WARMUP + messages, allowed)
        deadline = time.perf_counter() + MAX_SECONDS_PER_RUN
        for index, form in enumerate(forms):
            if time.perf_counter() > deadline:
                log("latency: time limit reached, stopping this run early")
                break
            started = time.perf_counter()
            async with session.post(gateway.url, data=form.body, headers=form.headers) as resp:
                await resp.read()
                acked = time.perf_counter()
                if resp.status != 200:
                    missing += 1
                    continue
            arrived = await gateway.watch.next_reply(form.sender, REPLY_TIMEOUT)
            if index < WARMUP:
                continue
            if arrived is None:
                missing += 1
                continue
            acks.append(acked - started)
            first_outbound.append(arrived - started)
    return first_outbound, acks, missing


async def run(*, runs: int, messages: int) -> Section:
    section = Section("Webhook to first outbound request")
    p50s: list[float] = []
    p99s: list[float] = []
    ack_p50s: list[float] = []
    missing_total = 0
    for index in range(runs):
        latencies, acks, missing = await one_run(messages)
        missing_total += missing
        p50s.append(percentile(latencies, 50))
        p99s.append(percentile(latencies, 99))
        ack_p50s.append(percentile(acks, 50))
        log(
            f"latency run {index + 1}/{runs}: first outbound p50 {ms(p50s[-1])}"
            f"  p99 {ms(p99s[-1])}  (ack p50 {ms(ack_p50s[-1])}, {missing} unanswered)"
        )
    section.rows.append(
        Row(
            section.title,
            "Webhook → first Twilio request, p50 / p99 (echo agent)",
            f"{ms(median(p50s))} / {ms(median(p99s))}",
            f"p50 {spread(p50s, ms)}; p99 {spread(p99s, ms)}" if runs > 1 else "",
        )
    )
    section.rows.append(
        Row(
            section.title,
            "…of which the webhook acknowledgement, p50",
            ms(median(ack_p50s)),
            spread(ack_p50s, ms),
        )
    )
    section.notes.append(
        f"{runs} run(s) of {messages} sequential messages from {SENDERS} senders after "
        f"{WARMUP} warm-up messages, each against a freshly started `python -m hermes_sms "
        "gateway`; SMS_DEBOUNCE_SECONDS=0, SMS_AGENT_BACKEND=echo. The emulator runs in the "
        "bench process and stamps each create-message request on arrival."
    )
    if missing_total:
        section.notes.append(f"{missing_total} message(s) got no reply within {REPLY_TIMEOUT:g} s.")
    return section
