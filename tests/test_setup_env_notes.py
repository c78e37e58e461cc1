"""A value set in the shell's environment wins over `.env`, and the wizard offers it as the
current value: it says so at the question it pre-fills (docs/setup.md, "What is written, and
how"), rather than showing it in the summary as a change from nowhere. Real CLI in a
pseudo-terminal, the Twilio emulator and the pretend agent on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from dotenv import dotenv_values
from test_setup_wizard import AGENT_KEY, CTRL_C, ENTER, Terminal, existing_file, run_wizard
from test_setup_wizard import wizard_env as base_wizard_env

from hermes_sms.sandbox.fake_llm import FakeLLM

SHELL_HOME = "+15550100003"
NOTE = "Note: {name} is set in this shell's environment, so the value offered next comes from"


@pytest.fixture
async def agent():
    async with FakeLLM(models=["hermes-agent"], api_key=AGENT_KEY) as fake:
        yield fake


async def test_wizard_points_out_a_value_it_takes_from_the_environment(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    existing_file(isolated_home, twilio_creds, agent.url)
    env = {**base_wizard_env(isolated_home, emulator.base_url), "SMS_HOME_CHANNEL": SHELL_HOME}
    note = NOTE.format(name="SMS_HOME_CHANNEL")

    def script(t: Terminal) -> None:
        t.answer("Twilio Account SID", ENTER)
        t.answer(f"Enter keeps …{twilio_creds.auth_token[-4:]}", ENTER)
        t.answer("Which of the account's numbers", ENTER)
        t.answer("Messaging Service SID", ENTER)
        t.answer("Who may text the agent?", ENTER)
        t.expect(note)
        # Pre-filled from the environment, not from the file's +15550100002.
        t.expect("Home channel")
        t.answer(SHELL_HOME, ENTER)
        t.answer("Port the gateway listens on", ENTER)
        t.answer("Public https URL", ENTER)
        t.answer("point it at", "n")
        t.answer("Agent URL", ENTER)
        t.answer("Agent model", ENTER)
        t.answer(f"Enter keeps …{AGENT_KEY[-4:]}", ENTER)
        t.answer("Send a test request", "n")
        t.answer("Write these settings", "y")
        t.expect("Saved")

    code, output = await run_wizard(env, script)
    assert code == 0, output
    assert output.count(note) == 1
    assert output.index(note) < output.index("Home channel")
    # Only the variable that is in the environment is pointed out.
    assert output.count("is set in this shell's environment") == 1
    assert dotenv_values(isolated_home / ".env")["SMS_HOME_CHANNEL"] == SHELL_HOME
    assert twilio_creds.auth_token not in output and AGENT_KEY not in output


async def test_a_secret_from_the_environment_is_named_never_shown(
    isolated_home: Path, emulator, twilio_creds
) -> None:
    env = {
        **base_wizard_env(isolated_home, emulator.base_url),
        "TWILIO_AUTH_TOKEN": twilio_creds.auth_token,
    }

    def script(t: Terminal) -> None:
        t.expect(NOTE.format(name="TWILIO_AUTH_TOKEN"))
        t.answer("Twilio Account SID", twilio_creds.account_sid + ENTER)
        t.answer(f"Enter keeps …{twilio_creds.auth_token[-4:]}", ENTER)
        t.expect("Credentials work")
        t.answer("Which of the account's numbers", CTRL_C)
        t.expect("setup cancelled")

    code, output = await run_wizard(env, script)
    assert code == 130, output
    assert twilio_creds.auth_token not in output
