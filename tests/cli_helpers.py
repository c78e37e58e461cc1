"""Run the real `hermes-sms` CLI: in a subprocess (as users do) or in-process through
`main(argv, env)` with an injected Environment (fast, and sees exactly our streams)."""

from __future__ import annotations

import asyncio
import io
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hermes_sms.cli.app import main
from hermes_sms.cli.environment import Environment


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def base_env(home: Path, **values: str) -> dict[str, str]:
    """A clean environment for the CLI: no inherited Twilio or SMS variables."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TWILIO_", "SMS_", "HERMES_"))
    }
    env.update({"HERMES_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "200", **values})
    return env


async def run_cli(
    *args: str,
    env: dict[str, str],
    stdin: str | None = None,
    timeout: float = 60,
    preexec_fn: Callable[[], None] | None = None,
) -> Result:
    """`python -m hermes_sms ARGS` in a subprocess, without blocking the event loop (the
    Twilio emulator the command talks to runs on this loop). A command still running after
    `timeout` is killed and fails the test; `preexec_fn` runs in the child before exec."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hermes_sms",
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=preexec_fn,
    )
    try:
        out, err = await asyncio.wait_for(
            process.communicate(stdin.encode() if stdin is not None else None), timeout
        )
    except TimeoutError:
        process.kill()
        out, err = await process.communicate()
        raise AssertionError(
            f"`hermes-sms {' '.join(args)}` kept running: {out.decode()} {err.decode()}"
        ) from None
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())


def run_in_process(
    *args: str, env: dict[str, str], stdin: str = "", stdin_isatty: bool = False
) -> Result:
    stdout, stderr = io.StringIO(), io.StringIO()
    environment = Environment(
        environ=env,
        stdin=io.StringIO(stdin),
        stdout=stdout,
        stderr=stderr,
        stdin_isatty=stdin_isatty,
        color=False,
    )
    code = main(list(args), environment)
    return Result(int(code), stdout.getvalue(), stderr.getvalue())


async def run_in_thread(*args: str, env: dict[str, str]) -> Result:
    """`run_in_process` from a test that also serves the Twilio emulator on this event loop."""
    return await asyncio.to_thread(run_in_process, *args, env=env)


def setup_args(account_sid: str, auth_token: str, *extra: str, **options: str) -> list[str]:
    """`setup --non-interactive` with these credentials, `--name value` for each option
    (`phone_number=` gives `--phone-number`), in the order given, then `extra` as it is."""
    args = ["setup", "--non-interactive", "--account-sid", account_sid, "--auth-token", auth_token]
    for name, value in options.items():
        args += [f"--{name.replace('_', '-')}", value]
    return [*args, *extra]


def free_port() -> int:
    """A port nothing listens on right now (on 127.0.0.1)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_PR_CAPBSET_DROP = 24
# Root's ways around permission bits: write anywhere, read anywhere, chmod anything.
_ROOT_FILE_POWERS = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER


def as_ordinary_user() -> Callable[[], None] | None:
    """A `preexec_fn` for `run_cli` under which root obeys file permissions like anyone else
    (tests run as root here, where chmod 000 would stop nothing); None when not root."""
    if os.geteuid() != 0:
        return None

    def drop_root_file_powers() -> None:
        # In the child, before exec: an exec'd program without these in its bounding set has
        # no way around permission bits (prctl(2), capabilities(7)).
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        for cap in _ROOT_FILE_POWERS:
            if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")

    return drop_root_file_powers
