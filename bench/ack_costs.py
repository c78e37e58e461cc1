"""What each step of acknowledging a webhook costs, measured in this process, step by step.

The webhook benchmark says how fast the gateway acknowledges; this says where the time goes,
with the gateway's own functions on one realistic signed form: decoding the body, checking
the signature, the duplicate and opt-out look-ups, the group-committed SQLite write (ten
messages per transaction, about what a burst on 50 connections gives), and the redacted log
line. Each is CPU time per call (time.thread_time), the median of several repetitions, so
the figures add up to a floor for the gateway's own work per acknowledgement: aiohttp's
request handling, measured by the bare server, comes on top.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, USER_TEXTS, median, signed_inbound

from hermes_sms.gateway.group_commit import InboundBatcher
from hermes_sms.gateway.urlencoded import parse_form_body
from hermes_sms.logs import configure_logging, skip_unused_record_fields
from hermes_sms.store import NewInbound, Store
from hermes_sms.twilio.signature import SIGNATURE_HEADER, is_valid_signature

CALLS = 5_000
REPEATS = 5
BATCH = 10
URL = "http://127.0.0.1:8080/webhooks/twilio"
SENDER = "+15550100002"
# What `skip_unused_record_fields` changes in the logging module.
_RECORD_SWITCHES = ("logThreads", "logProcesses", "logMultiprocessing", "_srcfile")


@dataclass(frozen=True)
class StepCost:
    name: str
    microseconds: float


def _per_call(fn: Callable[[], object], calls: int = CALLS) -> float:
    fn()  # warm: imports, caches, prepared statements
    samples = []
    for _ in range(REPEATS):
        started = time.thread_time()
        for _ in range(calls):
            fn()
        samples.append((time.thread_time() - started) / calls * 1e6)
    return median(samples)


async def _write_cost(store: Store) -> float:
    """CPU per message of the group-committed write, BATCH messages per transaction."""
    batcher = InboundBatcher(store, lambda sender: None)
    counter = iter(range(10**9))

    async def one_batch() -> None:
        await asyncio.gather(
            *(
                batcher.record(NewInbound(f"SM{next(counter):032x}", SENDER, USER_TEXTS[0], ()))
                for _ in range(BATCH)
            )
        )

    await one_batch()
    samples = []
    for _ in range(REPEATS):
        started = time.thread_time()
        for _ in range(CALLS // BATCH):
            await one_batch()
        samples.append((time.thread_time() - started) / CALLS * 1e6)
    return median(samples)


async def measure(home: Path) -> list[StepCost]:
    form = signed_inbound(URL, SENDER, USER_TEXTS[0])
    fields = parse_form_body(form.body)
    signature = form.headers[SIGNATURE_HEADER]
    assert fields["AccountSid"] == ACCOUNT_SID and fields["To"] == OUR_NUMBER
    assert is_valid_signature(AUTH_TOKEN, URL, fields, signature)

    store = Store.open(home / "costs.db")
    # The gateway's logger setup, writing to memory: the cost of formatting and redacting a
    # line, not of the disk. The buffer is emptied between repetitions. The gateway command
    # also switches off the record fields it never shows; so do we, and put them back after.
    buffer = io.StringIO()
    configure_logging(buffer, secrets=[AUTH_TOKEN])
    logger = logging.getLogger("hermes_sms.gateway")
    saved = {name: getattr(logging, name) for name in _RECORD_SWITCHES}
    skip_unused_record_fields()

    def log_line() -> None:
        logger.info("received %s from %s (%d characters)", fields["MessageSid"], "+1555***0002", 27)
        if buffer.tell() > 1_000_000:
            buffer.seek(0)
            buffer.truncate()

    try:
        return [
            StepCost("decode the form body", _per_call(lambda: parse_form_body(form.body))),
            StepCost(
                "check the signature (twilio's RequestValidator)",
                _per_call(lambda: is_valid_signature(AUTH_TOKEN, URL, fields, signature)),
            ),
            StepCost(
                "duplicate and opt-out look-ups",
                _per_call(lambda: store.inbound_lookup(fields["MessageSid"], SENDER)),
            ),
            StepCost(f"SQLite write, {BATCH} messages per commit", await _write_cost(store)),
            StepCost("the redacted log line", _per_call(log_line)),
        ]
    finally:
        store.close()
        logging.getLogger("hermes_sms").handlers.clear()
        for name, value in saved.items():
            setattr(logging, name, value)
