"""Doctor rules of the Twilio, Phone number and Webhook sections that the broader tests did not
pin down (found by mutating twilio_checks.py, delivery_checks.py, webhook_checks.py and
probes.py), against the Twilio emulator and local servers on 127.0.0.1 (and ::1)."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from test_doctor_support import (
    ALICE,
    FAST,
    OUR_NUMBER,
    environ_for,
    free_port,
    http_server,
    run_cli_async,
)
from test_doctor_twilio import WEBHOOK_URL, diagnose, env, replies

from hermes_sms.config import TwilioConfig
from hermes_sms.doctor.delivery_checks import check_delivery
from hermes_sms.doctor.loading import load
from hermes_sms.doctor.result import Status
from hermes_sms.doctor.runner import DoctorOptions, run_doctor
from hermes_sms.doctor.twilio_checks import WebhookFix, apply_webhook_fix
from hermes_sms.doctor.webhook_checks import check_port
from hermes_sms.gateway.paths import SERVICE_NAME
from hermes_sms.sandbox import TwilioEmulator
from hermes_sms.twilio.client import MessageRecord


async def delivery(home: Path, emulator: TwilioEmulator, **overrides: str) -> dict[str, Any]:
    run = await run_cli_async(["doctor", "--json"], env(home, emulator, **overrides))
    return run.check("number.delivery")


# -- twilio.credentials, account status and type -----------------------------------------------


async def test_http_401_without_an_error_code_is_a_wrong_token(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    # A proxy or an edge may answer 401 without Twilio's JSON error code.
    emulator.inject_fault(401, path_contains=f"/Accounts/{emulator.account_sid}.json")
    report = await diagnose(env(isolated_home, emulator))
    credentials = report.get("twilio.credentials")
    assert credentials and credentials.status is Status.FAIL
    assert "the auth token is wrong" in credentials.message


async def test_http_404_without_an_error_code_is_an_unknown_account(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    emulator.inject_fault(404, path_contains=f"/Accounts/{emulator.account_sid}.json")
    report = await diagnose(env(isolated_home, emulator))
    credentials = report.get("twilio.credentials")
    assert credentials and credentials.status is Status.FAIL
    assert f"does not know account {emulator.account_sid}" in credentials.message


async def test_closed_account_fails(isolated_home: Path, emulator_factory: Any) -> None:
    emulator = await emulator_factory(account_status="closed")
    check = (await diagnose(env(isolated_home, emulator))).get("twilio.account_status")
    assert check and check.status is Status.FAIL
    assert check.message.startswith("the account is closed:")


async def test_full_account_type_is_named_in_lower_case(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    check = (await diagnose(env(isolated_home, emulator))).get("twilio.account_type")
    assert check and check.message == "full account (no trial limits)"


# -- number lookup and --fix -------------------------------------------------------------------


async def test_failed_number_lookup_still_judges_delivery_once(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    emulator.inject_fault(500, path_contains="/IncomingPhoneNumbers.json")
    report = await diagnose(env(isolated_home, emulator))
    assert [c.id for c in report.checks].count("number.delivery") == 1
    check = report.get("number.delivery")
    assert check and check.status is Status.PASS and "nothing to judge" in check.message


async def test_fix_that_twilio_stores_with_another_method_fails(isolated_home: Path) -> None:
    number_sid = "PN" + "0" * 32

    async def update(request: web.Request) -> web.Response:
        form = await request.post()
        # The URL is taken, the method is not (as a misbehaving proxy or API might).
        resource = {
            "sid": number_sid,
            "phone_number": OUR_NUMBER,
            "capabilities": {"sms": True},
            "sms_url": form["SmsUrl"],
            "sms_method": "GET",
        }
        return web.json_response(resource)

    path = "/2010-04-01/Accounts/{sid}/IncomingPhoneNumbers/{pn}.json"
    async with http_server({("POST", path): update}) as base:
        twilio = TwilioConfig(
            "AC" + "0123456789abcdef" * 2, "fix-token-0000", OUR_NUMBER, api_base_url=base
        )
        change = WebhookFix(number_sid, OUR_NUMBER, None, None, WEBHOOK_URL)
        result = await apply_webhook_fix(twilio, change, FAST * 4)
    assert result.status is Status.FAIL
    assert result.message == (f"--fix sent the change, but Twilio now reports {WEBHOOK_URL} (GET)")


# -- number.delivery ---------------------------------------------------------------------------


async def test_geo_permission_error_blocks_replies(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    await replies(emulator, ("failed", 21408))
    check = await delivery(isolated_home, emulator)
    assert check["status"] == "fail" and "blocked by error 21408" in check["message"]
    assert "Geo permissions" in check["fix"]


async def test_a_sent_reply_after_blocked_ones_only_warns(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    # "sent" is as far as some carriers ever report: the reply got out.
    await replies(emulator, ("undelivered", 30034), ("sent", None))
    check = await delivery(isolated_home, emulator)
    assert check["status"] == "warn"
    assert "may be fixed already" in check["detail"]


async def test_fix_names_the_blocking_code_first_even_when_it_is_rarer(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    await replies(emulator, ("undelivered", 30007), ("undelivered", 30007), ("failed", 30034))
    check = await delivery(isolated_home, emulator)
    assert check["status"] == "fail" and "blocked by error 30034" in check["message"]
    assert check["fix"].startswith("Register the number for US A2P 10DLC")
    assert "Carriers filter unregistered traffic" in check["fix"]


async def test_fix_covers_three_different_errors(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    await replies(emulator, ("undelivered", 30003), ("failed", 21610), ("undelivered", 30007))
    check = await delivery(isolated_home, emulator)
    assert check["status"] == "warn"
    assert "phone is off" in check["fix"]
    assert "text START" in check["fix"]
    assert "Carriers filter" in check["fix"]


async def test_errors_with_the_same_fix_name_it_once(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    await replies(emulator, ("failed", 21614), ("undelivered", 30006))
    check = await delivery(isolated_home, emulator)
    assert check["fix"].count("A recipient is a landline or cannot receive SMS") == 1


async def test_five_failures_are_all_listed_and_a_sixth_is_counted(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    await replies(emulator, *[("undelivered", 30003)] * 5)
    five = await delivery(isolated_home, emulator)
    assert five["detail"].count(": undelivered, error 30003") == 5
    assert "more failed" not in five["detail"]
    await replies(emulator, ("undelivered", 30003))
    six = await delivery(isolated_home, emulator)
    assert six["detail"].count(": undelivered, error 30003") == 5
    assert six["detail"].endswith("… and 1 more failed")


async def test_passing_delivery_shows_the_latest_message(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    await replies(emulator, ("delivered", None), ("delivered", None))
    check = await delivery(isolated_home, emulator)
    assert check["status"] == "pass"
    # Newest first: the second reply went to BOB.
    assert (
        check["detail"].startswith("latest: ") and "to +1555***0003, delivered" in (check["detail"])
    )


async def test_messaging_service_note_on_the_delivery_check(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    await replies(emulator, ("delivered", None))
    service = "MG" + "0123456789abcdef" * 2
    check = await delivery(isolated_home, emulator, TWILIO_MESSAGING_SERVICE_SID=service)
    assert check["status"] == "pass"
    assert "TWILIO_MESSAGING_SERVICE_SID is set: messages the service sent" in check["detail"]


def record(sid: str, status: str, direction: str = "outbound-api", **more: Any) -> MessageRecord:
    values: dict[str, Any] = {"created_at": None, "error_code": None} | more
    return MessageRecord(sid, ALICE, "text", status, direction, **values)


def test_inbound_messages_are_not_judged_as_replies() -> None:
    records = [record("SM2", "received", "inbound"), record("SM1", "delivered")]
    result = check_delivery(records, OUR_NUMBER)
    assert result.message == "none of the last 1 messages sent from +1555***0001 failed"


def test_failure_is_dated_when_it_left_twilio() -> None:
    created = datetime(2024, 12, 3, 19, 10, tzinfo=UTC).timestamp()
    sent = datetime(2024, 12, 3, 19, 25, tzinfo=UTC).timestamp()
    failed = record("SM1", "undelivered", created_at=created, sent_at=sent, error_code=30003)
    result = check_delivery([failed], OUR_NUMBER)
    assert "2024-12-03 19:25 UTC to +1555***0002: undelivered, error 30003" in (result.detail or "")


# -- webhook.health and webhook.signature ------------------------------------------------------


def with_twilio(home: Path, webhook_url: str, **overrides: str) -> dict[str, str]:
    """Well-formed Twilio variables, with an API base URL nobody listens on."""
    return environ_for(
        home,
        account_sid="AC" + "0123456789abcdef" * 2,
        auth_token="mutation-port-token-0000000000",
        api_base_url=f"http://127.0.0.1:{free_port()}",
        SMS_WEBHOOK_URL=webhook_url,
        **overrides,
    )


async def gateway_health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "service": SERVICE_NAME, "version": "9.9"})


async def test_closed_public_url_says_nothing_listens_and_names_the_port(
    isolated_home: Path,
) -> None:
    values = with_twilio(isolated_home, f"http://127.0.0.1:{free_port()}/webhooks/twilio")
    report = await run_doctor(values, DoctorOptions(timeout=FAST * 4))
    health = report.get("webhook.health")
    assert health and health.status is Status.FAIL
    assert health.message.endswith(": connection refused (nothing listens there)")
    port = values["SMS_WEBHOOK_PORT"]
    assert f"this machine's port {port} (SMS_WEBHOOK_PORT)" in (health.fix or "")


async def test_gateway_answer_with_an_error_status_is_not_a_pass(isolated_home: Path) -> None:
    async def failing(request: web.Request) -> web.Response:
        return web.json_response({"service": SERVICE_NAME, "version": "9.9"}, status=503)

    async with http_server({("GET", "/health"): failing}) as base:
        values = with_twilio(isolated_home, base + "/webhooks/twilio")
        report = await run_doctor(values, DoctorOptions(timeout=FAST * 4))
    health = report.get("webhook.health")
    assert health and health.status is Status.FAIL and "HTTP 503" in health.message


async def test_long_error_page_is_cut_to_a_snippet(isolated_home: Path) -> None:
    async def page(request: web.Request) -> web.Response:
        return web.Response(status=502, text="x" * 400)

    async with http_server({("GET", "/health"): page}) as base:
        values = with_twilio(isolated_home, base + "/webhooks/twilio")
        report = await run_doctor(values, DoctorOptions(timeout=FAST * 4))
    health = report.get("webhook.health")
    assert health and health.detail == "x" * 119 + "…"


async def test_signature_not_sent_with_a_malformed_twilio_variable(isolated_home: Path) -> None:
    posted: list[str] = []

    async def webhook(request: web.Request) -> web.Response:
        posted.append(request.path)
        return web.Response(text="<Response/>")

    routes = {("GET", "/health"): gateway_health, ("POST", "/webhooks/twilio"): webhook}
    async with http_server(routes) as base:
        values = with_twilio(
            isolated_home, base + "/webhooks/twilio", TWILIO_MESSAGING_SERVICE_SID="MG123"
        )
        report = await run_doctor(values, DoctorOptions(timeout=FAST * 4))
    assert report.get("webhook.health").status is Status.PASS  # type: ignore[union-attr]
    signature = report.get("webhook.signature")
    assert signature and signature.status is Status.SKIP
    assert "Twilio variables are missing or wrong" in signature.message
    assert posted == []


# -- webhook.port on IPv6 and wildcard hosts ---------------------------------------------------


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


async def _serve_health(host: str) -> tuple[web.AppRunner, int]:
    app = web.Application()
    app.router.add_get("/health", gateway_health)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    return runner, int(runner.addresses[0][1])


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
async def test_gateway_on_ipv6_loopback_is_recognised(isolated_home: Path) -> None:
    runner, port = await _serve_health("::1")
    try:
        loaded = load(
            {
                "HERMES_HOME": str(isolated_home),
                "SMS_WEBHOOK_HOST": "::1",
                "SMS_WEBHOOK_PORT": str(port),
            }
        )
        result = await check_port(loaded, FAST * 4)
    finally:
        await runner.cleanup()
    assert result.status is Status.PASS
    assert result.message == f"port {port} is held by a running hermes-sms gateway (9.9)"


async def test_gateway_on_the_ipv6_wildcard_is_knocked_at_on_loopback(isolated_home: Path) -> None:
    # SMS_WEBHOOK_HOST=:: listens on every address; the doctor knocks at 127.0.0.1.
    runner, port = await _serve_health("127.0.0.1")
    try:
        loaded = load(
            {
                "HERMES_HOME": str(isolated_home),
                "SMS_WEBHOOK_HOST": "::",
                "SMS_WEBHOOK_PORT": str(port),
            }
        )
        result = await check_port(loaded, FAST * 4)
    finally:
        await runner.cleanup()
    assert result.status is Status.PASS
    assert "held by a running hermes-sms gateway" in result.message


async def test_webhook_without_a_method_is_not_called_http_none(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    emulator.numbers[0]["sms_url"] = WEBHOOK_URL
    emulator.numbers[0]["sms_method"] = ""
    check = (await diagnose(env(isolated_home, emulator))).get("number.webhook_url")
    assert check is not None
    assert "None" not in check.message
    # Twilio's default method is POST, as setup reads it: the webhook is right.
    assert check.status is Status.PASS, check.message
