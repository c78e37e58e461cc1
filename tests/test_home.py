"""`$HERMES_HOME` as a folder only its user can use: created 0700, tightened when it is ours,
never chmod'ed when others share it. Real folders and modes in temp dirs, and the real CLI."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import base_env, free_port, run_cli, run_in_process
from cli_helpers import setup_args as cli_setup_args

from hermes_sms.home import PrivateDirError, ensure_private_dir, owner_name

NOBODY = 65534
SID = "AC" + "0123456789abcdef" * 2
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a folder away")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def folder(path: Path, bits: int) -> Path:
    path.mkdir(parents=True)
    path.chmod(bits)  # not mkdir's mode: the umask would take bits away
    return path


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[Path]:
    """A folder like /tmp: world-writable and sticky."""
    yield folder(tmp_path / "shared", 0o1777)


def setup_args(*extra: str) -> list[str]:
    return cli_setup_args(
        SID, "home-test-token", "--no-verify", *extra, phone_number="+15550100001"
    )


def gateway_env(home: Path) -> dict[str, str]:
    return base_env(
        home,
        TWILIO_ACCOUNT_SID=SID,
        TWILIO_AUTH_TOKEN="home-test-token",
        TWILIO_PHONE_NUMBER="+15550100001",
        # Nothing answers there: the gateway must stop before it would ever call Twilio.
        TWILIO_API_BASE_URL="http://127.0.0.1:9",
        SMS_WEBHOOK_HOST="127.0.0.1",
        SMS_WEBHOOK_PORT=str(free_port()),
        SMS_AGENT_BACKEND="echo",
    )


# --- ensure_private_dir ---------------------------------------------------------------------


def test_missing_folder_and_parents_are_created_private(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "home"
    assert ensure_private_dir(target) is None
    assert mode(target) == 0o700


@pytest.mark.parametrize("bits", [0o700, 0o500], ids=lambda bits: f"{bits:04o}")
def test_private_folder_is_left_as_it_is(tmp_path: Path, bits: int) -> None:
    target = folder(tmp_path / "home", bits)
    assert ensure_private_dir(target) is None
    assert mode(target) == bits


@pytest.mark.parametrize("bits", [0o755, 0o750, 0o711], ids=lambda bits: f"{bits:04o}")
def test_own_loose_folder_is_tightened_and_its_old_mode_returned(tmp_path: Path, bits: int) -> None:
    target = folder(tmp_path / "home", bits)
    assert ensure_private_dir(target) == bits
    assert mode(target) == 0o700


@pytest.mark.parametrize(
    "bits", [0o1777, 0o777, 0o1755, 0o1700, 0o770, 0o2770], ids=lambda bits: f"{bits:04o}"
)
def test_shared_folder_is_refused_and_not_touched(tmp_path: Path, bits: int) -> None:
    target = folder(tmp_path / "shared", bits)
    with pytest.raises(PrivateDirError) as info:
        ensure_private_dir(target)
    assert str(info.value) == (
        f"HERMES_HOME {target} is shared with other users (mode {bits:04o}), so it cannot hold "
        "your auth token and messages: point HERMES_HOME (or --home) at a private directory "
        "of your own, such as ~/.hermes"
    )
    assert mode(target) == bits


@as_root
def test_another_users_loose_folder_is_refused_and_not_touched(tmp_path: Path) -> None:
    target = folder(tmp_path / "theirs", 0o755)
    os.chown(target, NOBODY, NOBODY)
    with pytest.raises(PrivateDirError) as info:
        ensure_private_dir(target)
    assert f"belongs to {owner_name(NOBODY)}, not to you" in str(info.value)
    assert mode(target) == 0o755


@as_root
def test_root_may_use_another_users_private_folder(tmp_path: Path) -> None:
    # A container volume owned by the image's user, say: nothing is chmod'ed, nobody gains.
    target = folder(tmp_path / "volume", 0o700)
    os.chown(target, NOBODY, NOBODY)
    assert ensure_private_dir(target) is None
    assert mode(target) == 0o700


def test_regular_file_is_not_a_directory(tmp_path: Path) -> None:
    target = tmp_path / "x"
    target.write_text("")
    with pytest.raises(PrivateDirError, match=r"^HERMES_HOME .*/x is not a directory$"):
        ensure_private_dir(target)


# --- through the commands -------------------------------------------------------------------


async def test_gateway_refuses_a_shared_home_and_leaves_it_shared(shared: Path) -> None:
    result = await run_cli("gateway", env=gateway_env(shared), timeout=30)
    assert result.code == 2, result.output
    assert f"HERMES_HOME {shared} is shared with other users (mode 1777)" in result.stderr
    assert "listening" not in result.output and "Traceback" not in result.output
    assert mode(shared) == 0o1777
    assert not (shared / "sms.sqlite3").exists()


def test_setup_refuses_a_shared_home_and_leaves_it_shared(shared: Path) -> None:
    result = run_in_process(*setup_args(), env=base_env(shared))
    assert result.code == 2, result.output
    assert "Settings for" not in result.stdout  # refused before the summary, not after
    assert f"HERMES_HOME {shared} is shared with other users (mode 1777)" in result.stderr
    assert mode(shared) == 0o1777
    assert list(shared.iterdir()) == []


@as_root
def test_setup_in_another_users_home_says_whose_it_is(tmp_path: Path) -> None:
    home = folder(tmp_path / "theirs", 0o755)
    os.chown(home, NOBODY, NOBODY)
    result = run_in_process(*setup_args(), env=base_env(home))
    assert result.code == 2, result.output
    assert f"HERMES_HOME {home} belongs to {owner_name(NOBODY)}, not to you" in result.stderr
    assert "Operation not permitted" not in result.output
    assert mode(home) == 0o755 and list(home.iterdir()) == []


@pytest.mark.parametrize("command", ["setup", "gateway"])
async def test_home_that_is_a_file_is_said_before_anything_else(
    tmp_path: Path, command: str
) -> None:
    home = tmp_path / "x"
    home.write_text("")
    args = setup_args() if command == "setup" else ["gateway"]
    result = await run_cli(*args, env=gateway_env(home), timeout=30)
    assert result.code == 2, result.output
    assert f"HERMES_HOME {home} is not a directory." in result.stderr
    assert "File exists" not in result.output and "Traceback" not in result.output
    assert "Settings for" not in result.output  # setup's summary: it stopped before it


def test_wizard_refuses_a_shared_home_before_the_first_question(shared: Path) -> None:
    result = run_in_process("setup", env=base_env(shared), stdin_isatty=True)
    assert result.code == 2, result.output
    assert f"HERMES_HOME {shared} is shared with other users (mode 1777)" in result.stderr
    assert "Twilio Account SID" not in result.output  # no question was asked
    assert mode(shared) == 0o1777
