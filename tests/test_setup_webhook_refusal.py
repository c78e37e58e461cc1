"""setup points the number's webhook only where Twilio can deliver, by the rule of
`doctor --fix`: against real Twilio a local or private URL is refused (it would stop a working
number's messages), against a local Twilio emulator it is fine. Real CLI, in-process or in a
pseudo-terminal; the emulator on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import base_env, run_in_thread, setup_args
from dotenv import dotenv_values
from test_setup_wizard import CLEAR, ENTER, Terminal, run_wizard, wizard_env

from hermes_sms.cli.setup.batch import webhook_flag_advice

OUR = "+15550100001"
# Stands for the real Twilio: a public name to the rule, which never resolves, so no test can
# ever reach Twilio, even with the refusal broken.
REAL_TWILIO = "https://api.twilio.invalid"
LOCAL_URLS = {
    "loopback": (
        "https://127.0.0.1:8443",
        "https://127.0.0.1:8443/webhooks/twilio",
        "127.0.0.1 is this machine (loopback)",
    ),
    "localhost": (
        "http://localhost:8080",
        "http://localhost:8080/webhooks/twilio",
        "localhost is a local name",
    ),
    "private": (
        "https://10.0.0.5",
        "https://10.0.0.5/webhooks/twilio",
        "10.0.0.5 is a private address",
    ),
}


run = run_in_thread


def flags(twilio_creds, webhook_url: str, *extra: str) -> list[str]:
    return setup_args(
        twilio_creds.account_sid,
        twilio_creds.auth_token,
        *extra,
        phone_number=OUR,
        webhook_url=webhook_url,
    )


@pytest.mark.parametrize("kind", LOCAL_URLS)
async def test_non_interactive_refuses_a_local_url_for_real_twilio(
    isolated_home: Path, twilio_creds, kind: str
) -> None:
    given, full, reason = LOCAL_URLS[kind]
    env = base_env(isolated_home, TWILIO_API_BASE_URL=REAL_TWILIO)
    # --no-verify: without the refusal, nothing would stop setup from saving and then
    # changing the number.
    for extra in ((), ("--no-verify",)):
        result = await run(*flags(twilio_creds, given, "--configure-webhook", *extra), env=env)
        assert result.code == 2, result.output
        assert (
            f"--configure-webhook refused: SMS_WEBHOOK_URL {full} cannot be reached by Twilio: "
            f"{reason}, and pointing the number there would stop its messages." in result.stderr
        )
        assert "Pointing the webhook" not in result.output
        assert not (isolated_home / ".env").exists()


async def test_non_interactive_points_a_local_url_at_the_emulator(
    isolated_home: Path, emulator, twilio_creds
) -> None:
    env = base_env(isolated_home, TWILIO_API_BASE_URL=emulator.base_url)
    url = "http://127.0.0.1:8080/webhooks/twilio"
    result = await run(*flags(twilio_creds, url, "--configure-webhook"), env=env)
    assert result.code == 0, result.output
    assert (emulator.numbers[0]["sms_url"], emulator.numbers[0]["sms_method"]) == (url, "POST")


@pytest.mark.parametrize("configure", [False, True], ids=["asked", "configure-webhook"])
async def test_wizard_neither_offers_nor_makes_the_change_for_real_twilio(
    isolated_home: Path, twilio_creds, configure: bool
) -> None:
    given, full, reason = LOCAL_URLS["loopback"]

    def script(t: Terminal) -> None:
        t.answer("Twilio Account SID", twilio_creds.account_sid + ENTER)
        t.answer("Twilio Auth Token", twilio_creds.auth_token + ENTER)
        t.answer("Twilio phone number", OUR + ENTER)
        t.answer("Messaging Service SID", ENTER)
        t.answer("Who may text the agent?", ENTER)
        t.answer("Nobody yet (deny all", ENTER)
        t.answer("Home channel", ENTER)
        t.answer("Port the gateway listens on", ENTER)
        t.answer("Public https URL", given + ENTER)
        t.expect(
            f"The number's webhook is left as it is: SMS_WEBHOOK_URL {full} cannot be "
            f"reached by Twilio: {reason}"
        )
        t.answer("Agent URL", ENTER)
        t.answer("Agent model", ENTER)
        t.answer("Agent API key", ENTER)
        t.answer("Write these settings", "y")
        t.expect("Saved")

    args = ("--no-verify", "--configure-webhook") if configure else ("--no-verify",)
    code, output = await run_wizard(wizard_env(isolated_home, REAL_TWILIO), script, *args)
    assert code == 0, output
    assert "point it at" not in output and "Set the webhook in the Twilio console" not in output
    assert "Pointing the webhook" not in output
    assert dotenv_values(isolated_home / ".env")["SMS_WEBHOOK_URL"] == full


async def test_wizard_still_offers_a_local_url_to_the_emulator(
    isolated_home: Path, emulator, twilio_creds
) -> None:
    url = "http://127.0.0.1:8080/webhooks/twilio"

    def script(t: Terminal) -> None:
        t.answer("Twilio Account SID", twilio_creds.account_sid + ENTER)
        t.answer("Twilio Auth Token", twilio_creds.auth_token + ENTER)
        t.answer("Which of the account's numbers", ENTER)
        t.answer("Messaging Service SID", ENTER)
        t.answer("Who may text the agent?", ENTER)
        t.answer("Nobody yet (deny all", ENTER)
        t.answer("Home channel", ENTER)
        t.answer("Port the gateway listens on", ENTER)
        t.answer("Public https URL", CLEAR + url + ENTER)
        t.answer(f"point it at {url}", "y")
        t.answer("Agent URL", ENTER)
        t.answer("Agent model", ENTER)
        t.answer("Agent API key", ENTER)
        t.answer("Send a test request", "n")
        t.answer("Write these settings", "y")
        t.expect(f"Twilio now sends messages to {OUR}")

    code, output = await run_wizard(wizard_env(isolated_home, emulator.base_url), script)
    assert code == 0, output
    assert (emulator.numbers[0]["sms_url"], emulator.numbers[0]["sms_method"]) == (url, "POST")


@pytest.mark.parametrize("kind", LOCAL_URLS)
def test_non_interactive_does_not_suggest_the_flag_it_would_refuse(kind: str) -> None:
    """Without --configure-webhook, setup suggests the flag for a number pointed elsewhere;
    against the real Twilio and a local URL, the flag would be refused, so it says why the
    number is left alone instead. (The run itself would need the real Twilio to get there.)"""
    _, full, reason = LOCAL_URLS[kind]
    advice = webhook_flag_advice(REAL_TWILIO, full)
    assert "--configure-webhook" not in advice
    assert reason in advice and "left as it is" in advice
    # A public URL, or a local one against a local emulator: the flag is the advice.
    public = "https://sms.example.com/webhooks/twilio"
    assert "Pass --configure-webhook" in webhook_flag_advice(REAL_TWILIO, public)
    assert "Pass --configure-webhook" in webhook_flag_advice("http://127.0.0.1:9", full)
