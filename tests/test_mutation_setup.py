"""Setup rules the broader tests did not pin down (found by mutating hermes_sms/setup_wizard and
hermes_sms/cli/setup): field checks, the summary, the backup, the live checks, and the
decisions of `setup --non-interactive`, against the Twilio emulator and the pretend agent."""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

import pytest
from cli_helpers import (
    Result,
    base_env,
    free_port,
    run_cli,
    run_in_process,
    run_in_thread,
    setup_args,
)
from dotenv import dotenv_values

from hermes_sms import messages
from hermes_sms.sandbox.fake_llm import FakeLLM
from hermes_sms.setup_wizard import fields as f
from hermes_sms.setup_wizard.checks import (
    BASE_URL_USERINFO,
    CredentialStatus,
    check_credentials,
)
from hermes_sms.setup_wizard.envfile import write_env_file
from hermes_sms.setup_wizard.values import summary_rows

OUR = "+15550100001"
ALICE = "+15550100002"
BOB = "+15550100003"
WEBHOOK = "https://abc.trycloudflare.com/webhooks/twilio"
AGENT_KEY = "sk-mutation-setup-key-5151"


@pytest.fixture
async def agent():
    async with FakeLLM(models=["hermes-agent"], api_key=AGENT_KEY) as fake:
        yield fake


def flags(twilio_creds, agent, *extra: str, **options: str) -> list[str]:
    values = {
        "phone_number": OUR,
        "allowed_users": f"{ALICE},{BOB}",
        "port": str(free_port()),
        "webhook_url": WEBHOOK,
        "agent_url": agent.url,
        "agent_model": "hermes-agent",
        "agent_api_key": AGENT_KEY,
        **options,
    }
    return setup_args(twilio_creds.account_sid, twilio_creds.auth_token, *extra, **values)


async def run(*args: str, env: dict[str, str]) -> Result:
    return await run_in_thread(*args, env=env)


# -- fields ------------------------------------------------------------------------------------


def test_plain_http_webhook_url_is_accepted_on_ipv6_loopback() -> None:
    # Only this machine can call it: the Twilio emulator, as with 127.0.0.1.
    assert f.check_webhook_url("http://[::1]:8080") == "http://[::1]:8080/webhooks/twilio"


def test_a_list_of_one_bad_number_gets_the_short_sentence_of_a_single_number() -> None:
    with pytest.raises(f.FieldError) as caught:
        f.check_number_list("5550100001")
    assert caught.value.brief == messages.SETUP_BRIEF_NO_COUNTRY


# -- the summary -------------------------------------------------------------------------------


def test_summary_of_a_key_that_was_empty_in_the_file() -> None:
    values = {"SMS_HOME_CHANNEL": ALICE, "SMS_ALLOWED_USERS": f"{ALICE},{BOB}"}
    on_disk = {"SMS_HOME_CHANNEL": "", "TWILIO_MESSAGING_SERVICE_SID": ""}
    rows = {row.name: row for row in summary_rows(values, on_disk)}
    # `SMS_HOME_CHANNEL=` had no value: now it gets one.
    assert rows["SMS_HOME_CHANNEL"].change == "new"
    # An empty key that stays unset is no removal.
    assert rows["TWILIO_MESSAGING_SERVICE_SID"].change == ""
    assert rows["SMS_ALLOWED_USERS"].shown == f"{ALICE}, {BOB}"


def test_summary_in_a_pipe_aligns_the_values(isolated_home: Path) -> None:
    env = base_env(isolated_home)
    args = setup_args(
        "AC" + "0123456789abcdef" * 2, "summary-token-0000", "--no-verify", phone_number=OUR
    )
    result = run_in_process(*args, env=env)
    assert result.code == 0, result.output
    title = messages.SETUP_SUMMARY_TITLE.format(env_file=isolated_home / ".env")
    after = result.stdout.split(title, 1)[1]
    rows = [line for line in after.splitlines() if line.startswith("  ")][: len(f.FIELDS)]
    assert [row.split()[0] for row in rows] == [spec.name for spec in f.FIELDS]
    width = max(len(spec.name) for spec in f.FIELDS)
    for row, spec in zip(rows, f.FIELDS, strict=True):
        assert row[2 : 2 + width + 2] == spec.name.ljust(width + 2), row


# -- the file ----------------------------------------------------------------------------------


def test_backup_is_written_next_to_the_file_not_in_the_temp_dir(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The system temp dir may be another file system (no atomic move) or shared by everyone.
    path = isolated_home / ".env"
    write_env_file(path, {"SMS_AGENT_MODEL": "one"})
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-temp-dir"))
    result = write_env_file(path, {"SMS_AGENT_MODEL": "two"})
    assert result.backup == isolated_home / ".env.bak"
    assert dotenv_values(result.backup) == {"SMS_AGENT_MODEL": "one"}
    assert dotenv_values(path) == {"SMS_AGENT_MODEL": "two"}


async def test_a_new_file_lists_the_variables_in_the_order_they_are_asked(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    env = base_env(isolated_home, TWILIO_API_BASE_URL=emulator.base_url)
    result = await run(*flags(twilio_creds, agent, "--home-channel", BOB), env=env)
    assert result.code == 0, result.output
    written = list(dotenv_values(isolated_home / ".env"))
    assert written == [spec.name for spec in f.FIELDS if spec.name in written]
    assert written.index("SMS_ALLOW_ALL_USERS") < written.index("SMS_HOME_CHANNEL")


# -- live checks -------------------------------------------------------------------------------


async def test_http_401_without_an_error_code_is_a_rejection(emulator, twilio_creds) -> None:
    emulator.inject_fault(401, path_contains=f"/Accounts/{twilio_creds.account_sid}.json")
    check = await check_credentials(*twilio_creds, base_url=emulator.base_url)
    assert check.status is CredentialStatus.REJECTED


async def test_base_url_with_user_info_is_refused_before_any_request(twilio_creds) -> None:
    base_url = f"http://user:base-password@127.0.0.1:{free_port()}"
    check = await check_credentials(*twilio_creds, base_url=base_url)
    assert check.status is CredentialStatus.UNREACHABLE
    assert check.message == BASE_URL_USERINFO


# -- setup --non-interactive: decisions --------------------------------------------------------


async def test_rejected_credentials_do_not_suggest_no_verify(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    # Saving a token Twilio refuses would only fail later: --no-verify is no way out here.
    env = base_env(isolated_home, TWILIO_API_BASE_URL=emulator.base_url)
    args = flags(twilio_creds, agent)
    args[args.index(twilio_creds.auth_token)] = "wrong-token-" + "2" * 20
    result = await run(*args, env=env)
    assert result.code == 1
    assert messages.SETUP_NOTHING_WRITTEN in result.stderr
    assert "--no-verify" not in result.output


async def test_inactive_account_is_pointed_out(
    isolated_home: Path, emulator_factory, twilio_creds, agent
) -> None:
    emulator = await emulator_factory(account_status="suspended")
    env = base_env(isolated_home, TWILIO_API_BASE_URL=emulator.base_url)
    result = await run(*flags(twilio_creds, agent), env=env)
    assert result.code == 0, result.output
    assert messages.SETUP_INACTIVE_NOTE.format(status="suspended") in result.stderr


async def test_numbers_that_could_not_be_listed_are_not_called_foreign(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    emulator.inject_fault(500, path_contains="/IncomingPhoneNumbers.json")
    env = base_env(isolated_home, TWILIO_API_BASE_URL=emulator.base_url)
    result = await run(*flags(twilio_creds, agent), env=env)
    assert result.code == 0, result.output
    assert "Credentials work" in result.stdout
    assert "is not one of this account's SMS numbers" not in result.output


async def test_no_flag_advice_when_the_flag_was_given(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    emulator.numbers[0]["sms_url"] = "https://old.example.net/webhooks/twilio"
    env = base_env(isolated_home, TWILIO_API_BASE_URL=emulator.base_url)
    result = await run(*flags(twilio_creds, agent, "--configure-webhook"), env=env)
    assert result.code == 0, result.output
    assert "Pass --configure-webhook" not in result.output
    assert emulator.numbers[0]["sms_url"] == WEBHOOK


async def test_webhook_with_the_right_url_but_another_method_is_updated(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    # The gateway accepts POST only: a GET webhook is not "already set".
    emulator.numbers[0]["sms_url"] = WEBHOOK
    emulator.numbers[0]["sms_method"] = "GET"
    env = base_env(isolated_home, TWILIO_API_BASE_URL=emulator.base_url)
    result = await run(*flags(twilio_creds, agent, "--configure-webhook"), env=env)
    assert result.code == 0, result.output
    assert "already points at" not in result.stdout
    assert emulator.numbers[0]["sms_method"] == "POST"


async def test_failed_webhook_update_exits_1_after_saving(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    emulator.inject_fault(500, path_contains="/IncomingPhoneNumbers/PN")
    env = base_env(isolated_home, TWILIO_API_BASE_URL=emulator.base_url)
    result = await run(*flags(twilio_creds, agent, "--configure-webhook"), env=env)
    assert result.code == 1, result.output
    assert messages.SETUP_WEBHOOK_SAVED_ANYWAY in result.stderr
    assert dotenv_values(isolated_home / ".env")["SMS_WEBHOOK_URL"] == WEBHOOK


async def test_unverified_webhook_update_for_a_foreign_number_exits_1(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    # --no-verify: nobody looked the number up before saving; the update finds it missing.
    foreign = "+15550100077"
    env = base_env(isolated_home, TWILIO_API_BASE_URL=emulator.base_url)
    args = flags(twilio_creds, agent, "--configure-webhook", "--no-verify", phone_number=foreign)
    result = await run(*args, env=env)
    assert result.code == 1, result.output
    assert messages.SETUP_WEBHOOK_NOT_FOUND.format(number=foreign) in result.stderr
    assert dotenv_values(isolated_home / ".env")["TWILIO_PHONE_NUMBER"] == foreign


async def test_agent_without_the_model_is_a_warning(
    isolated_home: Path, emulator, twilio_creds
) -> None:
    async with FakeLLM(models=["other-model"], api_key=AGENT_KEY) as other:
        env = base_env(isolated_home, TWILIO_API_BASE_URL=emulator.base_url)
        result = await run(*flags(twilio_creds, other), env=env)
    assert result.code == 0, result.output
    # A warning (stderr in batch mode), not a tick: the gateway would ask for a missing model.
    assert "Agent: " in result.stderr
    assert "✓ Agent:" not in result.stdout


async def test_environment_equal_to_the_saved_value_is_no_override(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    env = base_env(
        isolated_home,
        TWILIO_API_BASE_URL=emulator.base_url,
        TWILIO_PHONE_NUMBER=OUR,
        SMS_AGENT_MODEL="other-model",
    )
    result = await run(*flags(twilio_creds, agent), env=env)
    assert result.code == 0, result.output
    assert messages.SETUP_ENV_OVERRIDES.format(name="TWILIO_PHONE_NUMBER") not in result.output
    # The flag's model was saved; the shell's differs and will win: that one is said.
    assert messages.SETUP_ENV_OVERRIDES.format(name="SMS_AGENT_MODEL") in result.stderr


def _second_loopback_address() -> bool:
    try:
        with socket.socket() as sock:
            sock.bind(("127.0.0.2", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _second_loopback_address(), reason="127.0.0.2 is not usable here")
async def test_port_check_uses_the_configured_listen_address(
    isolated_home: Path, twilio_creds, agent
) -> None:
    # Another program has the port on 127.0.0.2; the gateway will listen on 127.0.0.3 only.
    with socket.socket() as other:
        other.bind(("127.0.0.2", 0))
        other.listen()
        port = other.getsockname()[1]
        env = base_env(isolated_home, SMS_WEBHOOK_HOST="127.0.0.3")
        result = await run(*flags(twilio_creds, agent, "--no-verify", port=str(port)), env=env)
        busy = base_env(isolated_home, SMS_WEBHOOK_HOST="127.0.0.2")
        warned = await run(*flags(twilio_creds, agent, "--no-verify", port=str(port)), env=busy)
    assert result.code == 0, result.output
    assert f"port {port} is in use" not in result.output
    assert f"port {port} is in use" in warned.stderr


_PR_CAPBSET_DROP = 24
_CAP_NET_BIND_SERVICE = 10


def _without_low_ports() -> None:
    """preexec_fn: root without the power to listen below 1024 (an ordinary user's lot)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_CAPBSET_DROP, _CAP_NET_BIND_SERVICE, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def _unprivileged_port_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text())
    except (OSError, ValueError):
        return 1024


@pytest.mark.skipif(_unprivileged_port_start() <= 80, reason="any user may listen on port 80")
async def test_privileged_port_is_a_warning(isolated_home: Path, twilio_creds, agent) -> None:
    args = flags(twilio_creds, agent, "--no-verify", port="80")
    result = await run_cli(
        *args,
        env=base_env(isolated_home),
        preexec_fn=_without_low_ports if os.geteuid() == 0 else None,
    )
    assert result.code == 0, result.output
    assert messages.SETUP_PORT_FORBIDDEN.format(port=80) in result.stderr
