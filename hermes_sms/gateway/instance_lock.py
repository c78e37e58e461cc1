"""One gateway per database: an exclusive lock on a file beside it.

Two gateways on one `HERMES_HOME` (a service plus one started by hand on another port, say)
would both answer every message, and each would take the other's in-flight reply parts for
leftovers of a crash and send them again: every SMS twice, both billed. The second one must
not start.

`flock` is the tool because the kernel drops the lock when its holder dies, SIGKILL included:
a crashed gateway never leaves a stale lock that blocks the restart. The holder's pid is
written into the file only to name it in the refusal.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LOCK_NAME", "AlreadyRunningError", "Holder", "InstanceLock", "find_holder"]

LOCK_NAME = "gateway.lock"


class AlreadyRunningError(Exception):
    """Another live process holds the lock; `pid` is its process id when it could be read."""

    def __init__(self, path: Path, pid: int | None) -> None:
        self.path = path
        self.pid = pid
        holder = f"another hermes-sms gateway (pid {pid})" if pid else "another hermes-sms gateway"
        super().__init__(
            f"{holder} is already running with the database in {path.parent}: stop it "
            "first, or give this one its own HERMES_HOME (two would send every reply twice)"
        )


class InstanceLock:
    """Held from `acquire` to `release` (or the end of the process)."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, path: Path) -> InstanceLock:
        """Take the lock at `path` (created 0600 if missing); AlreadyRunningError if held."""
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise AlreadyRunningError(path, pid) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(path, fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Give the lock up; safe to call more than once. The file stays (removing it would
        race with a gateway that has just opened it), emptied of the pid."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the last descriptor releases the flock


@dataclass(frozen=True)
class Holder:
    """A live gateway holding the lock; `pid` is None when it could not be read."""

    pid: int | None


def find_holder(path: Path) -> Holder | None:
    """The gateway holding the lock at `path`, or None: for the doctor, which must neither
    create the file nor keep the lock (it tries it for an instant, read-only)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None  # no file (no gateway ever ran here) or not readable: nothing to say
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return Holder(_read_pid(fd))
        return None  # we got it, so nobody holds it; closing gives it back
    finally:
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
