"""User info inside URLs (`https://user:password@host`, `https://TOKEN@host`) is a credential:
setup shows such URLs as `https://…@host` in every message, and never pre-fills a prompt with
one. Real parts only: the Twilio emulator and the pretend agent on 127.0.0.1, real files in a
temp HERMES_HOME, the real CLI (in-process, or in a pseudo-terminal for the wizard)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import base_env, run_in_thread, setup_args
from dotenv import dotenv_values
from test_setup_wizard import CLEAR, ENTER, Terminal, run_wizard, wizard_env

from hermes_sms.sandbox.fake_llm import FakeLLM
from hermes_sms.setup_wizard.values import resolve

OUR = "+15550100001"
ALICE = "+15550100002"
AGENT_KEY = "sk-userinfo-agent-key-2468"
# Every password or token below ends in "pw" plus digits, so one search finds any leak.
PASSWORDS = ("HUNTER2pw", "OLDSECRETpw77", "BASEpw99", "AGENTpw55", "BARETOKENpw11")
WEBHOOK = "https://bob:HUNTER2pw@abc.trycloudflare.com/webhooks/twilio"
WEBHOOK_SHOWN = "https://…@abc.trycloudflare.com/webhooks/twilio"
OLD_URL = "https://old:OLDSECRETpw77@old.example.com/webhooks/twilio"
OLD_SHOWN = "https://…@old.example.com/webhooks/twilio"


def assert_no_passwords(text: str) -> None:
    for password in PASSWORDS:
        assert password not in text, f"{password} leaked:\n{text}"


@pytest.fixture
async def agent():
    async with FakeLLM(models=["hermes-agent"], api_key=AGENT_KEY) as fake:
        yield fake


run = run_in_thread


def base_flags(twilio_creds, agent, *extra: str) -> list[str]:
    return setup_args(
        twilio_creds.account_sid,
        twilio_creds.auth_token,
        *extra,
        phone_number=OUR,
        allowed_users=ALICE,
        agent_url=agent.url,
        agent_model="hermes-agent",
        agent_api_key=AGENT_KEY,
    )


# --- unusable values: the problem sentence quotes the value, never its user info -------------


@pytest.mark.parametrize(
    ("name", "raw", "shown"),
    [
        ("SMS_WEBHOOK_URL", "http://bob:HUNTER2pw@example.com", "'http://…@example.com'"),
        ("SMS_WEBHOOK_URL", "http://BARETOKENpw11@example.com/x", "'http://…@example.com/x'"),
        ("SMS_AGENT_URL", "ftp://bob:AGENTpw55@models.example/v1", "'ftp://…@models.example/v1'"),
    ],
)
def test_problem_quotes_a_url_without_its_user_info(name: str, raw: str, shown: str) -> None:
    resolved = resolve({name: raw}, {})
    [problem] = [p for p in resolved.problems if p.startswith(name)]
    assert shown in problem
    assert_no_passwords(problem)


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        # Not a URL urlsplit can take apart: the user info cannot be told from the host, so
        # the value is not quoted at all.
        ("SMS_WEBHOOK_URL", "bob:HUNTER2pw@example.com"),
        ("SMS_AGENT_URL", "bob:AGENTpw55@models.example/v1"),
    ],
)
def test_problem_does_not_quote_an_unparsable_url_with_at(name: str, raw: str) -> None:
    resolved = resolve({name: raw}, {})
    [problem] = [p for p in resolved.problems if p.startswith(name)]
    assert "got" not in problem
    assert_no_passwords(problem)


async def test_unusable_url_flags_exit_2_without_the_password(
    isolated_home: Path, twilio_creds, agent
) -> None:
    args = base_flags(twilio_creds, agent, "--webhook-url", "http://bob:HUNTER2pw@example.com")
    args[args.index(agent.url)] = "ftp://bob:AGENTpw55@models.example/v1"
    result = await run(*args, env=base_env(isolated_home))
    assert result.code == 2
    assert "SMS_WEBHOOK_URL (--webhook-url) must start with https://" in result.stderr
    assert "'http://…@example.com'" in result.stderr
    assert "'ftp://…@models.example/v1'" in result.stderr
    assert_no_passwords(result.output)
    assert not (isolated_home / ".env").exists()


# --- non-interactive runs against the emulator ---------------------------------------------------


async def test_batch_webhook_lines_hide_user_info(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    emulator.numbers[0].update(sms_url=OLD_URL, sms_method="POST")
    env = base_env(isolated_home, TWILIO_API_BASE_URL=emulator.base_url)

    # Without --configure-webhook: where the number points now, and the flag to change it.
    plain = await run(*base_flags(twilio_creds, agent, "--webhook-url", WEBHOOK), env=env)
    assert plain.code == 0, plain.output
    assert f"go to: {OLD_SHOWN}" in plain.stdout
    assert f"point it at {WEBHOOK_SHOWN}" in plain.stdout
    assert emulator.numbers[0]["sms_url"] == OLD_URL

    # With it: the update is reported with the URL masked, and the real URL is what was set.
    pointed = await run(
        *base_flags(twilio_creds, agent, "--webhook-url", WEBHOOK, "--configure-webhook"),
        env=env,
    )
    assert pointed.code == 0, pointed.output
    assert f"to {WEBHOOK_SHOWN} (POST)" in pointed.stdout
    assert emulator.numbers[0]["sms_url"] == WEBHOOK
    assert dotenv_values(isolated_home / ".env")["SMS_WEBHOOK_URL"] == WEBHOOK

    # Once more: already set, and said so without the password.
    again = await run(
        *base_flags(twilio_creds, agent, "--webhook-url", WEBHOOK, "--configure-webhook"),
        env=env,
    )
    assert again.code == 0, again.output
    assert f"already points at {WEBHOOK_SHOWN}" in again.stdout
    for result in (plain, pointed, again):
        assert_no_passwords(result.output)


async def test_twilio_base_url_with_user_info_is_refused_without_showing_it(
    isolated_home: Path, twilio_creds, agent
) -> None:
    from test_doctor_support import free_port

    port = free_port()
    env = base_env(isolated_home, TWILIO_API_BASE_URL=f"http://api:BASEpw99@127.0.0.1:{port}")
    result = await run(*base_flags(twilio_creds, agent), env=env)
    # Refused as the configuration refuses it (see test_setup_base_url.py), quoted masked.
    assert result.code == 2
    assert f"got 'http://…@127.0.0.1:{port}' (without a user name or password" in result.stderr
    assert_no_passwords(result.output)


# --- the wizard ----------------------------------------------------------------------------------


def stored_file(home: Path, twilio_creds, agent_url: str) -> str:
    text = (
        f"TWILIO_ACCOUNT_SID={twilio_creds.account_sid}\n"
        f"TWILIO_AUTH_TOKEN={twilio_creds.auth_token}\n"
        f"TWILIO_PHONE_NUMBER={OUR}\n"
        f"SMS_ALLOWED_USERS={ALICE}\n"
        "SMS_ALLOW_ALL_USERS=false\n"
        f"SMS_HOME_CHANNEL={ALICE}\n"
        "SMS_WEBHOOK_PORT=8080\n"
        f"SMS_WEBHOOK_URL={WEBHOOK}\n"
        f"SMS_AGENT_URL={agent_url}\n"
        "SMS_AGENT_MODEL=hermes-agent\n"
        f"SMS_AGENT_API_KEY={AGENT_KEY}\n"
    )
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    (home / ".env").write_text(text)
    (home / ".env").chmod(0o600)
    return text


def with_user_info(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://agent:AGENTpw55@{rest}"


def first_steps(t: Terminal, twilio_creds) -> None:
    t.answer("Twilio Account SID", ENTER)
    t.answer(f"Enter keeps …{twilio_creds.auth_token[-4:]}", ENTER)
    t.expect("Credentials work")
    t.answer("Which of the account's numbers", ENTER)
    t.answer("Messaging Service SID", ENTER)
    t.answer("Who may text the agent?", ENTER)
    t.answer("Home channel", ENTER)
    t.answer("Port the gateway listens on", ENTER)


async def test_wizard_keeps_urls_with_user_info_without_showing_them(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    emulator.numbers[0].update(sms_url=OLD_URL, sms_method="POST")
    agent_url = with_user_info(agent.url)
    shown_agent = agent.url.replace("://", "://…@", 1)
    original = stored_file(isolated_home, twilio_creds, agent_url)

    def script(t: Terminal) -> None:
        first_steps(t, twilio_creds)
        # Offered as "Enter keeps", masked: never as an editable default holding the password.
        t.answer(f"Enter keeps {WEBHOOK_SHOWN}, - removes it", ENTER)
        t.expect(f"go to: {OLD_SHOWN} (POST)")
        t.answer(f"point it at {WEBHOOK_SHOWN}", "n")
        t.answer(f"Enter keeps {shown_agent}", ENTER)
        t.answer("Agent model", ENTER)
        t.answer(f"Enter keeps …{AGENT_KEY[-4:]}", ENTER)
        t.answer(f"Send a test request to {shown_agent}/models", "n")
        t.answer("Write these settings", "y")
        t.expect("Nothing changed")

    code, output = await run_wizard(wizard_env(isolated_home, emulator.base_url), script)
    assert code == 0, output
    assert (isolated_home / ".env").read_text() == original
    assert emulator.numbers[0]["sms_url"] == OLD_URL
    assert_no_passwords(output)
    assert twilio_creds.auth_token not in output and AGENT_KEY not in output


async def test_wizard_replaces_or_removes_a_url_with_user_info(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    agent_url = with_user_info(agent.url)
    stored_file(isolated_home, twilio_creds, agent_url)

    def script(t: Terminal) -> None:
        first_steps(t, twilio_creds)
        # A typed answer is checked like any other: an unusable one is refused, quietly.
        t.answer(f"Enter keeps {WEBHOOK_SHOWN}", "http://x:BARETOKENpw11@example.com" + ENTER)
        t.expect("must start with https://")
        t.child.send(CLEAR + "-" + ENTER)
        t.answer(f"Enter keeps {agent.url.replace('://', '://…@', 1)}", agent.url + ENTER)
        t.answer("Agent model", ENTER)
        t.answer(f"Enter keeps …{AGENT_KEY[-4:]}", ENTER)
        t.answer("Send a test request", "n")
        t.answer("Write these settings", "y")
        t.expect("Saved")

    code, output = await run_wizard(wizard_env(isolated_home, emulator.base_url), script)
    assert code == 0, output
    values = dotenv_values(isolated_home / ".env")
    assert "SMS_WEBHOOK_URL" not in values
    assert values["SMS_AGENT_URL"] == agent.url
    # The password stays in the file only in the previous version, kept private as .env.bak.
    assert_no_passwords(output.replace("BARETOKENpw11", ""))
