"""`hermes-sms setup` without prompts: flags and environment in, file out, against the Twilio
emulator and the pretend agent. In-process runs go through `main()` in a worker thread so the
emulator keeps serving on the test's event loop."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest
from cli_helpers import (
    Result,
    base_env,
    free_port,
    run_cli,
    run_in_thread,
    setup_args,
)
from dotenv import dotenv_values

from hermes_sms.sandbox.fake_llm import FakeLLM

OUR = "+15550100001"
WEBHOOK = "https://abc.trycloudflare.com/webhooks/twilio"
AGENT_KEY = "sk-agent-secret-key-7777"
MANAGED = {
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_PHONE_NUMBER",
    "SMS_ALLOWED_USERS",
    "SMS_ALLOW_ALL_USERS",
    "SMS_HOME_CHANNEL",
    "SMS_WEBHOOK_PORT",
    "SMS_WEBHOOK_URL",
    "SMS_AGENT_URL",
    "SMS_AGENT_MODEL",
    "SMS_AGENT_API_KEY",
}


@pytest.fixture
async def agent():
    async with FakeLLM(models=["hermes-agent"], api_key=AGENT_KEY) as fake:
        yield fake


def flags(twilio_creds, agent, *extra: str) -> list[str]:
    return setup_args(
        twilio_creds.account_sid,
        twilio_creds.auth_token,
        *extra,
        phone_number="+1 (555) 010-0001",
        allowed_users="+1 555 010 0002, +15550100003",
        port=str(free_port()),
        webhook_url="https://abc.trycloudflare.com",
        agent_url=agent.url,
        agent_model="hermes-agent",
        agent_api_key=AGENT_KEY,
    )


run = run_in_thread


def assert_no_secrets(result: Result, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in result.output


async def test_all_flags(isolated_home: Path, emulator, twilio_creds, agent) -> None:
    env = base_env(isolated_home, TWILIO_API_BASE_URL=emulator.base_url)
    service = "MG" + "0123456789abcdef" * 2
    extra = ("--messaging-service-sid", service, "--home-channel", "+1 555 010 0003")
    result = await run(*flags(twilio_creds, agent, *extra), env=env)
    assert result.code == 0, result.output
    path = isolated_home / ".env"
    values = dotenv_values(path)
    assert set(values) == MANAGED | {"TWILIO_MESSAGING_SERVICE_SID"}
    assert values["TWILIO_PHONE_NUMBER"] == OUR
    assert values["TWILIO_MESSAGING_SERVICE_SID"] == service
    assert values["SMS_ALLOWED_USERS"] == "+15550100002,+15550100003"
    assert values["SMS_ALLOW_ALL_USERS"] == "false"
    assert values["SMS_HOME_CHANNEL"] == "+15550100003"
    assert values["SMS_WEBHOOK_URL"] == WEBHOOK
    assert values["SMS_AGENT_API_KEY"] == AGENT_KEY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(isolated_home.stat().st_mode) == 0o700
    assert not (isolated_home / ".env.bak").exists()
    assert "Credentials work" in result.stdout
    assert "model hermes-agent is available" in result.stdout
    assert "…" + twilio_creds.auth_token[-4:] in result.stdout
    # Without --configure-webhook the number is left alone, and the flag is suggested.
    assert emulator.numbers[0]["sms_url"] == ""
    assert f"messages to {OUR} go to: (nothing set)" in result.stdout
    assert "Pass --configure-webhook to point it at" in result.stdout
    assert_no_secrets(result, twilio_creds.auth_token, AGENT_KEY)


async def test_configure_webhook(isolated_home: Path, emulator, twilio_creds, agent) -> None:
    env = base_env(isolated_home, TWILIO_API_BASE_URL=emulator.base_url)
    result = await run(*flags(twilio_creds, agent, "--configure-webhook"), env=env)
    assert result.code == 0, result.output
    number = emulator.numbers[0]
    assert (number["sms_url"], number["sms_method"]) == (WEBHOOK, "POST")
    assert "Twilio now sends messages to +15550100001" in result.stdout
    # A second run finds it already set and does not update it again.
    updates = [r for r in emulator.requests if r.method == "POST"]
    again = await run(*flags(twilio_creds, agent, "--configure-webhook"), env=env)
    assert again.code == 0, again.output
    assert "already points at" in again.stdout
    assert [r for r in emulator.requests if r.method == "POST"] == updates
    assert_no_secrets(result, twilio_creds.auth_token, AGENT_KEY)


async def test_missing_values_exit_2_with_the_list(isolated_home: Path) -> None:
    env = base_env(isolated_home)
    result = await run("setup", "--non-interactive", "--allowed-users", "+15550100002", env=env)
    assert result.code == 2
    for line in (
        "TWILIO_ACCOUNT_SID (--account-sid)",
        "TWILIO_AUTH_TOKEN (--auth-token)",
        "TWILIO_PHONE_NUMBER (--phone-number)",
    ):
        assert line in result.stderr
    assert "in a terminal" not in result.stderr
    assert not (isolated_home / ".env").exists()


async def test_unusable_values_exit_2(isolated_home: Path, twilio_creds) -> None:
    env = base_env(isolated_home, TWILIO_AUTH_TOKEN=twilio_creds.auth_token)
    result = await run(
        "setup",
        "--non-interactive",
        "--account-sid",
        "AC123",
        "--phone-number",
        "5550100001",
        "--port",
        "http",
        "--webhook-url",
        "http://example.com",
        env=env,
    )
    assert result.code == 2
    assert "TWILIO_ACCOUNT_SID (--account-sid) must be AC followed by 32 hex" in result.stderr
    assert "TWILIO_PHONE_NUMBER (--phone-number) must be a phone number" in result.stderr
    assert "SMS_WEBHOOK_PORT (--port) must be a port number" in result.stderr
    assert "SMS_WEBHOOK_URL (--webhook-url) must start with https://" in result.stderr
    assert not (isolated_home / ".env").exists()
    assert_no_secrets(result, twilio_creds.auth_token)


async def test_values_from_the_environment_count(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    env = base_env(
        isolated_home,
        TWILIO_API_BASE_URL=emulator.base_url,
        TWILIO_ACCOUNT_SID=twilio_creds.account_sid,
        TWILIO_AUTH_TOKEN=twilio_creds.auth_token,
        TWILIO_PHONE_NUMBER=OUR,
        SMS_AGENT_URL=agent.url,
        SMS_AGENT_API_KEY=AGENT_KEY,
        SMS_WEBHOOK_PORT=str(free_port()),
    )
    result = await run("setup", "--non-interactive", env=env)
    assert result.code == 0, result.output
    values = dotenv_values(isolated_home / ".env")
    assert values["TWILIO_AUTH_TOKEN"] == twilio_creds.auth_token
    assert values["SMS_AGENT_URL"] == agent.url
    assert values["SMS_ALLOW_ALL_USERS"] == "false"
    assert "SMS_ALLOWED_USERS" not in values
    assert_no_secrets(result, twilio_creds.auth_token, AGENT_KEY)


async def test_wrong_token_exit_1_and_nothing_written(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    env = base_env(isolated_home, TWILIO_API_BASE_URL=emulator.base_url)
    args = flags(twilio_creds, agent)
    wrong = "wrong-token-" + "1" * 20
    args[args.index(twilio_creds.auth_token)] = wrong
    result = await run(*args, env=env)
    assert result.code == 1
    assert "rejected" in result.output and "Nothing was written" in result.stderr
    assert not (isolated_home / ".env").exists()
    assert_no_secrets(result, wrong, AGENT_KEY)


async def test_unreachable_twilio_exit_1_with_hint(
    isolated_home: Path, twilio_creds, agent
) -> None:
    env = base_env(isolated_home, TWILIO_API_BASE_URL=f"http://127.0.0.1:{free_port()}")
    result = await run(*flags(twilio_creds, agent), env=env)
    assert result.code == 1
    base_url = env["TWILIO_API_BASE_URL"]
    # Said once, in the system's words: not "Could not reach … : could not reach …".
    assert f"Could not check the credentials: could not reach {base_url}: Connection refused" in (
        result.stderr
    )
    assert result.stderr.count("could not reach") == 1
    assert "--no-verify" in result.stderr
    assert not (isolated_home / ".env").exists()
    assert_no_secrets(result, twilio_creds.auth_token, AGENT_KEY)


async def test_no_verify_makes_no_requests(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    env = base_env(isolated_home, TWILIO_API_BASE_URL=emulator.base_url)
    result = await run(*flags(twilio_creds, agent, "--no-verify"), env=env)
    assert result.code == 0, result.output
    assert emulator.requests == [] and agent.requests == []
    assert set(dotenv_values(isolated_home / ".env")) == MANAGED


async def test_configure_webhook_needs_a_url(isolated_home: Path, twilio_creds) -> None:
    env = base_env(isolated_home)
    result = await run(
        "setup",
        "--non-interactive",
        "--account-sid",
        twilio_creds.account_sid,
        "--auth-token",
        twilio_creds.auth_token,
        "--phone-number",
        OUR,
        "--configure-webhook",
        env=env,
    )
    assert result.code == 2
    assert "--webhook-url" in result.stderr
    assert not (isolated_home / ".env").exists()


async def test_rerun_changes_one_value_keeps_the_rest(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    env = base_env(isolated_home, TWILIO_API_BASE_URL=emulator.base_url)
    first = await run(*flags(twilio_creds, agent), env=env)
    assert first.code == 0, first.output
    path = isolated_home / ".env"
    path.write_text("# mine\nOTHER_TOOL_KEY=keep-me\n" + path.read_text())
    before = dotenv_values(path)
    # Only the model is given: everything else comes from the file.
    result = await run(
        "setup", "--non-interactive", "--agent-model", "other-model", "--no-verify", env=env
    )
    assert result.code == 0, result.output
    after = dotenv_values(path)
    assert after == {**before, "SMS_AGENT_MODEL": "other-model"}
    assert path.read_text().startswith("# mine\nOTHER_TOOL_KEY=keep-me\n")
    assert dotenv_values(isolated_home / ".env.bak") == before
    assert "The previous version is in" in result.stdout
    assert_no_secrets(result, twilio_creds.auth_token, AGENT_KEY)


async def test_trial_account_and_allow_all_warnings(
    isolated_home: Path, emulator_factory, twilio_creds, agent
) -> None:
    emulator = await emulator_factory(account_type="Trial")
    env = base_env(isolated_home, TWILIO_API_BASE_URL=emulator.base_url)
    args = flags(twilio_creds, agent, "--allowed-users", "", "--allow-all-users")
    result = await run(*args, env=env)
    assert result.code == 0, result.output
    assert "trial account" in result.stderr
    assert "anyone who texts +15550100001 reaches your agent" in result.stderr
    values = dotenv_values(isolated_home / ".env")
    assert values["SMS_ALLOW_ALL_USERS"] == "true"
    assert "SMS_ALLOWED_USERS" not in values and "SMS_HOME_CHANNEL" not in values


async def test_loose_permissions_are_tightened_and_said(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    isolated_home.mkdir()
    isolated_home.chmod(0o755)
    (isolated_home / ".env").write_text("OTHER=1\n")
    (isolated_home / ".env").chmod(0o644)
    env = base_env(isolated_home, TWILIO_API_BASE_URL=emulator.base_url)
    result = await run(*flags(twilio_creds, agent), env=env)
    assert result.code == 0, result.output
    assert f"Tightened {isolated_home} from 0755 to 0700" in result.stderr
    assert f"Tightened {isolated_home / '.env'} from 0644 to 0600" in result.stderr
    assert stat.S_IMODE((isolated_home / ".env").stat().st_mode) == 0o600


async def test_without_a_terminal_it_never_prompts(isolated_home: Path, twilio_creds) -> None:
    """The real CLI in a subprocess with standard input not a terminal, no flag needed."""
    env = base_env(isolated_home, TWILIO_AUTH_TOKEN=twilio_creds.auth_token)
    result = await run_cli("setup", "--phone-number", OUR, env=env)
    assert result.code == 2
    assert "TWILIO_ACCOUNT_SID (--account-sid)" in result.stderr
    assert "TWILIO_AUTH_TOKEN" not in result.stderr
    assert "in a terminal" in result.stderr
    assert not (isolated_home / ".env").exists()
    assert_no_secrets(result, twilio_creds.auth_token)


async def test_configure_webhook_for_a_number_not_in_the_account(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    env = base_env(isolated_home, TWILIO_API_BASE_URL=emulator.base_url)
    args = flags(twilio_creds, agent, "--configure-webhook", "--phone-number", "+15550100077")
    result = await run(*args, env=env)
    assert result.code == 1
    assert "+15550100077 is not a number of this Twilio account" in result.stderr
    assert not (isolated_home / ".env").exists()
    assert [r for r in emulator.requests if r.method == "POST"] == []


async def test_home_under_a_file_exit_2(tmp_path: Path, twilio_creds, agent) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = base_env(blocker / "home")
    result = await run(*flags(twilio_creds, agent, "--no-verify"), env=env)
    assert result.code == 2
    assert f"HERMES_HOME {blocker / 'home'} is not a directory (part of its path is a file)" in (
        result.stderr
    )
    assert "chmod" not in result.stderr and "Settings for" not in result.stdout
    assert_no_secrets(result, twilio_creds.auth_token, AGENT_KEY)


async def test_shared_home_exit_2_and_left_alone(tmp_path: Path, twilio_creds, agent) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    result = await run(*flags(twilio_creds, agent, "--no-verify"), env=base_env(shared))
    assert result.code == 2, result.output
    assert "is shared with other users (mode 1777)" in result.stderr
    assert not (shared / ".env").exists()
    assert (shared.stat().st_mode & 0o7777) == 0o1777


async def test_busy_port_is_a_warning_only(isolated_home: Path, twilio_creds, agent) -> None:
    with socket.socket() as listener:
        listener.bind(("0.0.0.0", 0))
        listener.listen()
        busy = str(listener.getsockname()[1])
        args = flags(twilio_creds, agent, "--no-verify", "--port", busy)
        result = await run(*args, env=base_env(isolated_home))
    assert result.code == 0, result.output
    assert f"port {busy} is in use right now" in result.stderr
    assert dotenv_values(isolated_home / ".env")["SMS_WEBHOOK_PORT"] == busy
    assert_no_secrets(result, twilio_creds.auth_token, AGENT_KEY)


async def test_summary_in_a_pipe_keeps_each_value_on_one_line(
    isolated_home: Path, twilio_creds, agent
) -> None:
    url = "https://a-rather-long-tunnel-name-for-a-test.trycloudflare.com/webhooks/twilio"
    args = flags(twilio_creds, agent, "--no-verify", "--webhook-url", url)
    result = await run(*args, env=base_env(isolated_home))
    assert result.code == 0, result.output
    (line,) = [line for line in result.stdout.splitlines() if "SMS_WEBHOOK_URL" in line]
    assert url in line  # whole, not folded over two lines of an 80-column table
