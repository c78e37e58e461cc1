"""Shared helpers for the doctor tests (this module holds no tests of its own).

Everything here starts real parts on 127.0.0.1: sockets, a server that never answers, and the
CLI itself, run in-process through `main()` (in a worker thread when the test's own event loop
must keep serving the Twilio emulator or a gateway meanwhile).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import socket
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cli_helpers import free_port

from hermes_sms.cli.app import main
from hermes_sms.cli.environment import Environment

OUR_NUMBER = "+15550100001"
ALICE = "+15550100002"
BOB = "+15550100003"
# Fast enough for a test suite, slow enough for a loaded CI machine to answer a local server.
FAST = 0.5


def write_env_file(home: Path, values: Mapping[str, str], mode: int = 0o600) -> Path:
    """A real `$HERMES_HOME/.env` with `values`, chmod'ed to `mode`."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / ".env"
    path.write_text("".join(f"{name}={value}\n" for name, value in values.items()))
    path.chmod(mode)
    return path


def environ_for(
    home: Path,
    *,
    account_sid: str,
    auth_token: str,
    api_base_url: str,
    **overrides: str,
) -> dict[str, str]:
    """A complete, valid configuration pointing at local servers; `overrides` win."""
    values = {
        "HERMES_HOME": str(home),
        "TWILIO_ACCOUNT_SID": account_sid,
        "TWILIO_AUTH_TOKEN": auth_token,
        "TWILIO_PHONE_NUMBER": OUR_NUMBER,
        "TWILIO_API_BASE_URL": api_base_url,
        "SMS_ALLOWED_USERS": f"{ALICE},{BOB}",
        "SMS_WEBHOOK_PORT": str(free_port()),
        "SMS_AGENT_BACKEND": "echo",
    }
    values.update(overrides)
    return {name: value for name, value in values.items() if value != ""}


@dataclass
class CliRun:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        return json.loads(self.stdout)

    def check(self, check_id: str) -> dict[str, Any]:
        return next(c for c in self.json()["checks"] if c["id"] == check_id)


def run_cli(
    argv: list[str],
    environ: Mapping[str, str],
    *,
    stdin: str = "",
    tty: bool = False,
    color: bool = False,
) -> CliRun:
    """`hermes-sms ARGV` in-process, with injected environment and streams."""
    out, err = io.StringIO(), io.StringIO()
    env = Environment(
        environ=dict(environ),
        stdin=io.StringIO(stdin),
        stdout=out,
        stderr=err,
        stdin_isatty=tty,
        color=color,
    )
    code = main(argv, env)
    return CliRun(code, out.getvalue(), err.getvalue())


async def run_cli_async(argv: list[str], environ: Mapping[str, str], **kwargs: Any) -> CliRun:
    """run_cli in a worker thread: the CLI runs its own event loop while ours keeps serving."""
    return await asyncio.to_thread(run_cli, argv, environ, **kwargs)


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers; yields its port."""
    held: list[asyncio.StreamWriter] = []
    release = asyncio.Event()

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await release.wait()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        release.set()
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


@contextlib.contextmanager
def held_port(*, listen: bool) -> Iterator[int]:
    """A port held by a plain socket: listening (accepts, never answers) or only bound."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        if listen:
            sock.listen(8)
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def no_secret_in(text: str, *secrets: str) -> bool:
    return not any(secret and secret in text for secret in secrets)


def subprocess_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The test's configuration on top of a clean process environment (PATH and friends)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SMS_"))}
    return {**base, **environ, "NO_COLOR": "1"}


@contextlib.asynccontextmanager
async def http_server(routes: Mapping[tuple[str, str], Any]) -> AsyncIterator[str]:
    """An aiohttp server on 127.0.0.1 serving `{(method, path): handler}`; yields its base URL.

    For what stands between Twilio and the gateway: a tunnel forwarding to another program, a
    proxy that redirects, a server that answers /health and then hangs.
    """
    from aiohttp import web

    app = web.Application()
    for (method, path), handler in routes.items():
        app.router.add_route(method, path, handler)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()
