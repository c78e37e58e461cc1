"""Doctor when DNS never answers: every lookup is given up at the probe's timeout, and nothing
waits for it when the process exits.

The hanging DNS is `socket.getaddrinfo` patched to sleep for names under `dns-hangs.test`
(in a subprocess, through a `-c` wrapper, for the end-to-end run). Everything else is real:
the real command with its real defaults, real sockets on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading
import time
from pathlib import Path

import pytest
from test_doctor_support import environ_for, free_port, subprocess_env

from hermes_sms.doctor.probes import ProbeError, http_request
from hermes_sms.doctor.resolver import DaemonThreadResolver, ResolveTimeout
from hermes_sms.doctor.result import Status
from hermes_sms.doctor.runner import DoctorOptions, run_doctor

HANGING = "dns-hangs.test"
# Far beyond the doctor's 15 s promise: an exit that waits for the lookup is caught for sure.
HANG_SECONDS = 60
# The test gives up (and kills the process) well before the lookup would end.
TEST_LIMIT = 25

WRAPPER = f"""
import socket, sys, time

_real = socket.getaddrinfo

def _hanging(host, *args, **kwargs):
    if isinstance(host, str) and host.rstrip(".").endswith({HANGING!r}):
        time.sleep({HANG_SECONDS})
    return _real(host, *args, **kwargs)

socket.getaddrinfo = _hanging
from hermes_sms.cli.app import run
run()
"""


async def test_hanging_dns_does_not_hold_the_doctor_past_15_s(
    isolated_home: Path, twilio_creds
) -> None:
    environ = environ_for(
        isolated_home,
        account_sid=twilio_creds.account_sid,
        auth_token=twilio_creds.auth_token,
        api_base_url=f"http://api.{HANGING}:{free_port()}",
        SMS_WEBHOOK_URL=f"https://hook.{HANGING}/webhooks/twilio",
        SMS_AGENT_BACKEND="openai",
        SMS_AGENT_URL=f"http://agent.{HANGING}:{free_port()}/v1",
    )
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        WRAPPER,
        "doctor",
        "--json",
        env=subprocess_env(environ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=TEST_LIMIT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        pytest.fail(f"the doctor was still running after {TEST_LIMIT} s")
    elapsed = time.monotonic() - started
    assert elapsed < 15, f"took {elapsed:.1f} s"
    assert proc.returncode == 1, stderr.decode()
    # Nothing complained on the way out (no unretrieved exceptions, no tracebacks).
    assert stderr.decode().strip() == ""
    checks = {check["id"]: check for check in json.loads(stdout)["checks"]}
    health = checks["webhook.health"]
    assert health["status"] == "fail"
    assert "did not resolve within 4 s" in health["message"]
    credentials = checks["twilio.credentials"]
    assert credentials["status"] == "fail" and "no answer from" in credentials["message"]
    agent = checks["agent.reachable"]
    assert agent["status"] == "fail" and "timed out" in agent["message"]


@pytest.fixture
def hanging_dns(monkeypatch: pytest.MonkeyPatch):
    """getaddrinfo blocks for names under dns-hangs.test until the test ends."""
    release = threading.Event()
    real = socket.getaddrinfo
    calls: list[str] = []

    def fake(host, *args, **kwargs):
        calls.append(host)
        if isinstance(host, str) and host.endswith(HANGING):
            release.wait(HANG_SECONDS)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    yield calls
    release.set()


async def test_resolver_gives_up_at_its_timeout_on_a_daemon_thread(hanging_dns) -> None:
    resolver = DaemonThreadResolver(0.2)
    with pytest.raises(ResolveTimeout):
        await resolver.resolve(f"slow.{HANGING}", 443)
    lookups = [t for t in threading.enumerate() if t.name == f"resolve slow.{HANGING}"]
    # Still blocked, and a daemon: interpreter exit does not wait for it.
    assert lookups and all(t.daemon for t in lookups)


async def test_resolver_answers_ip_literals_without_a_lookup(hanging_dns) -> None:
    resolver = DaemonThreadResolver(1.0)
    [v4] = await resolver.resolve("127.0.0.1", 80)
    assert (v4["host"], v4["port"], v4["family"]) == ("127.0.0.1", 80, socket.AF_INET)
    [v6] = await resolver.resolve("::1", 80, socket.AF_UNSPEC)
    assert (v6["host"], v6["family"]) == ("::1", socket.AF_INET6)
    assert hanging_dns == []


async def test_resolver_resolves_a_real_name() -> None:
    resolver = DaemonThreadResolver(5.0)
    results = await resolver.resolve("localhost", 8080, socket.AF_INET)
    assert {"127.0.0.1"} <= {r["host"] for r in results}
    assert all(r["port"] == 8080 and r["hostname"] == "localhost" for r in results)


async def test_probe_reports_a_name_that_does_not_resolve_in_time(hanging_dns) -> None:
    with pytest.raises(ProbeError) as caught:
        await http_request("GET", f"http://probe.{HANGING}/health", 0.3)
    assert caught.value.timed_out and caught.value.unresolved
    assert "did not resolve within 0.3 s" in caught.value.reason


GONE = "gone.test"


@pytest.fixture
def vanished_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """getaddrinfo says "no such name" for names under gone.test (a quick tunnel that was
    restarted: its old host name no longer exists)."""
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):
        if isinstance(host, str) and host.rstrip(".").endswith(GONE):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.mark.parametrize("kind", ["vanished", "hanging"])
async def test_unresolvable_public_url_gets_the_tunnel_fix(
    isolated_home: Path, vanished_names: None, hanging_dns: list[str], kind: str
) -> None:
    host = f"old-name.{GONE}" if kind == "vanished" else f"old-name.{HANGING}"
    values = {
        "HERMES_HOME": str(isolated_home),
        "SMS_AGENT_BACKEND": "echo",
        "SMS_WEBHOOK_PORT": str(free_port()),
        "SMS_WEBHOOK_URL": f"https://{host}/webhooks/twilio",
    }
    report = await run_doctor(values, DoctorOptions(timeout=0.3))
    health = report.get("webhook.health")
    assert health and health.status is Status.FAIL
    assert "resolve" in health.message
    # Not "start the gateway": the name itself is gone, most often a restarted quick tunnel.
    assert "new host name every time it starts" in (health.fix or "")
    assert "hermes-sms doctor --fix" in (health.fix or "")
