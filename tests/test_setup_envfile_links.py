"""Writing `$HERMES_HOME/.env` when it is a symlink, or holds `${...}` text: real files and
real links in a temp HERMES_HOME, and the real `hermes-sms setup --non-interactive` run."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cli_helpers import base_env, run_in_process
from dotenv import dotenv_values

from hermes_sms.setup_wizard.envfile import plan_changes, read_file_values, write_env_file


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def linked_env(home: Path, tmp_path: Path, text: str) -> tuple[Path, Path]:
    """`home/.env` as a symlink to a file kept elsewhere (as dotfile managers do)."""
    home.mkdir(mode=0o700, exist_ok=True)
    store = tmp_path / "dotfiles"
    store.mkdir()
    target = store / "hermes.env"
    target.write_text(text)
    target.chmod(0o600)
    link = home / ".env"
    link.symlink_to(target)
    return link, target


def test_symlinked_env_stays_a_link_and_its_target_changes(
    isolated_home: Path, tmp_path: Path
) -> None:
    original = "# kept\nSMS_AGENT_MODEL=old-model\n"
    link, target = linked_env(isolated_home, tmp_path, original)
    result = write_env_file(link, {"SMS_AGENT_MODEL": "new-model"})
    assert link.is_symlink()
    assert os.readlink(link) == str(target)
    assert target.read_text() == "# kept\nSMS_AGENT_MODEL='new-model'\n"
    assert mode(target) == 0o600
    # The backup sits next to `.env` as always, a regular private file with the old content.
    assert result.backup == isolated_home / ".env.bak"
    assert not result.backup.is_symlink()
    assert result.backup.read_text() == original
    assert mode(result.backup) == 0o600
    # No temporary file is left next to the target, nor next to the link.
    assert sorted(p.name for p in target.parent.iterdir()) == ["hermes.env"]
    assert sorted(p.name for p in isolated_home.iterdir()) == [".env", ".env.bak"]


def test_symlinked_env_through_the_setup_command(isolated_home: Path, tmp_path: Path) -> None:
    link, target = linked_env(isolated_home, tmp_path, "OTHER_TOOL_KEY=keep-me\n")
    run = run_in_process(
        "setup",
        "--non-interactive",
        "--no-verify",
        "--account-sid",
        "AC" + "0123456789abcdef" * 2,
        "--auth-token",
        "symlink-test-token-0123456789abcdef",
        "--phone-number",
        "+15550100001",
        "--allowed-users",
        "+15550100002",
        env=base_env(isolated_home),
    )
    assert run.code == 0, run.output
    assert link.is_symlink() and os.readlink(link) == str(target)
    values = dotenv_values(target)
    assert values["OTHER_TOOL_KEY"] == "keep-me"
    assert values["TWILIO_PHONE_NUMBER"] == "+15550100001"


def test_dollar_braces_read_literally_and_are_not_rewritten(
    isolated_home: Path, monkeypatch
) -> None:
    # Were `${...}` expanded on reading, the value would read back changed (here: with the
    # home directory in it) and every run would rewrite the line and churn the backup.
    monkeypatch.setenv("PROMPT_PART", "EXPANDED")
    isolated_home.mkdir(mode=0o700)
    path = isolated_home / ".env"
    text = "SMS_AGENT_MODEL='model-${PROMPT_PART}'\nSMS_AGENT_URL=http://h/${PROMPT_PART}/v1\n"
    path.write_text(text)
    path.chmod(0o600)
    assert read_file_values(path) == {
        "SMS_AGENT_MODEL": "model-${PROMPT_PART}",
        "SMS_AGENT_URL": "http://h/${PROMPT_PART}/v1",
    }
    same = {
        "SMS_AGENT_MODEL": "model-${PROMPT_PART}",
        "SMS_AGENT_URL": "http://h/${PROMPT_PART}/v1",
    }
    assert plan_changes(path, same) == []
    result = write_env_file(path, same)
    assert result.changes == [] and result.backup is None
    assert path.read_text() == text


def test_dollar_braces_survive_a_setup_rerun(isolated_home: Path) -> None:
    isolated_home.mkdir(mode=0o700)
    path = isolated_home / ".env"
    path.write_text(
        "TWILIO_ACCOUNT_SID=AC" + "0123456789abcdef" * 2 + "\n"
        "TWILIO_AUTH_TOKEN=dollar-test-token-0123456789abcdef\n"
        "TWILIO_PHONE_NUMBER=+15550100001\n"
        "SMS_ALLOWED_USERS=+15550100002\n"
        "SMS_AGENT_MODEL='org/${MODEL_NAME}'\n"
    )
    path.chmod(0o600)
    env = base_env(isolated_home, MODEL_NAME="expanded")
    first = run_in_process("setup", "--non-interactive", "--no-verify", env=env)
    assert first.code == 0, first.output
    assert dotenv_values(path, interpolate=False)["SMS_AGENT_MODEL"] == "org/${MODEL_NAME}"
    after_first = path.read_text()
    (isolated_home / ".env.bak").unlink(missing_ok=True)
    # Same values again: nothing to change, so no rewrite and no new backup.
    second = run_in_process("setup", "--non-interactive", "--no-verify", env=env)
    assert second.code == 0, second.output
    assert "Nothing changed" in second.output
    assert path.read_text() == after_first
    assert not (isolated_home / ".env.bak").exists()
