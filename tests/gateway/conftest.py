"""A real gateway on 127.0.0.1 wired to the Twilio emulator and a fake OpenAI-compatible agent."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from harness import ALICE, BOB, OUR_NUMBER, Harness, StartGateway, free_port

from hermes_sms.config import load_settings
from hermes_sms.gateway.service import Gateway
from hermes_sms.logs import configure_logging
from hermes_sms.sandbox import TwilioEmulator
from hermes_sms.sandbox.fake_llm import FakeLLM
from hermes_sms.twilio.client import TwilioClient


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

    async def start(*, with_webhook_url: bool = False, **overrides: str) -> Harness:
        """`with_webhook_url`: listen on a known free port and set SMS_WEBHOOK_URL to it, so
        outbound messages carry a StatusCallback pointing back at this gateway."""
        port = 0
        if with_webhook_url:
            port = free_port()
            overrides.setdefault("SMS_WEBHOOK_URL", f"http://127.0.0.1:{port}/webhooks/twilio")
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
        twilio = settings.require_twilio()
        # Retries in milliseconds and short timeouts, so fault tests do not sleep for real.
        client = TwilioClient(
            twilio.account_sid,
            twilio.auth_token,
            base_url=twilio.api_base_url,
            timeout=2.0,
            backoff_base=0.01,
            backoff_max=0.02,
        )
        gateway = Gateway(settings, client=client, log=log, retry_first_seconds=0.05)
        try:
            listening = await gateway.start("127.0.0.1", port)
        except BaseException:
            await gateway.stop(grace=0)  # as the CLI does: close what was opened
            raise
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
