"""Private folder and secrets file modes a mutation audit found unguarded: every group or
other bit counts, not only the group's. Real folders and files in temp dirs."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from hermes_sms.home import PrivateDirError, ensure_private_dir, private_dir_problem
from hermes_sms.setup_wizard.envfile import write_env_file


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def folder(path: Path, bits: int) -> Path:
    path.mkdir(parents=True)
    path.chmod(bits)  # not mkdir's mode: the umask would take bits away
    return path


@pytest.mark.parametrize("bits", [0o701, 0o704, 0o705], ids=lambda bits: f"{bits:04o}")
def test_folder_open_to_others_only_is_tightened(tmp_path: Path, bits: int) -> None:
    target = folder(tmp_path / "home", bits)
    assert private_dir_problem(target) is None
    assert ensure_private_dir(target) == bits
    assert mode(target) == 0o700


@pytest.mark.parametrize("bits", [0o702, 0o757], ids=lambda bits: f"{bits:04o}")
def test_folder_writable_by_others_only_is_refused(tmp_path: Path, bits: int) -> None:
    target = folder(tmp_path / "shared", bits)
    assert "is shared with other users" in (private_dir_problem(target) or "")
    with pytest.raises(PrivateDirError, match="is shared with other users"):
        ensure_private_dir(target)
    assert mode(target) == bits


@pytest.mark.parametrize("bits", [0o604, 0o601, 0o602], ids=lambda bits: f"{bits:04o}")
def test_env_file_readable_by_others_only_is_tightened(isolated_home: Path, bits: int) -> None:
    isolated_home.mkdir(mode=0o700)
    path = isolated_home / ".env"
    path.write_text("TWILIO_AUTH_TOKEN=mutation-test-token-0123456789\n")
    path.chmod(bits)
    result = write_env_file(path, {"SMS_AGENT_MODEL": "m"})
    assert result.tightened == [(path, bits, 0o600)]
    assert mode(path) == 0o600
