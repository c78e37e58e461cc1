"""A real gateway on 127.0.0.1 wired to the Twilio emulator and a fake OpenAI-compatible agent."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from hermes_sms.config import Settings, load_settings
from hermes_sms.gateway.service import Gateway
from hermes_sms.logs import configure_logging
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


StartGateway = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeLLM]:
    async with FakeLLM() as llm:
        yield llm


@pytest.fixture
async def start_gateway(
    emulator: TwilioEmulator, fake_llm: FakeLLM, isolated_home: Path, twilio_creds: Any
) -> AsyncIterator[StartGateway]:
    """`await start_gateway(SMS_DEBOUNCE_SECONDS="1")`: env overrides on top of a test setup."""
    started: list[Gateway] = []

    async def start(**overrides: str) -> Harness:
        environ = {
            "HERMES_HOME": str(isolated_home),
            "TWILIO_ACCOUNT_SID": twilio_creds.account_sid,
            "TWILIO_AUTH_TOKEN": twilio_creds.auth_token,
            "TWILIO_PHONE_NUMBER": OUR_NUMBER,
            "TWILIO_API_BASE_URL": emulator.base_url,
            "SMS_ALLOWED_USERS": f"{ALICE},{BOB}",
            "SMS_DEBOUNCE_SECONDS": "0",
            "SMS_AGENT_URL": fake_llm.url,
            "SMS_AGENT_TIMEOUT": "5",
            **overrides,
        }
        settings = load_settings(environ)
        stream = io.StringIO()
        log = configure_logging(stream, secrets=[twilio_creds.auth_token], level=logging.DEBUG)
        gateway = Gateway(settings, log=log)
        # Retries in milliseconds, so fault tests do not sleep for real.
        gateway.client.backoff_base = 0.01
        gateway.client.backoff_max = 0.02
        listening = await gateway.start("127.0.0.1", 0)
        started.append(gateway)
        return Harness(
            gateway=gateway,
            settings=settings,
            emulator=emulator,
            llm=fake_llm,
            base_url=f"http://127.0.0.1:{listening.port}",
            log_stream=stream,
            auth_token=twilio_creds.auth_token,
            account_sid=twilio_creds.account_sid,
        )

    yield start
    for gateway in started:
        await gateway.stop(grace=1)
