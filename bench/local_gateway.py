"""A `python -m hermes_sms gateway` child wired to a Twilio emulator in this process.

Used by the latency and memory benchmarks, where the bench must see each reply arrive at
"Twilio" (see replies.ReplyWatch) and the gateway must be a process of its own (its RSS is
what we measure, and its event loop must not be shared with the load).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from common import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    OUR_NUMBER,
    PYTHON,
    WEBHOOK_PATH,
    Child,
    free_port,
    gateway_environ,
    log,
    temp_home,
    wait_until_healthy,
)
from replies import ReplyWatch

from hermes_sms.sandbox import TwilioEmulator


@dataclass
class LocalGateway:
    child: Child
    url: str  # the webhook URL, which is also the URL the signatures cover
    watch: ReplyWatch
    emulator: TwilioEmulator
    home: Path

    @property
    def pid(self) -> int:
        return self.child.pid


@contextlib.asynccontextmanager
async def local_gateway(allowed: Sequence[str], **overrides: str) -> AsyncIterator[LocalGateway]:
    """Start emulator and gateway (fresh HERMES_HOME); stop both on exit, whatever happened."""
    emulator = TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN, phone_numbers=[OUR_NUMBER])
    watch = ReplyWatch()
    watch.install(emulator)
    base_url = await emulator.start()
    try:
        with temp_home() as home:
            port = free_port()
            env = gateway_environ(
                home, api_base_url=base_url, port=port, allowed=allowed, **overrides
            )
            # A file rather than a pipe: the gateway logs every message and nobody drains it.
            with (home / "gateway.log").open("wb") as log_file:
                child = await Child.spawn(
                    "gateway", [PYTHON, "-m", "hermes_sms", "gateway"], env=env, stdout=log_file
                )
            try:
                await wait_until_healthy(child, f"http://127.0.0.1:{port}/health")
                yield LocalGateway(
                    child, f"http://127.0.0.1:{port}{WEBHOOK_PATH}", watch, emulator, home
                )
            finally:
                await child.stop(grace=15.0)
                text = (home / "gateway.log").read_text(errors="replace")
                for line in [x for x in text.splitlines() if "Traceback" in x][:5]:
                    log(f"  gateway log: {line}")
    finally:
        await emulator.stop()
