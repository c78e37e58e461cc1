"""Benchmark 3: wall time of short CLI commands against a bare interpreter start.

The three commands are run in turn (pass, --help, send --dry-run, pass, ...), so a burst of
noise on the shared machine hits all of them rather than one; the ratio compares medians of
the same interleaved session. One unrecorded round first warms the page cache and .pyc files.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from common import PYTHON, Row, Section, clean_environ, log, median, spread, temp_home

HELP_TARGET_SECONDS = 0.15
TIMEOUT_SECONDS = 30.0


def _hermes_sms() -> list[str]:
    """The installed console script, as users run it; `python -m` if it is missing."""
    script = Path(PYTHON).parent / "hermes-sms"
    return [str(script)] if script.exists() else [PYTHON, "-m", "hermes_sms"]


def _seconds(value: float) -> str:
    return f"{value:.3f} s"


def run(*, samples: int) -> Section:
    section = Section("CLI start-up")
    hermes = _hermes_sms()
    commands = {
        "python -c pass": [PYTHON, "-c", "pass"],
        "hermes-sms --help": [*hermes, "--help"],
        'hermes-sms send --dry-run "hello"': [*hermes, "send", "--dry-run", "hello"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    with temp_home() as home:
        # An empty HERMES_HOME and no TWILIO_/SMS_ variables: the offline path a new user hits.
        env = clean_environ(home)
        for round_index in range(samples + 1):
            for name, argv in commands.items():
                started = time.perf_counter()
                done = subprocess.run(
                    argv,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    timeout=TIMEOUT_SECONDS,
                    check=False,
                )
                elapsed = time.perf_counter() - started
                if done.returncode != 0:
                    raise RuntimeError(f"{name} exited {done.returncode}: {done.stderr[-500:]!r}")
                if round_index > 0:  # round 0 only warms caches
                    times[name].append(elapsed)
        log(
            "start-up medians: "
            + ", ".join(f"{name} {_seconds(median(t))}" for name, t in times.items())
        )
    base = median(times["python -c pass"])
    for name, values in times.items():
        value = median(values)
        is_help = name == "hermes-sms --help"
        ratio = "" if name == "python -c pass" else f" ({value / base:.1f}× python -c pass)"
        section.rows.append(
            Row(
                section.title,
                f"Wall time, {name}",
                _seconds(value) + ratio,
                spread(values, _seconds),
                f"< {HELP_TARGET_SECONDS:g} s" if is_help else "",
                value < HELP_TARGET_SECONDS if is_help else None,
            )
        )
    section.notes.append(
        f"Median of {samples} interleaved runs each (after one warm-up round), with an empty "
        f"HERMES_HOME and no TWILIO_/SMS_ variables; `{' '.join(Path(a).name for a in hermes)}` "
        "is the installed console script."
    )
    return section
