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
from hermes_sms.gateway.keywords import Keyword, carrier_keyword
from hermes_sms.gateway.paths import WEBHOOK_PATH
from hermes_sms.gateway.service import Gateway
from hermes_sms.logs import configure_logging
from hermes_sms.masking import display_url, display_urls_in
from hermes_sms.sandbox.emulator import TwilioEmulator
from hermes_sms.sandbox.phone import post_inbound
from hermes_sms.text import Encoding, segment_info

DEMO_ACCOUNT_SID = "AC" + "de60" * 8
DEMO_AUTH_TOKEN = "demo-token-" + "0" * 21
DEMO_GATEWAY_NUMBER = "+15550100001"
DEMO_PHONE_NUMBER = "+15550100002"
AGENT_PROBE_SECONDS = 2.0

# Twilio answers these keywords itself (Advanced Opt-Out defaults) and still forwards them to
# the webhook; the gateway stays silent, so a phone shows Twilio's text and nothing else.
TWILIO_KEYWORD_REPLIES = {
    Keyword.OPT_OUT: (
        "You have successfully been unsubscribed. You will not receive any more messages from "
        "this number. Reply START to resubscribe."
    ),
    Keyword.OPT_IN: (
        "You have successfully been re-subscribed to messages from this number. Reply HELP for "
        "help. Reply STOP to unsubscribe. Msg&Data Rates May Apply."
    ),
    Keyword.HELP: "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
}


class DemoError(Exception):
    """The demo could not start or the gateway refused a text; the message says why."""


@dataclass(frozen=True)
class DemoReply:
    body: str
    encoding: Encoding
    segments: int
    # True for the keyword answers Twilio itself sends (STOP, START, HELP), not the gateway.
    from_twilio: bool = False


@dataclass
class DemoInfo:
    agent_name: str
    agent_is_fallback: bool  # the configured agent did not answer; echo is used instead
    agent_note: str  # why this agent: what the probe found, or which setting chose it
    home: Path
    home_is_temporary: bool  # a temporary folder, deleted when the demo stops
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
        """Start everything; on failure stop what was started and raise DemoError."""
        try:
            return await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> DemoInfo:
        from hermes_sms.gateway.service import ListenError
        from hermes_sms.store import StoreError

        if self.home is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix="hermes-sms-demo-")
            self.home = Path(self._tempdir.name)
        self._emulator = TwilioEmulator(
            DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, phone_numbers=(DEMO_GATEWAY_NUMBER,)
        )
        base_url = await self._emulator.start()
        settings = self._settings(base_url)
        agent, fallback, note = await _pick_agent(settings, "SMS_AGENT_URL" in self.environ)
        log = configure_logging(self.log_stream, secrets=[DEMO_AUTH_TOKEN], level=logging.INFO)
        try:
            self._gateway = Gateway(settings, agent=agent, log=log)
        except StoreError as exc:
            await agent.close()
            raise DemoError(f"{exc}. Check that {self.home} is a writable folder.") from exc
        try:
            listening = await self._gateway.start("127.0.0.1", 0)
        except ListenError as exc:
            raise DemoError(str(exc)) from exc
        self._webhook_url = f"http://127.0.0.1:{listening.port}{WEBHOOK_PATH}"
        self.info = DemoInfo(
            agent_name=agent.name,
            agent_is_fallback=fallback,
            agent_note=note,
            home=self.home,
            home_is_temporary=self._tempdir is not None,
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
            raise DemoError(f"the gateway answered {result.status}: {result.text.strip()}")
        keyword = carrier_keyword(body)
        # As Twilio does: after STOP, sends to the phone fail (21610) until START.
        if keyword is Keyword.OPT_OUT:
            self._emulator.opt_out(DEMO_PHONE_NUMBER)
        elif keyword is Keyword.OPT_IN:
            self._emulator.opt_in(DEMO_PHONE_NUMBER)
        await self._gateway.worker.idle()
        new = self._emulator.messages[self._seen :]
        self._seen = len(self._emulator.messages)
        replies = []
        for message in new:
            if message["to"] != DEMO_PHONE_NUMBER:
                continue
            info = segment_info(message["body"])
            replies.append(DemoReply(message["body"], info.encoding, info.segments))
        if keyword is not None:
            answer = TWILIO_KEYWORD_REPLIES[keyword]
            info = segment_info(answer)
            replies.append(DemoReply(answer, info.encoding, info.segments, from_twilio=True))
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


async def _pick_agent(settings: Settings, url_configured: bool) -> tuple[Agent, bool, str]:
    """The configured agent when it answers, else the built-in echo agent (and why)."""
    if settings.agent.backend == "echo":
        return EchoAgent(), False, "chosen by SMS_AGENT_BACKEND=echo"
    source = "SMS_AGENT_URL" if url_configured else "the default agent URL"
    agent = create_agent(settings.agent)
    try:
        check = await asyncio.wait_for(agent.check(AGENT_PROBE_SECONDS), AGENT_PROBE_SECONDS + 1)
    except TimeoutError:
        check = None
    # Shown on the terminal: a password in the URL (or quoted in the check's message) must not be.
    if check is not None and check.ok:
        return agent, False, f"{source} answered: {display_urls_in(check.message)}"
    await agent.close()
    why = display_urls_in(check.message) if check is not None else "no answer"
    unset = "" if url_configured else " (SMS_AGENT_URL is not set)"
    shown = display_url(settings.agent.url)
    return EchoAgent(), True, f"{source} {shown}{unset} did not answer ({why})"
