"""Fuzzing the webhook through the real app on 127.0.0.1 (hypothesis).

Whatever arrives — random or malformed forms, odd unicode, huge or missing fields, wrong
content types, bad or missing signatures — the gateway never answers 5xx, never calls the agent
or sends an SMS for an unsigned or unauthorised request, and stays healthy.

At least 2,000 examples run in CI; set HERMES_FUZZ_EXAMPLES for more.
"""

from __future__ import annotations

import asyncio
import os
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from harness import ALICE, OUR_NUMBER, STRANGER
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hermes_sms.config import load_settings
from hermes_sms.gateway.service import Gateway
from hermes_sms.logs import configure_logging
from hermes_sms.sandbox import TwilioEmulator, new_message_sid
from hermes_sms.sandbox.fake_llm import FakeLLM
from hermes_sms.twilio.signature import compute_signature

EXAMPLES = max(2000, int(os.environ.get("HERMES_FUZZ_EXAMPLES", "2000")))
SID = "AC" + "0123456789abcdef" * 2
TOKEN = "fuzz-token-" + "a" * 21


@dataclass
class Running:
    loop: asyncio.AbstractEventLoop
    gateway: Gateway
    emulator: TwilioEmulator
    llm: FakeLLM
    url: str
    session: aiohttp.ClientSession

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def post(self, body: bytes, headers: dict[str, str]) -> int:
        async def send() -> int:
            async with self.session.post(self.url, data=body, headers=headers) as response:
                await response.read()
                return response.status

        return int(self.run(send()))

    def effects(self) -> tuple[int, int, int]:
        """What an accepted message would change: agent calls, SMS sent, messages stored."""

        async def read() -> tuple[int, int, int]:
            await self.gateway.worker.idle()
            return (
                len(self.llm.requests),
                len(self.emulator.messages),
                self.gateway.store.count("inbound"),
            )

        return self.run(read())


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """One gateway for the whole module, on its own event loop in a thread: hypothesis drives
    examples synchronously, and restarting a server per example would fuzz start-up instead."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fuzz-loop", daemon=True)
    thread.start()
    home: Path = tmp_path_factory.mktemp("fuzz-home")

    async def start() -> Running:
        emulator = TwilioEmulator(SID, TOKEN, phone_numbers=(OUR_NUMBER,))
        await emulator.start()
        llm = FakeLLM()
        await llm.start()
        settings_ = load_settings(
            {
                "HERMES_HOME": str(home),
                "TWILIO_ACCOUNT_SID": SID,
                "TWILIO_AUTH_TOKEN": TOKEN,
                "TWILIO_PHONE_NUMBER": OUR_NUMBER,
                "TWILIO_API_BASE_URL": emulator.base_url,
                "SMS_ALLOWED_USERS": ALICE,
                "SMS_DEBOUNCE_SECONDS": "0",
                "SMS_AGENT_URL": llm.url,
                "SMS_RATE_LIMIT": "off",
            }
        )
        import io

        log = configure_logging(io.StringIO(), secrets=[TOKEN])
        gateway = Gateway(settings_, log=log)
        listening = await gateway.start("127.0.0.1", 0)
        session = aiohttp.ClientSession()
        url = f"http://127.0.0.1:{listening.port}/webhooks/twilio"
        return Running(loop, gateway, emulator, llm, url, session)

    state = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    yield state

    async def stop() -> None:
        await state.session.close()
        await state.gateway.stop(grace=1)
        await state.llm.stop()
        await state.emulator.stop()

    asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    loop.close()


# --- strategies -------------------------------------------------------------------------------

odd_text = st.one_of(
    st.text(max_size=50),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=30),
    st.sampled_from(["", " ", "\x00", "\ud7ff", "STOP", "/reset", "+15550100002", "%", "&=&"]),
    st.text(min_size=2000, max_size=3000),
    st.just("x" * 70_000),  # the whole body over the 64 KiB limit: 413, never a 5xx
)
FIELDS = ["MessageSid", "AccountSid", "From", "To", "Body", "NumMedia", "MediaUrl0", "X"]


@st.composite
def forms(draw: st.DrawFn) -> dict[str, str]:
    """A Twilio-like form with fields missing, odd, or replaced at random."""
    form = {
        "MessageSid": new_message_sid(),
        "AccountSid": SID,
        "From": draw(st.sampled_from([ALICE, STRANGER, OUR_NUMBER, "", "whatsapp:+1555"])),
        "To": OUR_NUMBER,
        "Body": draw(odd_text),
        "NumMedia": draw(st.sampled_from(["0", "1", "10", "-1", "99999999999", "x", ""])),
        "MediaUrl0": "https://media.example/x.jpg",
    }
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=3)):
        if draw(st.booleans()):
            form.pop(name, None)
        else:
            form[name] = draw(odd_text)
    return form


@st.composite
def unsigned_requests(draw: st.DrawFn) -> tuple[bytes, dict[str, str]]:
    """Requests that must change nothing: no, wrong or stale signatures; junk on the wire."""
    kind = draw(st.sampled_from(["none", "wrong-token", "garbage", "tampered", "bytes"]))
    form = draw(forms())
    body = urllib.parse.urlencode(form, errors="surrogatepass").encode()
    headers = {
        "Content-Type": draw(
            st.sampled_from(
                [
                    "application/x-www-form-urlencoded",
                    "application/json",
                    "text/plain",
                    "multipart/form-data; boundary=x",
                    "application/x-www-form-urlencoded; charset=latin-1",
                ]
            )
        )
    }
    url = "https://elsewhere.example/webhooks/twilio"  # not the URL requested: never valid
    if kind == "wrong-token":
        headers["X-Twilio-Signature"] = sign("not-the-token", url, form)
    elif kind == "garbage":
        headers["X-Twilio-Signature"] = draw(st.text(max_size=40).map(_header_safe))
    elif kind == "tampered":
        headers["X-Twilio-Signature"] = sign(TOKEN, url, form)
    elif kind == "bytes":
        body = draw(st.binary(max_size=4000))
    return body, headers


def sign(token: str, url: str, form: dict[str, str]) -> str:
    """Twilio's signature; a form with lone surrogates (sent as invalid UTF-8) cannot be signed,
    so it gets a placeholder the gateway must refuse anyway."""
    try:
        return compute_signature(token, url, form)
    except UnicodeEncodeError:
        return "unsignable"


def _header_safe(value: str) -> str:
    return "".join(ch for ch in value if 32 <= ord(ch) < 127)


# --- properties -------------------------------------------------------------------------------


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,
)
@given(request=unsigned_requests())
def test_unsigned_or_junk_changes_nothing(running: Running, request: tuple[bytes, dict]) -> None:
    before = running.effects()
    body, headers = request
    status = running.post(body, headers)
    assert status < 500
    assert status in (400, 403, 413)
    assert running.effects() == before


@settings(
    max_examples=max(300, EXAMPLES // 5),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,
)
@given(form=forms())
def test_signed_forms_never_5xx_and_strangers_get_nothing(
    running: Running, form: dict[str, str]
) -> None:
    body = urllib.parse.urlencode(form, errors="surrogatepass").encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": sign(TOKEN, running.url, form),
    }
    before = running.effects()
    status = running.post(body, headers)
    assert status < 500
    if form.get("From") != ALICE:
        # Not our allowed sender (stranger, echo, junk): acknowledged at most, never acted on.
        assert running.effects()[:2] == before[:2]


def test_gateway_healthy_after_fuzzing(running: Running) -> None:
    async def health() -> dict[str, Any]:
        base = running.url.rsplit("/webhooks", 1)[0]
        async with running.session.get(f"{base}/health") as response:
            assert response.status == 200
            return await response.json()

    assert running.run(health())["status"] == "ok"
    # And it still answers a real text (START first: the fuzz may have texted STOP).
    for body in ("START", "still there?"):
        form = {
            "MessageSid": new_message_sid(),
            "AccountSid": SID,
            "From": ALICE,
            "To": OUR_NUMBER,
            "Body": body,
        }
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": compute_signature(TOKEN, running.url, form),
        }
        sent_before = running.effects()[1]
        assert running.post(urllib.parse.urlencode(form).encode(), headers) == 200
    assert running.effects()[1] == sent_before + 1
