"""The whole product on one machine with no Twilio account: the emulator, the real gateway with
signature checks on, an agent, and a pretend phone that texts it.

Used by `hermes-sms demo`; it renders nothing itself.
"""

from __future__ import annotations

import asyncio
import io
import logging
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hermes_sms.agent import Agent, EchoAgent, create_agent
from hermes_sms.config import Settings, load_settings
from hermes_sms.gateway.paths import WEBHOOK_PATH
from hermes_sms.gateway.service import Gateway
from hermes_sms.logs import configure_logging
from hermes_sms.sandbox.emulator import TwilioEmulator
from hermes_sms.sandbox.phone import post_inbound
from hermes_sms.text import Encoding, segment_info

DEMO_ACCOUNT_SID = "AC" + "de60" * 8
DEMO_AUTH_TOKEN = "demo-token-" + "0" * 21
DEMO_GATEWAY_NUMBER = "+15550100001"
DEMO_PHONE_NUMBER = "+15550100002"
AGENT_PROBE_SECONDS = 2.0


@dataclass(frozen=True)
class DemoReply:
    body: str
    encoding: Encoding
    segments: int


@dataclass
class DemoInfo:
    agent_name: str
    agent_is_fallback: bool  # the configured agent did not answer; echo is used instead
    agent_note: str
    home: Path
    webhook_url: str


class DemoSession:
    """`async with DemoSession(environ) as demo: replies = await demo.text("hi")`.

    `environ` supplies the agent settings (SMS_AGENT_*) and SMS_ENCODING; `home` is the
    HERMES_HOME for the gateway's database (a temporary directory when not given).
    """

    def __init__(self, environ: Mapping[str, str], home: Path | None = None) -> None:
        self.environ = environ
        self.home = home
        self.info: DemoInfo | None = None
        self.log_stream = io.StringIO()
        self._emulator: TwilioEmulator | None = None
        self._gateway: Gateway | None = None
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        self._webhook_url = ""
        self._seen = 0

    async def __aenter__(self) -> DemoSession:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> DemoInfo:
        if self.home is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix="hermes-sms-demo-")
            self.home = Path(self._tempdir.name)
        self._emulator = TwilioEmulator(
            DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, phone_numbers=(DEMO_GATEWAY_NUMBER,)
        )
        base_url = await self._emulator.start()
        settings = self._settings(base_url)
        agent, fallback, note = await _pick_agent(settings)
        log = configure_logging(self.log_stream, secrets=[DEMO_AUTH_TOKEN], level=logging.INFO)
        self._gateway = Gateway(settings, agent=agent, log=log)
        listening = await self._gateway.start("127.0.0.1", 0)
        self._webhook_url = f"http://127.0.0.1:{listening.port}{WEBHOOK_PATH}"
        self.info = DemoInfo(
            agent_name=agent.name,
            agent_is_fallback=fallback,
            agent_note=note,
            home=self.home,
            webhook_url=self._webhook_url,
        )
        return self.info

    def _settings(self, twilio_base_url: str) -> Settings:
        # The user's agent settings are kept; everything Twilio-side is the emulator's.
        environ: dict[str, Any] = {
            k: v for k, v in self.environ.items() if k.startswith("SMS_AGENT_") or k == "HOME"
        }
        environ.update(
            {
                "HERMES_HOME": str(self.home),
                "TWILIO_ACCOUNT_SID": DEMO_ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": DEMO_AUTH_TOKEN,
                "TWILIO_PHONE_NUMBER": DEMO_GATEWAY_NUMBER,
                "TWILIO_API_BASE_URL": twilio_base_url,
                "SMS_ALLOWED_USERS": DEMO_PHONE_NUMBER,
                "SMS_DEBOUNCE_SECONDS": "0",
                "SMS_RATE_LIMIT": "off",
                "SMS_ENCODING": self.environ.get("SMS_ENCODING", "smart"),
            }
        )
        return load_settings(environ)

    async def text(self, body: str) -> list[DemoReply]:
        """Text the gateway from the demo phone, signed as Twilio would; return the replies."""
        assert self._gateway is not None and self._emulator is not None, "start() first"
        result = await post_inbound(
            self._webhook_url,
            auth_token=DEMO_AUTH_TOKEN,
            account_sid=DEMO_ACCOUNT_SID,
            from_=DEMO_PHONE_NUMBER,
            to=DEMO_GATEWAY_NUMBER,
            body=body,
        )
        if result.status != 200:
            raise RuntimeError(f"the gateway answered {result.status}: {result.text}")
        await self._gateway.worker.idle()
        new = self._emulator.messages[self._seen :]
        self._seen = len(self._emulator.messages)
        replies = []
        for message in new:
            if message["to"] != DEMO_PHONE_NUMBER:
                continue
            info = segment_info(message["body"])
            replies.append(DemoReply(message["body"], info.encoding, info.segments))
        return replies

    @property
    def log(self) -> str:
        return self.log_stream.getvalue()

    async def stop(self) -> None:
        if self._gateway is not None:
            await self._gateway.stop(grace=2)
            self._gateway = None
        if self._emulator is not None:
            await self._emulator.stop()
            self._emulator = None
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None


async def _pick_agent(settings: Settings) -> tuple[Agent, bool, str]:
    """The configured agent when it answers, else the built-in echo agent (and why)."""
    if settings.agent.backend == "echo":
        return EchoAgent(), False, "SMS_AGENT_BACKEND=echo"
    agent = create_agent(settings.agent)
    try:
        check = await asyncio.wait_for(agent.check(AGENT_PROBE_SECONDS), AGENT_PROBE_SECONDS + 1)
    except TimeoutError:
        check = None
    if check is not None and check.ok:
        return agent, False, check.message
    await agent.close()
    why = check.message if check is not None else "no answer"
    return EchoAgent(), True, f"{settings.agent.url} did not answer ({why})"
