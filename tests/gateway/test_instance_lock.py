"""The one-gateway-per-database lock, in-process: a second holder is refused with the first
one's pid, and the lock is free again once released (a gateway's `stop`)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from harness import ALICE

from hermes_sms.gateway.instance_lock import AlreadyRunningError, InstanceLock
from hermes_sms.gateway.service import ListenError


def test_second_acquire_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    path = tmp_path / "gateway.lock"
    first = InstanceLock.acquire(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == f"{os.getpid()}\n"
    with pytest.raises(AlreadyRunningError) as refused:
        InstanceLock.acquire(path)
    assert refused.value.pid == os.getpid()
    assert f"(pid {os.getpid()}) is already running with the database in {tmp_path}" in str(
        refused.value
    )
    # The refusal did not disturb the holder.
    assert first.held and path.read_text() == f"{os.getpid()}\n"

    first.release()
    first.release()  # twice is harmless
    assert not first.held and path.read_text() == ""
    again = InstanceLock.acquire(path)
    again.release()


def test_a_lock_file_left_by_a_dead_process_does_not_block(tmp_path: Path) -> None:
    path = tmp_path / "gateway.lock"
    path.write_text("999999\n")  # a pid, but nobody holds the lock
    lock = InstanceLock.acquire(path)
    assert path.read_text() == f"{os.getpid()}\n"
    lock.release()


async def test_a_gateway_refuses_the_database_of_a_running_one(start_gateway) -> None:
    """Through the real Gateway: the second start fails before listening or resuming, and
    `stop` hands the database over."""
    first = await start_gateway()
    with pytest.raises(ListenError, match=rf"\(pid {os.getpid()}\) is already running"):
        await start_gateway()
    assert (await first.text("one gateway")).status == 200
    await first.settle()
    await first.gateway.stop(grace=1)

    second = await start_gateway()
    assert (await second.text("the next one")).status == 200
    await second.settle()
    assert second.replies_to(ALICE) == ["You said: one gateway", "You said: the next one"]


async def test_an_unusable_lock_file_is_a_clear_start_error(
    start_gateway, isolated_home: Path
) -> None:
    """A lock file the gateway cannot open (here a folder in its place) stops the start with
    the path and what to check, not a traceback."""
    (isolated_home / "gateway.lock").mkdir(parents=True)
    with pytest.raises(ListenError, match=r"cannot use .*gateway\.lock \(Is a directory\)"):
        await start_gateway()
