"""An unwritable database — a read-only file or a read-only folder — stops `hermes-sms gateway`
at start with a clear message, before it could acknowledge (and lose) a single message.

Real file permissions, through the real CLI. Root ignores permission bits, so when the tests run
as root the gateway runs without the capabilities that let root write anyway (CAP_DAC_OVERRIDE,
CAP_DAC_READ_SEARCH): it is then refused exactly like any other user.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import ALICE, OUR_NUMBER, free_port, spawn

from hermes_sms.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cli_helpers import Result, as_ordinary_user, base_env, run_cli


async def run_gateway(env: dict[str, str]) -> Result:
    """`hermes-sms gateway` as an ordinary user would run it; bounded, killed if it keeps going
    (which would mean it started on a database it cannot write)."""
    return await run_cli("gateway", env=env, timeout=30, preexec_fn=as_ordinary_user())


@pytest.fixture
def env(isolated_home: Path, emulator, twilio_creds) -> dict[str, str]:
    return base_env(
        isolated_home,
        TWILIO_ACCOUNT_SID=twilio_creds.account_sid,
        TWILIO_AUTH_TOKEN=twilio_creds.auth_token,
        TWILIO_PHONE_NUMBER=OUR_NUMBER,
        TWILIO_API_BASE_URL=emulator.base_url,
        SMS_WEBHOOK_HOST="127.0.0.1",
        SMS_WEBHOOK_PORT=str(free_port()),
        SMS_ALLOWED_USERS=ALICE,
        SMS_AGENT_BACKEND="echo",
    )


@pytest.fixture
def home(isolated_home: Path) -> Iterator[Path]:
    isolated_home.mkdir(mode=0o700, parents=True)
    yield isolated_home
    # Writable again, so pytest can remove it.
    isolated_home.chmod(0o700)
    for path in isolated_home.iterdir():
        path.chmod(0o600)


def assert_refused_at_start(result: Result, home: Path, emulator) -> None:
    assert result.code == 2, result.output
    assert "cannot use the database" in result.stderr
    assert f"Check that {home} is writable" in result.stderr
    assert "Traceback" not in result.output
    assert "listening" not in result.output  # it never took a webhook
    assert emulator.messages == []


async def test_read_only_database_file_fails_at_start(env, home: Path, emulator) -> None:
    database = home / "sms.sqlite3"
    Store.open(database).close()
    database.chmod(0o400)
    result = await run_gateway(env)
    assert_refused_at_start(result, home, emulator)
    assert "readonly database" in result.stderr


async def test_read_only_folder_with_a_database_fails_at_start(env, home: Path, emulator) -> None:
    # SQLite in WAL mode must create files next to the database: a folder it cannot write to
    # makes the database unusable even though the file itself is writable.
    Store.open(home / "sms.sqlite3").close()
    home.chmod(0o500)
    result = await run_gateway(env)
    assert_refused_at_start(result, home, emulator)


async def test_read_only_empty_folder_fails_at_start(env, home: Path, emulator) -> None:
    home.chmod(0o500)
    result = await run_gateway(env)
    assert_refused_at_start(result, home, emulator)
    assert not (home / "sms.sqlite3").exists()


async def test_same_home_made_writable_starts(env, home: Path, emulator) -> None:
    # The control: the same setup, writable, starts (so the refusals above are about writing).
    home.chmod(0o700)
    gateway = await spawn(env, preexec_fn=as_ordinary_user())
    try:
        await gateway.wait_for("listening", timeout=30)
    finally:
        await gateway.stop()
    assert (home / "sms.sqlite3").is_file()
