"""Test harness for a real gateway: addresses, and a handle to text it and inspect results."""

from __future__ import annotations

import asyncio
import io
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from hermes_sms.config import Settings
from hermes_sms.gateway.service import Gateway
from hermes_sms.sandbox import InboundResult, TwilioEmulator, post_inbound
from hermes_sms.sandbox.fake_llm import FakeLLM

OUR_NUMBER = "+15550100001"
ALICE = "+15550100002"
BOB = "+15550100003"
STRANGER = "+15550100099"


@dataclass
class Harness:
    gateway: Gateway
    settings: Settings
    emulator: TwilioEmulator
    llm: FakeLLM
    base_url: str
    log_stream: io.StringIO
    auth_token: str
    account_sid: str
    sent_sids: list[str] = field(default_factory=list)

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}/webhooks/twilio"

    @property
    def store(self):
        return self.gateway.store

    @property
    def log(self) -> str:
        return self.log_stream.getvalue()

    async def text(self, body: str, from_: str = ALICE, **kwargs: Any) -> InboundResult:
        """A signed inbound SMS, as Twilio would post it."""
        kwargs.setdefault("auth_token", self.auth_token)
        kwargs.setdefault("account_sid", self.account_sid)
        kwargs.setdefault("to", OUR_NUMBER)
        return await post_inbound(self.webhook_url, from_=from_, body=body, **kwargs)

    async def settle(self) -> None:
        """Wait until every conversation turn and send has finished."""
        await self.gateway.worker.idle()

    def replies_to(self, number: str) -> list[str]:
        return [m["body"] for m in self.emulator.messages if m["to"] == number]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


StartGateway = Callable[..., Awaitable[Harness]]


class GatewayProcess:
    """A `python -m hermes_sms gateway` child whose output lines we can wait for."""

    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process = process
        self.port = port
        self.lines: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks/twilio"

    async def wait_for(self, text: str, timeout: float = 20.0) -> str:
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                for line in self.lines:
                    if text in line:
                        return line
                raw = await self.process.stdout.readline()
                if not raw:
                    raise AssertionError(f"gateway exited before {text!r}: {self.lines}")
                self.lines.append(raw.decode().rstrip("\n"))

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.returncode is None:
            self.process.send_signal(sig)
        assert self.process.stdout is not None
        rest = await asyncio.wait_for(self.process.stdout.read(), timeout=30)
        self.lines.extend(rest.decode().splitlines())
        return await asyncio.wait_for(self.process.wait(), timeout=30)


async def spawn(
    env: dict[str, str], *, preexec_fn: Callable[[], None] | None = None
) -> GatewayProcess:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hermes_sms",
        "gateway",
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        preexec_fn=preexec_fn,
    )
    return GatewayProcess(process, int(env["SMS_WEBHOOK_PORT"]))
