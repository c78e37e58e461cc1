"""Writing `$HERMES_HOME/.env`: real files in a temp HERMES_HOME, modes checked on disk."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cli_helpers import as_ordinary_user, base_env, run_cli
from dotenv import dotenv_values

from hermes_sms.home import owner_name
from hermes_sms.setup_wizard.envfile import plan_changes, write_env_file

TOKEN = "envfile-test-token-0123456789abcd"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_file_in_new_directory_is_private(isolated_home: Path) -> None:
    path = isolated_home / ".env"
    result = write_env_file(path, {"TWILIO_AUTH_TOKEN": TOKEN, "SMS_HOME_CHANNEL": None})
    assert mode(isolated_home) == 0o700
    assert mode(path) == 0o600
    assert dotenv_values(path) == {"TWILIO_AUTH_TOKEN": TOKEN}
    assert result.backup is None
    assert result.tightened == []
    assert [c.name for c in result.changes] == ["TWILIO_AUTH_TOKEN"]
    # Nothing but the file itself is left in the directory (no temporary files).
    assert sorted(p.name for p in isolated_home.iterdir()) == [".env"]


def test_other_keys_comments_and_order_are_kept(isolated_home: Path) -> None:
    isolated_home.mkdir(mode=0o700)
    path = isolated_home / ".env"
    original = (
        "# Hermes settings, shared with other tools\n"
        "OPENROUTER_API_KEY=or-key-123\n"
        "\n"
        "# sms\n"
        'TWILIO_PHONE_NUMBER="+1 (555) 010-0001"\n'
        "SMS_AGENT_MODEL=old-model\n"
        "SMS_HOME_CHANNEL=+15550100002\n"
        "export OTHER_TOOL_FLAG=1\n"
    )
    path.write_text(original)
    path.chmod(0o600)
    result = write_env_file(
        path,
        {
            "TWILIO_PHONE_NUMBER": "+15550100001",
            "SMS_AGENT_MODEL": "new-model",
            "SMS_HOME_CHANNEL": None,
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        },
    )
    lines = path.read_text().splitlines()
    assert lines == [
        "# Hermes settings, shared with other tools",
        "OPENROUTER_API_KEY=or-key-123",
        "",
        "# sms",
        "TWILIO_PHONE_NUMBER='+15550100001'",
        "SMS_AGENT_MODEL='new-model'",
        "export OTHER_TOOL_FLAG=1",
        "TWILIO_ACCOUNT_SID='AC00000000000000000000000000000000'",
    ]
    assert result.backup == isolated_home / ".env.bak"
    assert result.backup.read_text() == original
    assert mode(result.backup) == 0o600
    assert mode(path) == 0o600


def test_unchanged_values_keep_their_formatting(isolated_home: Path) -> None:
    isolated_home.mkdir(mode=0o700)
    path = isolated_home / ".env"
    path.write_text('SMS_AGENT_MODEL="same"\nSMS_WEBHOOK_PORT=8080\n')
    path.chmod(0o600)
    assert [c.name for c in plan_changes(path, {"SMS_AGENT_MODEL": "same"})] == []
    result = write_env_file(path, {"SMS_AGENT_MODEL": "same", "SMS_WEBHOOK_PORT": "9090"})
    assert path.read_text() == "SMS_AGENT_MODEL=\"same\"\nSMS_WEBHOOK_PORT='9090'\n"
    assert [(c.name, c.old, c.new) for c in result.changes] == [
        ("SMS_WEBHOOK_PORT", "8080", "9090")
    ]


def test_nothing_to_change_writes_nothing(isolated_home: Path) -> None:
    isolated_home.mkdir(mode=0o700)
    path = isolated_home / ".env"
    path.write_text("SMS_AGENT_MODEL=same\n")
    path.chmod(0o600)
    before = path.stat().st_mtime_ns
    result = write_env_file(path, {"SMS_AGENT_MODEL": "same", "SMS_HOME_CHANNEL": None})
    assert result.changes == [] and result.backup is None
    assert path.stat().st_mtime_ns == before
    assert not (isolated_home / ".env.bak").exists()


def test_loose_modes_are_tightened_and_reported(isolated_home: Path) -> None:
    isolated_home.mkdir()
    isolated_home.chmod(0o755)
    path = isolated_home / ".env"
    path.write_text(f"TWILIO_AUTH_TOKEN={TOKEN}\n")
    path.chmod(0o644)
    old_backup = isolated_home / ".env.bak"
    old_backup.write_text("stale\n")
    old_backup.chmod(0o644)
    result = write_env_file(path, {"SMS_AGENT_MODEL": "m"})
    assert result.tightened == [(isolated_home, 0o755, 0o700), (path, 0o644, 0o600)]
    assert mode(isolated_home) == 0o700
    assert mode(path) == 0o600
    assert mode(old_backup) == 0o600
    assert old_backup.read_text() == f"TWILIO_AUTH_TOKEN={TOKEN}\n"


def test_loose_file_is_tightened_even_without_changes(isolated_home: Path) -> None:
    isolated_home.mkdir(mode=0o700)
    path = isolated_home / ".env"
    path.write_text("SMS_AGENT_MODEL=m\n")
    path.chmod(0o640)
    result = write_env_file(path, {"SMS_AGENT_MODEL": "m"})
    assert result.changes == []
    assert result.tightened == [(path, 0o640, 0o600)]
    assert mode(path) == 0o600


def test_values_that_need_quoting_read_back_the_same(isolated_home: Path) -> None:
    path = isolated_home / ".env"
    odd = "it's a #value with \\ and spaces"
    write_env_file(path, {"SMS_AGENT_SYSTEM_PROMPT": odd, "SMS_AGENT_MODEL": "m"})
    assert dotenv_values(path) == {"SMS_AGENT_SYSTEM_PROMPT": odd, "SMS_AGENT_MODEL": "m"}


# --- when permissions are in the way: say whose file or which folder --------------------------

NOBODY = 65534


async def _setup_as_ordinary_user(home: Path) -> tuple[int, str]:
    args = ("--account-sid", "AC" + "0" * 32, "--auth-token", TOKEN, "--phone-number")
    result = await run_cli(
        "setup",
        "--non-interactive",
        "--no-verify",
        *args,
        "+15550100001",
        env=base_env(home, SMS_AGENT_URL="http://127.0.0.1:9/v1"),
        timeout=30,
        preexec_fn=as_ordinary_user(),
    )
    assert "Traceback" not in result.output
    return result.code, result.stderr


async def test_folder_not_writable_is_named(isolated_home: Path) -> None:
    isolated_home.mkdir(mode=0o700)
    isolated_home.chmod(0o500)
    try:
        code, stderr = await _setup_as_ordinary_user(isolated_home)
    finally:
        isolated_home.chmod(0o700)
    assert code == 1
    assert (
        f"Could not write {isolated_home / '.env'}: you cannot write in the folder "
        f"{isolated_home} (mode 0500). The file was not changed."
    ) in stderr
    assert list(isolated_home.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file away")
async def test_env_file_of_another_user_is_named(isolated_home: Path) -> None:
    # Setup would have to chmod it to 0600 first, which only its owner may do.
    isolated_home.mkdir(mode=0o700)
    path = isolated_home / ".env"
    path.write_text("SMS_AGENT_MODEL=m\n")
    path.chmod(0o644)
    os.chown(path, NOBODY, NOBODY)
    code, stderr = await _setup_as_ordinary_user(isolated_home)
    assert code == 1
    assert f"{path} belongs to {owner_name(NOBODY)}, not to you, so you cannot change it" in stderr
    assert "Operation not permitted" not in stderr
    assert path.read_text() == "SMS_AGENT_MODEL=m\n" and mode(path) == 0o644


def test_shared_folder_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    with pytest.raises(OSError) as info:
        write_env_file(shared / ".env", {"TWILIO_AUTH_TOKEN": TOKEN})
    assert str(info.value.strerror).startswith(f"HERMES_HOME {shared} is shared with other users")
    assert mode(shared) == 0o1777
    assert list(shared.iterdir()) == []
