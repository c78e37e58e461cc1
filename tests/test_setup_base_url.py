"""TWILIO_API_BASE_URL is judged by setup as by the configuration: a value `send` refuses
(exit 2, one precise sentence) is refused by setup in the same words, wizard and
non-interactive alike, before any request. Real CLI, the Twilio emulator on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cli_helpers import base_env, run_in_thread
from test_setup_wizard import Terminal, run_wizard, wizard_env

OUR = "+15550100001"
PASSWORD = "BASEpw42"

# Each built from the emulator's own address, so only the mistake stands between setup and
# a working Twilio: a request that got through would reach the emulator and be counted.
MISTAKES: dict[str, Callable[[str], str]] = {
    "api-version": lambda base: base + "/2010-04-01",
    "no-scheme": lambda base: base.removeprefix("http://"),
    "user-info": lambda base: base.replace("http://", f"http://api:{PASSWORD}@"),
    "query": lambda base: base + "?x=1",
}


run = run_in_thread


async def configuration_sentence(env: dict[str, str]) -> str:
    """What `hermes-sms send` says about TWILIO_API_BASE_URL with this environment."""
    sent = await run("send", "--to", "+15550100002", "hello", env=env)
    assert sent.code == 2, sent.output
    [line] = [line for line in sent.stderr.splitlines() if "TWILIO_API_BASE_URL" in line]
    return line.strip().removeprefix("- ")


@pytest.mark.parametrize("mistake", MISTAKES)
async def test_non_interactive_refuses_it_as_send_does(
    isolated_home: Path, emulator, twilio_creds, mistake: str
) -> None:
    env = base_env(
        isolated_home,
        TWILIO_API_BASE_URL=MISTAKES[mistake](emulator.base_url),
        TWILIO_ACCOUNT_SID=twilio_creds.account_sid,
        TWILIO_AUTH_TOKEN=twilio_creds.auth_token,
        TWILIO_PHONE_NUMBER=OUR,
    )
    expected = await configuration_sentence(env)
    result = await run("setup", "--non-interactive", env=env)
    assert result.code == 2, result.output
    assert expected in result.stderr
    assert "setup does not write TWILIO_API_BASE_URL" in result.stderr
    assert "Could not reach" not in result.output
    assert emulator.requests == []
    assert not (isolated_home / ".env").exists()
    assert PASSWORD not in result.output and twilio_creds.auth_token not in result.output


@pytest.mark.parametrize("mistake", MISTAKES)
async def test_wizard_refuses_it_before_the_first_question(
    isolated_home: Path, emulator, twilio_creds, mistake: str
) -> None:
    env = wizard_env(isolated_home, MISTAKES[mistake](emulator.base_url))
    expected = await configuration_sentence(
        {
            **env,
            "TWILIO_ACCOUNT_SID": twilio_creds.account_sid,
            "TWILIO_AUTH_TOKEN": twilio_creds.auth_token,
            "TWILIO_PHONE_NUMBER": OUR,
        }
    )

    def script(t: Terminal) -> None:
        t.expect("TWILIO_API_BASE_URL must be")

    code, output = await run_wizard(env, script)
    assert code == 2, output
    assert expected in " ".join(output.split())
    assert "Twilio Account SID" not in output
    assert emulator.requests == []
    assert not (isolated_home / ".env").exists()
    assert PASSWORD not in output


async def test_a_trailing_slash_is_still_fine(isolated_home: Path, emulator, twilio_creds) -> None:
    env = base_env(isolated_home, TWILIO_API_BASE_URL=emulator.base_url + "/")
    args = ("--account-sid", twilio_creds.account_sid, "--auth-token", twilio_creds.auth_token)
    result = await run("setup", "--non-interactive", *args, "--phone-number", OUR, env=env)
    assert result.code == 0, result.output
    assert "Credentials work" in result.stdout
