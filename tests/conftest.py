"""Shared fixtures. Every test runs with HERMES_HOME pointed at its own temp dir and with no
Twilio or SMS variables inherited from the machine, so no test can read a real configuration."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_PREFIXES = ("TWILIO_", "SMS_", "HERMES_")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HERMES_HOME at a fresh temp dir and drop inherited configuration variables."""
    for name in list(os.environ):
        if name.startswith(_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "hermes-home"
    monkeypatch.setenv("HERMES_HOME", str(home))
    return home
