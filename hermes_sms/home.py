"""Where hermes-sms keeps its files: `$HERMES_HOME`, by default `~/.hermes`.

The directory is shared with other Hermes tools, so we only ever add our own files to it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

ENV_FILE_NAME = ".env"
DATABASE_NAME = "sms.sqlite3"


def hermes_home(environ: Mapping[str, str] | None = None) -> Path:
    """The Hermes home directory: `$HERMES_HOME` when set, else `~/.hermes`."""
    env = os.environ if environ is None else environ
    configured = env.get("HERMES_HOME", "").strip()
    return Path(configured).expanduser() if configured else Path.home() / ".hermes"


def env_file(environ: Mapping[str, str] | None = None) -> Path:
    """The `.env` file holding the configuration (and secrets)."""
    return hermes_home(environ) / ENV_FILE_NAME


def ensure_private_dir(path: Path) -> None:
    """Create `path` (and parents) with mode 0700 and tighten it if it is looser.

    The directory holds the auth token and message history, so group and others get nothing.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
