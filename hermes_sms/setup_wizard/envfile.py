"""Writing `$HERMES_HOME/.env`: only the keys that change, in place, privately, atomically.

python-dotenv's `set_key` edits one key and keeps every other line (comments, order, keys of
other Hermes tools). We apply all edits to a private copy and then move it over the file in one
step, so an interruption leaves either the old file or the new one, never half of each.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hermes_sms import messages
from hermes_sms.home import ensure_private_dir, owner_name

BACKUP_SUFFIX = ".bak"
DIR_MODE = 0o700
FILE_MODE = 0o600


@dataclass(frozen=True)
class Change:
    name: str
    old: str | None
    new: str | None


@dataclass
class WriteResult:
    path: Path
    changes: list[Change]
    backup: Path | None = None
    # (path, old mode, new mode) for every file or directory whose mode was tightened.
    tightened: list[tuple[Path, int, int]] = field(default_factory=list)


def read_file_values(path: Path) -> dict[str, str]:
    """The keys in the file alone (no environment); a key without a value reads as "".

    Read literally, as the gateway reads it (`hermes_sms.config.read_environment`): `${VAR}`
    stays `${VAR}`, so a value holding it compares equal to itself and is never rewritten.
    """
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return {key: value or "" for key, value in dotenv_values(path, interpolate=False).items()}


def plan_changes(path: Path, updates: Mapping[str, str | None]) -> list[Change]:
    """The edits `write_env_file` would make: new values differing from the file, and removals
    (None) of keys the file has."""
    current = read_file_values(path)
    changes = []
    for name, new in updates.items():
        old = current.get(name)
        if new is None:
            if old is not None:
                changes.append(Change(name, old, None))
        elif new != old:
            changes.append(Change(name, old, new))
    return changes


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + BACKUP_SUFFIX)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write_env_file(path: Path, updates: Mapping[str, str | None]) -> WriteResult:
    """Apply `updates` (None removes the key) to the env file at `path`.

    The directory ends up 0700 and the file 0600, whatever they were; the previous file is
    copied to `.env.bak` (also 0600) before it changes. Keys whose value is already right are
    not rewritten, so their formatting and quoting stay as the user left them.

    A `.env` that is a symlink stays one: the file it points to is replaced (from a temporary
    file next to it, so the move stays atomic), while `.env.bak` goes next to the link.

    Raises OSError; its `strerror` says what is in the way (a folder that is not the user's
    to write in, a file of another user's) rather than just "Operation not permitted".
    """
    try:
        return _write(path, updates)
    except PermissionError as exc:
        raise _explained(path, exc) from exc


def _explained(path: Path, exc: PermissionError) -> PermissionError:
    """`exc` restated: whose file is in the way, or which folder cannot be written in."""
    blocked = Path(exc.filename) if exc.filename else path
    try:
        info = blocked.stat()
    except OSError:
        # Not there: it was being created (a temporary file, the backup), so the folder is it.
        blocked = blocked.parent
        try:
            info = blocked.stat()
        except OSError:
            return exc
    if info.st_uid != os.geteuid():
        reason = messages.ENV_WRITE_NOT_YOURS.format(path=blocked, owner=owner_name(info.st_uid))
    elif stat.S_ISDIR(info.st_mode):
        reason = messages.ENV_WRITE_FOLDER.format(folder=blocked, mode=stat.S_IMODE(info.st_mode))
    else:
        return exc
    return PermissionError(exc.errno, reason, exc.filename)


def _write(path: Path, updates: Mapping[str, str | None]) -> WriteResult:
    from dotenv import set_key, unset_key

    result = WriteResult(path=path, changes=plan_changes(path, updates))
    directory = path.parent
    if directory.is_dir():
        before = _mode(directory)
        ensure_private_dir(directory)
        if before != _mode(directory):
            result.tightened.append((directory, before, DIR_MODE))
    else:
        ensure_private_dir(directory)

    exists = path.is_file()
    old_mode = _mode(path) if exists else None
    if exists and old_mode is not None and old_mode & 0o077:
        # Tighten first: even if nothing changes, a readable token must not stay readable.
        path.chmod(FILE_MODE)
        result.tightened.append((path, old_mode, FILE_MODE))
    if not result.changes:
        return result

    original = path.read_bytes() if exists else b""
    if exists:
        result.backup = backup_path(path)
        _replace_privately(result.backup, original)

    # Replacing the link itself would turn it into a regular file and cut it off from the
    # file it shares (a dotfiles checkout, say): write where it points instead.
    target = Path(os.path.realpath(path))
    # mkstemp creates the file 0600, and set_key keeps the mode of the file it edits.
    fd, temp_name = tempfile.mkstemp(prefix=".env.setup-", dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(original)
        for change in result.changes:
            if change.new is None:
                unset_key(temp, change.name)
            else:
                set_key(temp, change.name, change.new)
        _fsync(temp)
        os.replace(temp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    return result


def _replace_privately(target: Path, data: bytes) -> None:
    """Write `data` to `target` with mode 0600 from the first byte, replacing any old file."""
    fd, temp_name = tempfile.mkstemp(prefix=target.name + ".", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)


def _fsync(path: Path) -> None:
    # set_key wrote through its own handles; flush the result to disk before it replaces the
    # real file, so a crash cannot leave an empty configuration behind.
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
