"""Where hermes-sms keeps its files: `$HERMES_HOME`, by default `~/.hermes`.

The directory is shared with other Hermes tools, so we only ever add our own files to it.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from hermes_sms import messages

ENV_FILE_NAME = ".env"
DATABASE_NAME = "sms.sqlite3"
PRIVATE_DIR_MODE = 0o700


def hermes_home(environ: Mapping[str, str] | None = None) -> Path:
    """The Hermes home directory: `$HERMES_HOME` when set, else `~/.hermes`."""
    env = os.environ if environ is None else environ
    configured = env.get("HERMES_HOME", "").strip()
    return Path(configured).expanduser() if configured else Path.home() / ".hermes"


def env_file(environ: Mapping[str, str] | None = None) -> Path:
    """The `.env` file holding the configuration (and secrets)."""
    return hermes_home(environ) / ENV_FILE_NAME


class PrivateDirError(OSError):
    """`path` cannot be (made) a private directory; `str()` is the sentence for the user.

    An OSError, so callers that already turn file errors into messages keep working; its
    `strerror` is the whole sentence (without a final period, as they append their own).
    """

    def __init__(self, path: Path, reason: str, code: int = errno.EPERM) -> None:
        super().__init__(code, reason, str(path))

    def __str__(self) -> str:
        return str(self.strerror)


def ensure_private_dir(path: Path) -> int | None:
    """Make sure `path` is a directory only we can use; the old mode if it was tightened.

    A missing directory is created 0700 (with its parents). An existing one is used as it is
    when private already, tightened to 0700 when it is ours and not shared (the caller says
    so: the return value is its previous mode), and refused with PrivateDirError when other
    users share it (writable by its group or by everyone, or sticky, like /tmp) or it belongs
    to someone else: chmod'ing such a folder would lock its users out, and our secrets do not
    belong there.
    """
    try:
        path.mkdir(mode=PRIVATE_DIR_MODE, parents=True)
        return None
    except FileExistsError:
        pass
    except OSError as exc:
        raise PrivateDirError(path, _cannot(messages.HOME_CANNOT_CREATE, path, exc)) from exc
    mode = _usable_mode(path)
    if not mode & 0o077:
        return None
    try:
        path.chmod(PRIVATE_DIR_MODE)
    except OSError as exc:
        raise PrivateDirError(path, _cannot(messages.HOME_CANNOT_USE, path, exc)) from exc
    return mode


def private_dir_problem(path: Path) -> str | None:
    """Why `ensure_private_dir(path)` would refuse, without creating or changing anything; None
    when it would not (a missing folder can be created). For commands that ask questions
    before they write, so they can stop before the first one."""
    try:
        _usable_mode(path)
    except FileNotFoundError:
        return None
    except PrivateDirError as exc:
        return str(exc)
    return None


def _usable_mode(path: Path) -> int:
    """The mode of the existing folder `path` if we may use it (a loose one of ours is the
    caller's to tighten); else PrivateDirError. FileNotFoundError when it does not exist."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise  # not a refusal: the callers create it, or have nothing to check yet
    except OSError as exc:
        raise PrivateDirError(path, _cannot(messages.HOME_CANNOT_USE, path, exc)) from exc
    if not stat.S_ISDIR(info.st_mode):
        raise PrivateDirError(path, messages.HOME_NOT_A_DIRECTORY.format(home=path), errno.ENOTDIR)
    mode = stat.S_IMODE(info.st_mode)
    # Writable by the group or by everyone, or sticky (/tmp): other people keep files there,
    # and a chmod would lock them out. Group- or world-readable only is just loose: tightened.
    if mode & (stat.S_IWGRP | stat.S_IWOTH | stat.S_ISVTX):
        raise PrivateDirError(path, messages.HOME_SHARED.format(home=path, mode=mode))
    ours = info.st_uid == os.geteuid()
    if not mode & 0o077 and (ours or os.geteuid() == 0):
        # Root may use another user's private folder (a container volume, say): nobody else
        # gains anything, and nothing is chmod'ed.
        return mode
    if not ours:
        raise PrivateDirError(
            path, messages.HOME_NOT_YOURS.format(home=path, owner=owner_name(info.st_uid))
        )
    return mode


def _cannot(template: str, path: Path, exc: OSError) -> str:
    return template.format(home=path, reason=exc.strerror or exc.__class__.__name__)


def owner_name(uid: int) -> str:
    """The user name of `uid`, for messages ("user 1234" when it has none)."""
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"user {uid}"
