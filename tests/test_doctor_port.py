"""Doctor, Webhook section without a gateway: SMS_WEBHOOK_URL, the local port, silent hosts."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web
from test_doctor_support import (
    FAST,
    environ_for,
    free_port,
    held_port,
    http_server,
    silent_server,
)

from hermes_sms.doctor.loading import load
from hermes_sms.doctor.result import Report, Status
from hermes_sms.doctor.runner import DoctorOptions, run_doctor
from hermes_sms.doctor.urls import health_url, private_host_reason
from hermes_sms.doctor.webhook_checks import check_port, check_url
from hermes_sms.gateway.paths import SERVICE_NAME


def environ(home: Path, **values: str) -> dict[str, str]:
    return {"HERMES_HOME": str(home), "SMS_AGENT_BACKEND": "echo", **values}


@pytest.mark.parametrize(
    ("url", "status", "text"),
    [
        ("https://sms.example.com/webhooks/twilio", Status.PASS, "SMS_WEBHOOK_URL is"),
        ("http://sms.example.com/webhooks/twilio", Status.WARN, "not https"),
        ("https://localhost/webhooks/twilio", Status.WARN, "local name"),
        ("http://127.0.0.1:8080/webhooks/twilio", Status.WARN, "loopback"),
        ("https://192.168.1.20/webhooks/twilio", Status.WARN, "private address"),
        ("https://[fd00::1]/webhooks/twilio", Status.WARN, "private address"),
        ("https://raspberrypi/webhooks/twilio", Status.WARN, "bare machine name"),
        ("https://sms.example.com/twilio", Status.WARN, "does not end in /webhooks/twilio"),
    ],
)
def test_webhook_url(isolated_home: Path, url: str, status: Status, text: str) -> None:
    result = check_url(load(environ(isolated_home, SMS_WEBHOOK_URL=url, SMS_WEBHOOK_PORT="8099")))
    assert result.status is status
    assert text in result.message


def test_private_url_warning_has_tunnel_hint(isolated_home: Path) -> None:
    url = "http://127.0.0.1:8099/webhooks/twilio"
    result = check_url(load(environ(isolated_home, SMS_WEBHOOK_URL=url, SMS_WEBHOOK_PORT="8099")))
    assert "cloudflared tunnel --url http://localhost:8099" in (result.fix or "")
    assert "ngrok http 8099" in (result.fix or "")


def test_webhook_url_unset_warns(isolated_home: Path) -> None:
    result = check_url(load(environ(isolated_home)))
    assert result.status is Status.WARN
    assert "SMS_WEBHOOK_URL is not set" in result.message
    assert "SMS_WEBHOOK_URL" in (result.fix or "")


@pytest.mark.parametrize(
    ("url", "health"),
    [
        ("https://a.example/webhooks/twilio", "https://a.example/health"),
        ("https://a.example/webhooks/twilio/", "https://a.example/health"),
        ("https://a.example/sms/webhooks/twilio?x=1", "https://a.example/sms/health"),
        ("http://127.0.0.1:8080/other", "http://127.0.0.1:8080/health"),
    ],
)
def test_health_url_replaces_the_webhook_path(url: str, health: str) -> None:
    assert health_url(url) == health


def test_public_hosts_are_not_flagged() -> None:
    assert private_host_reason("sms.example.com") is None
    assert private_host_reason("8.8.8.8") is None


async def test_free_port_passes(isolated_home: Path) -> None:
    port = free_port()
    result = await check_port(load(environ(isolated_home, SMS_WEBHOOK_PORT=str(port))), 0.5)
    assert result.status is Status.PASS
    assert f"port {port}" in result.message


@pytest.mark.parametrize(
    ("values", "named", "not_named"),
    [
        ({"SMS_WEBHOOK_HOST": "http://0.0.0.0"}, "SMS_WEBHOOK_HOST is malformed", "PORT"),
        ({"SMS_WEBHOOK_PORT": "http"}, "SMS_WEBHOOK_PORT is malformed", "HOST"),
        (
            {"SMS_WEBHOOK_HOST": "0.0.0.0:8080", "SMS_WEBHOOK_PORT": "0"},
            "SMS_WEBHOOK_HOST and SMS_WEBHOOK_PORT are malformed",
            None,
        ),
    ],
)
async def test_malformed_listen_variable_is_named(
    isolated_home: Path, values: dict[str, str], named: str, not_named: str | None
) -> None:
    result = await check_port(load(environ(isolated_home, **values)), 0.5)
    assert result.status is Status.SKIP
    assert named in result.message
    if not_named is not None:
        assert not_named not in result.message


async def test_port_held_by_listening_socket_fails(isolated_home: Path) -> None:
    # Listening but never answering HTTP: the probe must time out, not hang (a hang fails the
    # test at the suite's per-test timeout).
    with held_port(listen=True) as port:
        loaded = load(environ(isolated_home, SMS_WEBHOOK_PORT=str(port)))
        result = await check_port(loaded, 0.3)
    assert result.status is Status.FAIL
    assert "SMS_WEBHOOK_PORT" in result.message and "another program" in result.message
    assert f"lsof -iTCP:{port}" in (result.fix or "")
    assert "SMS_WEBHOOK_PORT" in (result.fix or "")


async def test_port_bound_without_listening_fails(isolated_home: Path) -> None:
    with held_port(listen=False) as port:
        result = await check_port(
            load(environ(isolated_home, SMS_WEBHOOK_PORT=str(port), SMS_WEBHOOK_HOST="127.0.0.1")),
            0.3,
        )
    assert result.status is Status.FAIL
    assert "held by another program" in result.message


async def test_port_held_by_another_process_fails(isolated_home: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        loaded = load(environ(isolated_home, SMS_WEBHOOK_PORT=str(port)))
        for _ in range(100):
            result = await check_port(loaded, 1.0)
            if "answered HTTP" in result.message:
                break
            await asyncio.sleep(0.05)  # until the child listens
    finally:
        server.terminate()
        server.wait(timeout=5)
    assert result.status is Status.FAIL
    assert "HTTP 404" in result.message and "SMS_WEBHOOK_PORT" in result.message


async def test_silent_public_url_times_out_quickly(isolated_home: Path) -> None:
    async with silent_server() as port:
        values = environ(
            isolated_home,
            SMS_WEBHOOK_URL=f"http://127.0.0.1:{port}/webhooks/twilio",
            SMS_WEBHOOK_PORT=str(free_port()),
        )
        # The server never answers: only the 0.3 s request timeout ends the check.
        report = await run_doctor(values, DoctorOptions(timeout=0.3))
    health = report.get("webhook.health")
    assert health and health.status is Status.FAIL
    assert "did not answer" in health.message
    assert "hermes-sms gateway" in (health.fix or "")
    signature = report.get("webhook.signature")
    assert signature and signature.status is Status.SKIP


async def test_section_deadline_caps_the_run(isolated_home: Path) -> None:
    # Generous request timeouts but a short deadline: the deadline must win.
    async with silent_server() as port:
        values = environ(
            isolated_home,
            SMS_WEBHOOK_URL=f"http://127.0.0.1:{port}/webhooks/twilio",
            SMS_AGENT_BACKEND="openai",
            SMS_AGENT_URL=f"http://127.0.0.1:{port}/v1",
        )
        report = await run_doctor(values, DoctorOptions(timeout=30, deadline=0.5))
    # Each check names the deadline, not the 30 s request timeout: the deadline ended them.
    for check_id in ("webhook.health", "webhook.signature", "agent.reachable", "agent.model"):
        check = report.get(check_id)
        assert check and check.status is Status.FAIL
        assert "no result within the doctor's 0.5 s limit" in check.message


async def test_offline_skips_network_but_not_local_checks(isolated_home: Path) -> None:
    async with silent_server() as port:
        values = environ(
            isolated_home,
            SMS_WEBHOOK_URL=f"http://127.0.0.1:{port}/webhooks/twilio",
            SMS_WEBHOOK_PORT=str(free_port()),
            SMS_AGENT_BACKEND="openai",
            SMS_AGENT_URL=f"http://127.0.0.1:{port}/v1",
        )
        report: Report = await run_doctor(values, DoctorOptions(offline=True, timeout=5))
    network = {
        "twilio.credentials",
        "twilio.account_status",
        "twilio.account_type",
        "number.owned",
        "number.sms_capable",
        "number.webhook_url",
        "webhook.health",
        "webhook.signature",
        "agent.reachable",
        "agent.model",
    }
    for check in report.checks:
        if check.id in network:
            assert check.status is Status.SKIP and "--offline" in check.message
    assert report.get("webhook.port").status is Status.PASS  # type: ignore[union-attr]
    assert report.get("webhook.url").status is Status.WARN  # type: ignore[union-attr]


async def test_port_on_an_address_of_another_machine_fails(isolated_home: Path) -> None:
    # TEST-NET-2: never an address of this machine, so the gateway could not listen there.
    values = environ(isolated_home, SMS_WEBHOOK_HOST="198.51.100.7", SMS_WEBHOOK_PORT="8099")
    result = await check_port(load(values), 0.3)
    assert result.status is Status.FAIL
    assert "cannot listen on 198.51.100.7:8099" in result.message
    assert "SMS_WEBHOOK_HOST" in (result.fix or "")


def with_twilio(home: Path, webhook_url: str) -> dict[str, str]:
    """Twilio variables that are well-formed (the signed test webhook needs them), with an API
    base URL nobody listens on, so the Twilio section fails at once without the internet."""
    return environ_for(
        home,
        account_sid="AC" + "0123456789abcdef" * 2,
        auth_token="port-test-auth-token-0000000000",
        api_base_url=f"http://127.0.0.1:{free_port()}",
        SMS_WEBHOOK_URL=webhook_url,
    )


async def test_public_url_answered_by_another_program_fails(isolated_home: Path) -> None:
    # A tunnel still up, its gateway gone: the tunnel answers with its own error page.
    async def bad_gateway(request: web.Request) -> web.Response:
        return web.Response(status=502, text="<html>Bad gateway: origin unreachable</html>")

    async with http_server({("GET", "/health"): bad_gateway}) as base:
        values = with_twilio(isolated_home, base + "/webhooks/twilio")
        report = await run_doctor(values, DoctorOptions(timeout=FAST * 4))
    health = report.get("webhook.health")
    assert health and health.status is Status.FAIL
    assert "HTTP 502" in health.message and "not the hermes-sms gateway" in health.message
    assert "Bad gateway: origin unreachable" in (health.detail or "")
    assert "hermes-sms gateway" in (health.fix or "") and "SMS_WEBHOOK_PORT" in (health.fix or "")
    signature = report.get("webhook.signature")
    assert signature and signature.status is Status.SKIP


async def test_public_url_that_redirects_fails_naming_the_target(isolated_home: Path) -> None:
    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("https://sms.example.com/health")

    async with http_server({("GET", "/health"): moved}) as base:
        values = with_twilio(isolated_home, base + "/webhooks/twilio")
        report = await run_doctor(values, DoctorOptions(timeout=FAST * 4))
    health = report.get("webhook.health")
    assert health and health.status is Status.FAIL
    assert "redirects (HTTP 301) to https://sms.example.com/health" in health.message
    assert "after the redirect" in (health.fix or "")


async def gateway_health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "service": SERVICE_NAME, "version": "9.9"})


async def test_signed_webhook_redirected_fails(isolated_home: Path) -> None:
    # /health gets through, the webhook is redirected (a proxy adding a trailing slash):
    # Twilio would not follow it with a valid signature.
    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPPermanentRedirect(str(request.url) + "/")

    routes = {("GET", "/health"): gateway_health, ("POST", "/webhooks/twilio"): moved}
    async with http_server(routes) as base:
        values = with_twilio(isolated_home, base + "/webhooks/twilio")
        report = await run_doctor(values, DoctorOptions(timeout=FAST * 4))
    assert report.get("webhook.health").status is Status.PASS  # type: ignore[union-attr]
    signature = report.get("webhook.signature")
    assert signature and signature.status is Status.FAIL
    assert "redirects (HTTP 308)" in signature.message
    assert "SMS_WEBHOOK_URL" in (signature.fix or "")


async def test_signed_webhook_that_never_answers_times_out(isolated_home: Path) -> None:
    release = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="too late")

    routes = {("GET", "/health"): gateway_health, ("POST", "/webhooks/twilio"): hang}
    async with http_server(routes) as base:
        values = with_twilio(isolated_home, base + "/webhooks/twilio")
        try:
            report = await run_doctor(values, DoctorOptions(timeout=FAST * 2))
        finally:
            release.set()
    signature = report.get("webhook.signature")
    assert signature and signature.status is Status.FAIL
    assert "did not answer" in signature.message
    assert "hermes-sms gateway" in (signature.fix or "")
