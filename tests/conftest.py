"""Shared fixtures. Every test runs with HERMES_HOME pointed at its own temp dir and with no
Twilio or SMS variables inherited from the machine, so no test can read a real configuration."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_PREFIXES = ("TWILIO_", "SMS_", "HERMES_")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HERMES_HOME at a fresh temp dir and drop inherited configuration variables."""
    for name in list(os.environ):
        if name.startswith(_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "hermes-home"
    monkeypatch.setenv("HERMES_HOME", str(home))
    return home


# --- Twilio emulator fixtures (hermes_sms.sandbox) ------------------------------------------------
# Imports live inside the fixtures: this block is appended below the module's own imports.

TEST_ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
TEST_AUTH_TOKEN = "test-auth-token-" + "f" * 16
TEST_PHONE_NUMBER = "+15550100001"


class TwilioCreds:
    """Fixed fake credentials; unpacks as ``account_sid, auth_token``."""

    __slots__ = ("account_sid", "auth_token")

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token

    def __iter__(self):
        return iter((self.account_sid, self.auth_token))

    def __repr__(self) -> str:
        # Even fake tokens stay out of test output: it mirrors how real ones must be handled.
        return f"TwilioCreds(account_sid={self.account_sid!r})"


@pytest.fixture
def twilio_creds() -> TwilioCreds:
    """A fixed fake Account SID ("AC" + 32 hex) and Auth Token."""
    return TwilioCreds(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)


@pytest.fixture
async def emulator_factory(twilio_creds: TwilioCreds):
    """Start TwilioEmulators with custom options: ``await emulator_factory(account_type="Trial")``.

    Defaults to the ``twilio_creds`` account; every emulator started is stopped at teardown.
    """
    from hermes_sms.sandbox import TwilioEmulator

    started = []

    async def start(**kwargs):
        kwargs.setdefault("account_sid", twilio_creds.account_sid)
        kwargs.setdefault("auth_token", twilio_creds.auth_token)
        emu = TwilioEmulator(**kwargs)
        await emu.start()
        started.append(emu)
        return emu

    yield start
    for emu in started:
        await emu.stop()


@pytest.fixture
async def emulator(emulator_factory):
    """A started TwilioEmulator (Full account, number +15550100001) on 127.0.0.1, free port.

    ``emulator.base_url`` is e.g. http://127.0.0.1:PORT (set TWILIO_API_BASE_URL to it for a
    subprocess); ``emulator.messages`` and ``emulator.requests`` stay readable after the test.
    """
    return await emulator_factory()


@pytest.fixture
async def twilio_client(emulator, twilio_creds: TwilioCreds):
    """A TwilioClient pointed at ``emulator`` with tiny backoff so retries take milliseconds."""
    from hermes_sms.twilio.client import TwilioClient

    client = TwilioClient(
        twilio_creds.account_sid,
        twilio_creds.auth_token,
        base_url=emulator.base_url,
        timeout=5.0,
        backoff_base=0.01,
        backoff_max=0.05,
    )
    yield client
    await client.close()
