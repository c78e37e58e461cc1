"""Every exit status the CLI promises, in one place (scripts depend on them)."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import base_env, run_cli, run_in_process

from hermes_sms import __version__
from hermes_sms.cli.exit_status import ExitStatus


def test_values_are_stable() -> None:
    assert [int(s) for s in ExitStatus] == [0, 1, 2, 130]


def test_version(isolated_home: Path) -> None:
    result = run_in_process("--version", env=base_env(isolated_home))
    assert result.code == ExitStatus.SUCCESS


async def test_version_subprocess(isolated_home: Path) -> None:
    result = await run_cli("--version", env=base_env(isolated_home))
    assert (result.code, result.stdout.strip()) == (0, f"hermes-sms {__version__}")


async def test_python_dash_m_help_lists_commands(isolated_home: Path) -> None:
    result = await run_cli("--help", env=base_env(isolated_home))
    assert result.code == 0
    for command in ("send", "gateway"):
        assert command in result.stdout


def test_unknown_command_is_usage_error(isolated_home: Path) -> None:
    assert run_in_process("fly", env=base_env(isolated_home)).code == ExitStatus.USAGE


def test_unknown_option_is_usage_error(isolated_home: Path) -> None:
    assert run_in_process("send", "--nope", env=base_env(isolated_home)).code == ExitStatus.USAGE


def test_bad_configuration_is_usage_error(isolated_home: Path) -> None:
    env = base_env(isolated_home, SMS_ENCODING="ebcdic")
    result = run_in_process("send", "--dry-run", "x", env=env)
    assert result.code == ExitStatus.USAGE
    assert "SMS_ENCODING must be smart or unicode" in result.stderr


def test_dry_run_success(isolated_home: Path) -> None:
    result = run_in_process("send", "--dry-run", "hello", env=base_env(isolated_home))
    assert result.code == ExitStatus.SUCCESS


async def test_twilio_refusal_is_error(isolated_home: Path, emulator, twilio_creds) -> None:
    env = base_env(
        isolated_home,
        TWILIO_ACCOUNT_SID=twilio_creds.account_sid,
        TWILIO_AUTH_TOKEN=twilio_creds.auth_token,
        TWILIO_PHONE_NUMBER="+15550100001",
        TWILIO_API_BASE_URL=emulator.base_url,
    )
    emulator.inject_fault(400, code=21614, count=1)
    result = await run_cli("send", "--to", "+15550100002", "hi", env=env)
    assert result.code == ExitStatus.ERROR


async def test_unreachable_twilio_is_error(isolated_home: Path, twilio_creds) -> None:
    env = base_env(
        isolated_home,
        TWILIO_ACCOUNT_SID=twilio_creds.account_sid,
        TWILIO_AUTH_TOKEN=twilio_creds.auth_token,
        TWILIO_PHONE_NUMBER="+15550100001",
        TWILIO_API_BASE_URL="http://127.0.0.1:9",
    )
    result = await run_cli("send", "--to", "+15550100002", "hi", env=env)
    assert result.code == ExitStatus.ERROR
    assert "could not reach" in result.stderr or "127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.output
