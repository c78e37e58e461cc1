"""Decisions of the interactive wizard that the broader tests did not pin down (found by
mutating hermes_sms/cli/setup/interactive.py, common.py and prompts.py). The real CLI in a
pseudo-terminal, as in test_setup_wizard.py, against the Twilio emulator and the pretend agent."""

from __future__ import annotations

from pathlib import Path

import pytest
from dotenv import dotenv_values
from test_setup_checks import unused_port
from test_setup_wizard import (
    AGENT_KEY,
    CTRL_C,
    DOWN,
    ENTER,
    OUR,
    Terminal,
    run_wizard,
    wizard_env,
)

from hermes_sms import messages
from hermes_sms.sandbox.fake_llm import FakeLLM

ALICE = "+15550100002"
WEBHOOK = "https://abc.trycloudflare.com/webhooks/twilio"
NOTE = "is set in this shell's environment, so the value offered next comes from"


@pytest.fixture
async def agent():
    async with FakeLLM(models=["hermes-agent"], api_key=AGENT_KEY) as fake:
        yield fake


async def test_required_token_then_reenter_offers_the_token_just_typed(
    isolated_home: Path, twilio_creds
) -> None:
    """A blank Auth Token is refused on the spot; after "enter again" (Twilio unreachable),
    the token typed a moment ago is what Enter keeps."""
    env = wizard_env(isolated_home, f"http://127.0.0.1:{unused_port()}")
    token = twilio_creds.auth_token

    def script(t: Terminal) -> None:
        t.answer("Twilio Account SID", twilio_creds.account_sid + ENTER)
        t.answer("Twilio Auth Token", ENTER)
        t.expect("Required: paste it here (it is not shown).")
        t.child.send(token + ENTER)
        t.expect("Could not check the credentials")
        t.answer(messages.SETUP_CHOICE_SKIP_CHECK, DOWN + ENTER)  # "Enter … again"
        t.answer("Twilio Account SID", ENTER)
        t.answer(f"Enter keeps …{token[-4:]}", ENTER)
        t.expect("Could not check the credentials")
        t.answer(messages.SETUP_CHOICE_SKIP_CHECK, DOWN + DOWN + ENTER)
        t.answer("Twilio phone number", CTRL_C)
        t.expect("setup cancelled")

    code, output = await run_wizard(env, script)
    assert code == 130, output
    assert token not in output


async def test_rerun_keeps_allow_all_sees_the_webhook_set_and_removes_the_key(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    isolated_home.mkdir(parents=True)
    (isolated_home / ".env").write_text(
        f"TWILIO_ACCOUNT_SID={twilio_creds.account_sid}\n"
        f"TWILIO_AUTH_TOKEN={twilio_creds.auth_token}\n"
        f"TWILIO_PHONE_NUMBER={OUR}\n"
        "SMS_ALLOW_ALL_USERS=true\n"
        "SMS_WEBHOOK_PORT=8080\n"
        f"SMS_WEBHOOK_URL={WEBHOOK}\n"
        f"SMS_AGENT_URL={agent.url}\n"
        "SMS_AGENT_MODEL=hermes-agent\n"
        f"SMS_AGENT_API_KEY={AGENT_KEY}\n"
    )
    emulator.numbers[0]["sms_url"] = WEBHOOK

    def script(t: Terminal) -> None:
        t.answer("Twilio Account SID", ENTER)
        t.answer("Twilio Auth Token", ENTER)
        t.expect("Credentials work")
        t.answer("Which of the account's numbers", ENTER)
        t.answer("Messaging Service SID", ENTER)
        t.answer("Who may text the agent?", ENTER)
        # The stored choice (anyone) is the default: Enter keeps it.
        t.answer("Nobody yet (deny all", ENTER)
        t.expect(f"anyone who texts {OUR} reaches your agent")
        t.answer("Home channel", ENTER)
        t.answer("Port the gateway listens on", ENTER)
        t.answer("Public https URL", ENTER)
        t.expect(f"The number's webhook already points at {WEBHOOK}")
        t.answer("Agent URL", ENTER)
        t.answer("Agent model", ENTER)
        t.answer(f"Enter keeps …{AGENT_KEY[-4:]}, - removes it", "-" + ENTER)
        t.answer("Send a test request", "n")
        t.answer("Write these settings", "y")
        t.expect("Saved")

    code, output = await run_wizard(wizard_env(isolated_home, emulator.base_url), script)
    assert code == 0, output
    assert "point it at" not in output
    values = dotenv_values(isolated_home / ".env")
    assert values["SMS_ALLOW_ALL_USERS"] == "true"
    assert "SMS_AGENT_API_KEY" not in values
    assert [r for r in emulator.requests if r.method == "POST"] == []
    assert twilio_creds.auth_token not in output and AGENT_KEY not in output


async def test_flags_in_the_wizard_are_trimmed_and_win_over_the_environment(
    isolated_home: Path, emulator, twilio_creds
) -> None:
    env = {
        **wizard_env(isolated_home, emulator.base_url),
        "TWILIO_ACCOUNT_SID": twilio_creds.account_sid,
    }
    args = (
        "--account-sid",
        twilio_creds.account_sid,
        "--auth-token",
        f" {twilio_creds.auth_token} ",
    )

    def script(t: Terminal) -> None:
        t.answer("Twilio Account SID", ENTER)
        t.answer(f"Enter keeps …{twilio_creds.auth_token[-4:]}", ENTER)
        t.expect("Credentials work")
        t.answer("Which of the account's numbers", CTRL_C)
        t.expect("setup cancelled")

    code, output = await run_wizard(env, script, *args)
    assert code == 130, output
    # The flag's value is offered: the environment is not where it came from.
    assert NOTE not in output
    assert twilio_creds.auth_token not in output


async def test_numbers_that_could_not_be_listed_get_the_console_steps(
    isolated_home: Path, emulator, twilio_creds
) -> None:
    emulator.inject_fault(500, path_contains="/IncomingPhoneNumbers.json")

    def script(t: Terminal) -> None:
        t.answer("Twilio Account SID", twilio_creds.account_sid + ENTER)
        t.answer("Twilio Auth Token", twilio_creds.auth_token + ENTER)
        t.expect("Credentials work")
        t.expect("Could not list the account's numbers")
        t.answer("Twilio phone number", OUR + ENTER)
        t.answer("Messaging Service SID", ENTER)
        t.answer("Who may text the agent?", ALICE + ENTER)
        t.answer("Home channel", ENTER)
        t.answer("Port the gateway listens on", ENTER)
        t.answer("Public https URL", "https://abc.trycloudflare.com" + ENTER)
        # Not known to be foreign, only not looked up: how to set it by hand.
        t.expect("Set the webhook in the Twilio console")
        t.answer("Agent URL", CTRL_C)
        t.expect("setup cancelled")

    code, output = await run_wizard(wizard_env(isolated_home, emulator.base_url), script)
    assert code == 130, output
    assert "is not a number of this Twilio account" not in output
