"""Doctor against a real running gateway: the port it holds, its /health through the public
URL, and a signed test webhook that the gateway must accept and ignore as an echo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import ALICE, BOB, OUR_NUMBER, Harness, StartGateway
from test_doctor_support import FAST, run_cli_async, write_env_file

from hermes_sms.doctor.result import Report, Status
from hermes_sms.doctor.runner import DoctorOptions, run_doctor


def doctor_environ(gw: Harness, home: Path, **overrides: str) -> dict[str, str]:
    """The configuration the gateway runs with, plus what the doctor needs to find it."""
    port = gw.base_url.rsplit(":", 1)[1]
    values = {
        "HERMES_HOME": str(home),
        "TWILIO_ACCOUNT_SID": gw.account_sid,
        "TWILIO_AUTH_TOKEN": gw.auth_token,
        "TWILIO_PHONE_NUMBER": OUR_NUMBER,
        "TWILIO_API_BASE_URL": gw.emulator.base_url,
        "SMS_ALLOWED_USERS": f"{ALICE},{BOB}",
        "SMS_AGENT_URL": gw.llm.url,
        "SMS_WEBHOOK_HOST": "127.0.0.1",
        "SMS_WEBHOOK_PORT": port,
        "SMS_WEBHOOK_URL": gw.webhook_url,
        **overrides,
    }
    return values


async def diagnose(environ: dict[str, str], **options: Any) -> Report:
    options.setdefault("timeout", FAST * 4)
    return await run_doctor(environ, DoctorOptions(**options))


async def test_everything_passes_with_a_running_gateway(
    start_gateway: StartGateway, isolated_home: Path
) -> None:
    gw = await start_gateway()
    gw.emulator.numbers[0]["sms_url"] = gw.webhook_url
    environ = doctor_environ(gw, isolated_home)
    write_env_file(isolated_home, {k: v for k, v in environ.items() if k != "HERMES_HOME"})
    run = await run_cli_async(["doctor", "--json"], {"HERMES_HOME": str(isolated_home)})
    statuses = {check["id"]: check["status"] for check in run.json()["checks"]}
    # 127.0.0.1 is no public URL: the only warning, so --strict turns it into a failure.
    assert {k: v for k, v in statuses.items() if v != "pass"} == {"webhook.url": "warn"}
    assert run.code == 0 and run.json()["ok"] is True
    assert "hermes-sms gateway" in run.check("webhook.port")["message"]
    assert "hermes-sms gateway" in run.check("webhook.health")["message"]
    strict = await run_cli_async(["doctor", "--strict"], {"HERMES_HOME": str(isolated_home)})
    assert strict.code == 1
    assert "17 passed, 1 warning, 0 failed" in strict.stdout
    assert "--strict" in strict.stdout


async def test_signed_test_webhook_is_ignored_as_echo(
    start_gateway: StartGateway, isolated_home: Path
) -> None:
    gw = await start_gateway()
    report = await diagnose(doctor_environ(gw, isolated_home))
    signature = report.get("webhook.signature")
    assert signature and signature.status is Status.PASS
    await gw.settle()
    # Ignored as an echo: the agent never ran, nothing was sent, nothing was stored.
    assert gw.llm.chat_requests == []
    assert gw.emulator.messages == []
    assert gw.store.count("inbound") == 0
    assert "(echo)" in gw.log


async def test_changed_public_url_is_a_signature_failure(
    start_gateway: StartGateway, isolated_home: Path
) -> None:
    # The gateway still believes in yesterday's tunnel; the doctor posts to the URL of today.
    gw = await start_gateway(SMS_WEBHOOK_URL="https://old-name.trycloudflare.com/webhooks/twilio")
    report = await diagnose(doctor_environ(gw, isolated_home))
    assert report.get("webhook.health").status is Status.PASS  # type: ignore[union-attr]
    signature = report.get("webhook.signature")
    assert signature and signature.status is Status.FAIL
    assert "403" in signature.message and "URL Twilio signs" in signature.message
    assert "SMS_WEBHOOK_URL" in (signature.fix or "") and "tunnel" in (signature.fix or "")
    assert "rejected webhook: invalid X-Twilio-Signature" in gw.log


async def test_gateway_of_another_account_is_named(
    start_gateway: StartGateway, isolated_home: Path
) -> None:
    gw = await start_gateway()
    other = "AC" + "f" * 32
    report = await diagnose(doctor_environ(gw, isolated_home, TWILIO_ACCOUNT_SID=other))
    signature = report.get("webhook.signature")
    assert signature and signature.status is Status.FAIL
    assert "different TWILIO_ACCOUNT_SID" in signature.message


async def test_insecure_gateway_warns(start_gateway: StartGateway, isolated_home: Path) -> None:
    gw = await start_gateway(SMS_INSECURE_NO_SIGNATURE="true")
    report = await diagnose(doctor_environ(gw, isolated_home, SMS_INSECURE_NO_SIGNATURE="true"))
    signature = report.get("webhook.signature")
    assert signature and signature.status is Status.WARN
    assert "SMS_INSECURE_NO_SIGNATURE" in (signature.fix or "")


async def test_wrong_path_reaches_gateway_health_but_not_webhook(
    start_gateway: StartGateway, isolated_home: Path
) -> None:
    gw = await start_gateway()
    report = await diagnose(
        doctor_environ(gw, isolated_home, SMS_WEBHOOK_URL=gw.base_url + "/webhooks/sms")
    )
    assert report.get("webhook.url").status is Status.WARN  # type: ignore[union-attr]
    signature = report.get("webhook.signature")
    assert signature and signature.status is Status.FAIL
    assert "HTTP 404" in signature.message


async def test_gateway_running_on_another_port_is_named(
    start_gateway: StartGateway, isolated_home: Path
) -> None:
    """A gateway started with --port (or before SMS_WEBHOOK_PORT changed) leaves the
    configured port free: the doctor says that a gateway runs with this HERMES_HOME elsewhere,
    which a free port alone would hide; once it stops, the free port simply passes."""
    import os

    from harness import free_port

    gw = await start_gateway()
    environ = doctor_environ(gw, isolated_home, SMS_WEBHOOK_PORT=str(free_port()))
    port_check = (await diagnose(environ, offline=True)).get("webhook.port")
    assert port_check is not None and port_check.status is Status.WARN
    assert f"a hermes-sms gateway (pid {os.getpid()}) is running with this HERMES_HOME" in (
        port_check.message
    )
    assert "Point the tunnel at the port it listens on" in (port_check.fix or "")

    await gw.gateway.stop(grace=1)
    port_check = (await diagnose(environ, offline=True)).get("webhook.port")
    assert port_check is not None and port_check.status is Status.PASS
