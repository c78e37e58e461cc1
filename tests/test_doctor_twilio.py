"""Doctor, Twilio account and Phone number sections, against the Twilio emulator."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Any

import pytest
from test_doctor_support import (
    ALICE,
    BOB,
    FAST,
    OUR_NUMBER,
    environ_for,
    free_port,
    http_server,
    no_secret_in,
    run_cli_async,
    write_env_file,
)

from hermes_sms.doctor.result import Report, Status
from hermes_sms.doctor.runner import DoctorOptions, run_doctor
from hermes_sms.sandbox import TwilioEmulator

# Local and closed, so the public-URL checks fail fast instead of reaching for the internet.
WEBHOOK_URL = f"http://127.0.0.1:{free_port()}/webhooks/twilio"


def env(home: Path, emulator: TwilioEmulator, **overrides: str) -> dict[str, str]:
    return environ_for(
        home,
        account_sid=emulator.account_sid,
        auth_token=emulator.auth_token,
        api_base_url=emulator.base_url,
        **{"SMS_WEBHOOK_URL": WEBHOOK_URL, **overrides},
    )


async def diagnose(environ: dict[str, str], **options: Any) -> Report:
    options.setdefault("timeout", FAST)
    return await run_doctor(environ, DoctorOptions(**options))


def status(report: Report, check_id: str) -> Status:
    check = report.get(check_id)
    assert check is not None
    return check.status


async def test_credentials_accepted(isolated_home: Path, emulator: TwilioEmulator) -> None:
    report = await diagnose(env(isolated_home, emulator))
    credentials = report.get("twilio.credentials")
    assert credentials and credentials.status is Status.PASS
    assert "…" + emulator.auth_token[-4:] in (credentials.detail or "")
    assert status(report, "twilio.account_status") is Status.PASS
    assert status(report, "twilio.account_type") is Status.PASS
    assert status(report, "number.owned") is Status.PASS
    assert status(report, "number.sms_capable") is Status.PASS


async def test_wrong_token_fails_and_skips_number_checks(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    wrong = "wrong-token-0000000000000000beef"
    report = await diagnose(env(isolated_home, emulator, TWILIO_AUTH_TOKEN=wrong))
    credentials = report.get("twilio.credentials")
    assert credentials and credentials.status is Status.FAIL
    assert "auth token is wrong" in credentials.message
    assert "TWILIO_AUTH_TOKEN" in (credentials.fix or "")
    assert "…beef" in (credentials.detail or "")
    for check in ("twilio.account_status", "number.owned", "number.webhook_url"):
        assert status(report, check) is Status.SKIP
    assert no_secret_in(str(report.to_json()), wrong, emulator.auth_token)


async def test_twilio_unreachable(isolated_home: Path, emulator: TwilioEmulator) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    report = await diagnose(env(isolated_home, emulator, TWILIO_API_BASE_URL=closed))
    credentials = report.get("twilio.credentials")
    assert credentials and credentials.status is Status.FAIL
    assert "could not reach Twilio" in credentials.message
    assert "TWILIO_API_BASE_URL" in (credentials.fix or "")


async def test_twilio_timeout_is_bounded(isolated_home: Path, emulator: TwilioEmulator) -> None:
    # Without its timeout the check would wait out the hour and the test would hit
    # pytest's limit: the "timed out" failure is the proof, not a stopwatch.
    emulator.inject_fault(None, latency=3600, path_contains="/Accounts/")
    report = await diagnose(env(isolated_home, emulator), timeout=0.3)
    credentials = report.get("twilio.credentials")
    assert credentials and credentials.status is Status.FAIL
    assert "no answer from" in credentials.message and "within 0.3 s" in credentials.message


async def test_suspended_account_fails(isolated_home: Path, emulator_factory: Any) -> None:
    emulator = await emulator_factory(account_status="suspended")
    report = await diagnose(env(isolated_home, emulator))
    check = report.get("twilio.account_status")
    assert check and check.status is Status.FAIL and "suspended" in check.message
    assert "console.twilio.com" in (check.fix or "")


async def test_trial_account_warns_about_verified_numbers(
    isolated_home: Path, emulator_factory: Any
) -> None:
    emulator = await emulator_factory(account_type="Trial")
    report = await diagnose(env(isolated_home, emulator))
    check = report.get("twilio.account_type")
    assert check and check.status is Status.WARN
    assert "verified numbers only" in check.message
    assert "Verified Caller IDs" in (check.fix or "")


async def test_number_not_in_account(isolated_home: Path, emulator: TwilioEmulator) -> None:
    report = await diagnose(env(isolated_home, emulator, TWILIO_PHONE_NUMBER="+15550100077"))
    owned = report.get("number.owned")
    assert owned and owned.status is Status.FAIL
    assert "+1555***0077" in owned.message and "+15550100077" not in owned.message
    assert "Active numbers" in (owned.fix or "")
    assert status(report, "number.sms_capable") is Status.SKIP
    assert status(report, "number.webhook_url") is Status.SKIP


async def test_voice_only_number_fails(isolated_home: Path, emulator: TwilioEmulator) -> None:
    emulator.numbers[0]["capabilities"]["sms"] = False
    report = await diagnose(env(isolated_home, emulator))
    check = report.get("number.sms_capable")
    assert check and check.status is Status.FAIL
    assert "SMS-capable" in (check.fix or "")


@pytest.mark.parametrize(
    ("sms_url", "method", "verdict", "text"),
    [
        (WEBHOOK_URL, "POST", Status.PASS, "is SMS_WEBHOOK_URL (POST)"),
        ("", "POST", Status.FAIL, "is empty"),
        ("https://old.trycloudflare.com/webhooks/twilio", "POST", Status.FAIL, "but SMS_WEBHOOK"),
        (WEBHOOK_URL, "GET", Status.FAIL, "accepts POST only"),
    ],
)
async def test_number_webhook_url(
    isolated_home: Path,
    emulator: TwilioEmulator,
    sms_url: str,
    method: str,
    verdict: Status,
    text: str,
) -> None:
    emulator.numbers[0].update(sms_url=sms_url, sms_method=method)
    report = await diagnose(env(isolated_home, emulator))
    check = report.get("number.webhook_url")
    assert check and check.status is verdict
    assert text in check.message
    # Both values are shown, so the user can see what differs.
    assert WEBHOOK_URL in (check.detail or "")
    assert (sms_url or "(empty)") in (check.detail or "")
    if verdict is Status.FAIL:
        assert "hermes-sms doctor --fix" in (check.fix or "")


async def test_webhook_url_not_compared_without_sms_webhook_url(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    report = await diagnose(env(isolated_home, emulator, SMS_WEBHOOK_URL=""))
    assert status(report, "number.webhook_url") is Status.SKIP
    assert status(report, "webhook.url") is Status.WARN


async def test_fix_after_confirmation(isolated_home: Path, emulator: TwilioEmulator) -> None:
    questions: list[str] = []

    def confirm(question: str) -> bool:
        questions.append(question)
        return True

    environ = env(isolated_home, emulator)
    report = await run_doctor(environ, DoctorOptions(fix=True, timeout=FAST), confirm)
    check = report.get("number.webhook_url")
    assert check and check.status is Status.PASS and check.message.startswith("fixed")
    assert emulator.numbers[0]["sms_url"] == WEBHOOK_URL
    assert emulator.numbers[0]["sms_method"] == "POST"
    [question] = questions
    assert WEBHOOK_URL in question and "+1555***0001" in question
    # A second run finds nothing to fix.
    again = await diagnose(environ)
    assert status(again, "number.webhook_url") is Status.PASS


async def test_fix_declined_changes_nothing(isolated_home: Path, emulator: TwilioEmulator) -> None:
    environ = env(isolated_home, emulator)
    report = await run_doctor(environ, DoctorOptions(fix=True, timeout=FAST), lambda q: False)
    check = report.get("number.webhook_url")
    assert check and check.status is Status.FAIL and "declined" in (check.detail or "")
    assert emulator.numbers[0]["sms_url"] == ""
    without_terminal = await run_doctor(environ, DoctorOptions(fix=True, timeout=FAST), None)
    check = without_terminal.get("number.webhook_url")
    assert check and "--yes" in (check.detail or "")
    assert emulator.numbers[0]["sms_url"] == ""


async def test_cli_fix_yes_repairs_the_number(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    environ = env(isolated_home, emulator)
    write_env_file(isolated_home, environ)
    run = await run_cli_async(["doctor", "--fix", "--yes", "--json"], environ)
    assert run.check("number.webhook_url")["status"] == "pass"
    assert emulator.numbers[0]["sms_url"] == WEBHOOK_URL


async def test_cli_fix_asks_on_the_terminal(isolated_home: Path, emulator: TwilioEmulator) -> None:
    environ = env(isolated_home, emulator)
    declined = await run_cli_async(["doctor", "--fix"], environ, stdin="n\n", tty=True)
    assert "[y/N]" in declined.stderr and "[y/N]" not in declined.stdout
    assert emulator.numbers[0]["sms_url"] == ""
    # The text output shows both values under the failure, then the fix.
    assert "  ✗ 'A message comes in' is empty" in declined.stdout
    assert "      number's 'A message comes in': (empty) (POST)" in declined.stdout
    assert f"      SMS_WEBHOOK_URL:              {WEBHOOK_URL} (POST)" in declined.stdout
    assert "    → fix: Run `hermes-sms doctor --fix`" in declined.stdout
    accepted = await run_cli_async(["doctor", "--fix", "--json"], environ, stdin="y\n", tty=True)
    assert accepted.check("number.webhook_url")["message"].startswith("fixed")
    assert emulator.numbers[0]["sms_url"] == WEBHOOK_URL


async def test_cli_fix_without_terminal_says_how(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    run = await run_cli_async(["doctor", "--fix"], env(isolated_home, emulator), tty=False)
    assert run.code == 1
    assert "Add --yes to apply it" in run.stdout
    assert emulator.numbers[0]["sms_url"] == ""
    assert not [r for r in emulator.requests if r.method == "POST"]


async def test_number_fixture_sanity(emulator: TwilioEmulator) -> None:
    # The tests above rely on the emulator's default: one SMS number with no webhook yet.
    assert emulator.numbers[0]["phone_number"] == OUR_NUMBER
    assert emulator.numbers[0]["sms_url"] == ""


async def test_unknown_account_is_named(isolated_home: Path, emulator: TwilioEmulator) -> None:
    # What Twilio answers for an account SID it has never heard of (a typo in the SID).
    emulator.inject_fault(404, code=20404, path_contains=f"/Accounts/{emulator.account_sid}.json")
    report = await diagnose(env(isolated_home, emulator))
    credentials = report.get("twilio.credentials")
    assert credentials and credentials.status is Status.FAIL
    assert f"does not know account {emulator.account_sid}" in credentials.message
    assert "TWILIO_ACCOUNT_SID" in (credentials.fix or "")


async def test_number_lookup_failure_fails_ownership_and_skips_the_rest(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    emulator.inject_fault(500, path_contains="/IncomingPhoneNumbers.json")
    report = await diagnose(env(isolated_home, emulator))
    assert status(report, "twilio.credentials") is Status.PASS
    owned = report.get("number.owned")
    assert owned and owned.status is Status.FAIL
    assert "could not list the account's numbers" in owned.message
    assert "status.twilio.com" in (owned.fix or "")
    assert status(report, "number.sms_capable") is Status.SKIP
    assert status(report, "number.webhook_url") is Status.SKIP


async def test_fix_refused_by_twilio_says_how_to_do_it_by_hand(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    emulator.inject_fault(500, path_contains="/IncomingPhoneNumbers/PN")
    report = await run_doctor(
        env(isolated_home, emulator), DoctorOptions(fix=True, timeout=FAST), lambda q: True
    )
    check = report.get("number.webhook_url")
    assert check and check.status is Status.FAIL
    assert check.message.startswith("--fix could not update the number")
    assert "Active numbers" in (check.fix or "") and WEBHOOK_URL in (check.fix or "")
    assert emulator.numbers[0]["sms_url"] == ""


async def test_messaging_service_note_on_the_webhook_check(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    service = "MG" + "0123456789abcdef" * 2
    report = await diagnose(env(isolated_home, emulator, TWILIO_MESSAGING_SERVICE_SID=service))
    check = report.get("number.webhook_url")
    assert check and check.status is Status.FAIL
    assert "Defer to sender's webhook" in (check.detail or "")


async def test_message_quoting_a_multiline_twilio_error_stays_one_line(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    from aiohttp import web

    async def refuse(request: web.Request) -> web.Response:
        body = {"code": 20005, "message": "Account not active:\nsee the console", "status": 403}
        return web.json_response(body, status=403)

    async with http_server({("GET", "/2010-04-01/Accounts/{sid}.json"): refuse}) as base:
        run = await run_cli_async(
            ["doctor", "--json"], env(isolated_home, emulator, TWILIO_API_BASE_URL=base)
        )
    credentials = run.check("twilio.credentials")
    assert credentials["status"] == "fail"
    assert "Account not active: see the console" in credentials["message"]
    assert "\n" not in credentials["message"]


# -- number.delivery: how the replies sent lately fared ---------------------------------------


async def replies(emulator: TwilioEmulator, *outcomes: tuple[str, int | None]) -> list[str]:
    """Send one message from our number per (status, error code), oldest first, through the
    real client, then move each to its status as Twilio later would."""
    from hermes_sms.twilio.client import TwilioClient

    sids = []
    async with TwilioClient(
        emulator.account_sid, emulator.auth_token, base_url=emulator.base_url
    ) as client:
        for index, (state, code) in enumerate(outcomes):
            recipient = (ALICE, BOB)[index % 2]
            sent = await client.create_message(to=recipient, body="reply", from_=OUR_NUMBER)
            emulator.mark_message(sent.sid, state, code)
            sids.append(sent.sid)
    return sids


async def delivery(isolated_home: Path, emulator: TwilioEmulator, *argv: str) -> tuple[Any, Any]:
    run = await run_cli_async(["doctor", "--json", *argv], env(isolated_home, emulator))
    return run, run.check("number.delivery")


async def test_delivery_passes_when_no_reply_failed(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    await replies(emulator, ("delivered", None), ("sent", None), ("delivered", None))
    run, check = await delivery(isolated_home, emulator)
    assert check["status"] == "pass" and check["section"] == "Phone number"
    assert check["message"] == "none of the last 3 messages sent from +1555***0001 failed"
    ids = [c["id"] for c in run.json()["checks"]]
    assert ids.index("number.delivery") == ids.index("number.webhook_url") + 1
    # Only our number's messages were asked for, one small page.
    [listing] = [r for r in emulator.requests if r.method == "GET" and "Messages" in r.path]
    assert (listing.query["From"], listing.query["PageSize"]) == (OUR_NUMBER, "20")


async def test_delivery_passes_with_nothing_sent_yet(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    _, check = await delivery(isolated_home, emulator)
    assert check["status"] == "pass" and "nothing to judge" in check["message"]


async def test_delivery_warns_naming_the_most_frequent_error(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    await replies(
        emulator,
        ("undelivered", 30007),
        ("delivered", None),
        ("undelivered", 30007),
        ("failed", 21610),
        ("delivered", None),
    )
    run, check = await delivery(isolated_home, emulator)
    assert check["status"] == "warn"
    assert check["message"].startswith("3 of the last 5 messages from +1555***0001")
    assert "most often error 30007 (Delivery failed: the carrier filtered" in check["message"]
    detail = check["detail"]
    assert "error 30007 × 2: Delivery failed: the carrier filtered" in detail
    assert "error 21610 × 1: The recipient replied STOP" in detail
    assert "to +1555***0002: undelivered, error 30007" in detail
    assert "spam" in check["fix"] and "text START" in check["fix"]
    assert "Monitor → Logs → Messaging" in check["fix"]
    # Recipients are shown redacted only.
    assert ALICE not in run.stdout and BOB not in run.stdout


async def test_delivery_fails_for_unregistered_10dlc(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    await replies(
        emulator, ("delivered", None), ("undelivered", 30034), ("failed", 30034), ("queued", None)
    )
    run, check = await delivery(isolated_home, emulator)
    assert run.code == 1
    assert check["status"] == "fail"
    assert check["message"].startswith("replies from +1555***0001 are blocked by error 30034")
    assert "not registered to an approved A2P campaign" in check["message"]
    assert "2 of the last 4 messages failed with it" in check["message"]
    fix = check["fix"]
    assert "A2P 10DLC" in fix and "TWILIO_MESSAGING_SERVICE_SID" in fix
    assert "Regulatory Compliance" in fix
    # The text output shows it in the Phone number section, with the fix under it.
    text = await run_cli_async(["doctor"], env(isolated_home, emulator))
    assert "  ✗ replies from +1555***0001 are blocked by error 30034" in text.stdout
    assert "      error 30034 × 2: US 10DLC" in text.stdout
    assert "    → fix: Register the number for US A2P 10DLC" in text.stdout


async def test_delivery_only_warns_when_a_later_reply_went_out(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    # The campaign got approved since: the newest reply was delivered.
    await replies(emulator, ("undelivered", 30034), ("undelivered", 30034), ("delivered", None))
    _, check = await delivery(isolated_home, emulator)
    assert check["status"] == "warn"
    assert "most often error 30034" in check["message"]
    assert "may be fixed already" in check["detail"]


async def test_delivery_lists_failures_without_an_error_code(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    await replies(emulator, ("failed", None))
    _, check = await delivery(isolated_home, emulator)
    assert check["status"] == "warn"
    assert "error (none given) (Twilio recorded no reason)" in check["message"]
    assert "Monitor → Logs → Messaging" in check["fix"]


async def test_delivery_skipped_offline_and_without_credentials(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    await replies(emulator, ("undelivered", 30034))
    _, check = await delivery(isolated_home, emulator, "--offline")
    assert check["status"] == "skip" and "--offline" in check["message"]
    assert not [r for r in emulator.requests if r.method == "GET"]
    wrong = env(isolated_home, emulator, TWILIO_AUTH_TOKEN="wrong-token-0000000000000000beef")
    run = await run_cli_async(["doctor", "--json"], wrong)
    assert run.check("number.delivery")["status"] == "skip"
    assert "credentials check failed" in run.check("number.delivery")["message"]


async def test_delivery_skipped_for_a_number_of_another_account(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    report = await diagnose(env(isolated_home, emulator, TWILIO_PHONE_NUMBER="+15550100077"))
    check = report.get("number.delivery")
    assert check and check.status is Status.SKIP and "not in this account" in check.message


async def test_delivery_warns_when_the_message_log_cannot_be_read(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    emulator.inject_fault(500, path_contains="/Messages.json")
    report = await diagnose(env(isolated_home, emulator))
    check = report.get("number.delivery")
    assert check and check.status is Status.WARN
    assert check.message.startswith("could not list the messages sent from +1555***0001")
    # The number lookup, made at the same time, is not affected.
    assert status(report, "number.owned") is Status.PASS


async def test_delivery_timeout_is_its_own(isolated_home: Path, emulator: TwilioEmulator) -> None:
    emulator.inject_fault(None, latency=30, path_contains="/Messages.json")
    report = await diagnose(env(isolated_home, emulator), timeout=0.3)
    check = report.get("number.delivery")
    assert check and check.status is Status.WARN and "no answer from" in check.message
    assert status(report, "number.owned") is Status.PASS


# -- --fix against the real Twilio refuses a local SMS_WEBHOOK_URL -----------------------------

# Stands in for api.twilio.com: a public-looking name (not local, not private) that this
# machine's name lookups send to the emulator on 127.0.0.1, as a hosts file entry would.
STAND_IN = "api.twilio-stand-in.test"


@pytest.fixture
def stand_in_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """getaddrinfo answers 127.0.0.1 for STAND_IN and refuses every other name (no internet)."""
    real = socket.getaddrinfo

    def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name.rstrip(".") == STAND_IN:
            return real("127.0.0.1", *args, **kwargs)
        try:
            ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)


def real_twilio_env(home: Path, emulator: TwilioEmulator, **overrides: str) -> dict[str, str]:
    port = emulator.base_url.rsplit(":", 1)[1]
    return env(home, emulator, TWILIO_API_BASE_URL=f"http://{STAND_IN}:{port}", **overrides)


async def test_fix_refuses_a_local_webhook_url_on_the_real_twilio(
    isolated_home: Path, emulator: TwilioEmulator, stand_in_dns: None
) -> None:
    working = "https://gateway.example.com/webhooks/twilio"
    emulator.numbers[0].update(sms_url=working, sms_method="POST")
    environ = real_twilio_env(isolated_home, emulator)

    plain = await run_cli_async(["doctor", "--json"], environ)
    check = plain.check("number.webhook_url")
    assert check["status"] == "fail" and "but SMS_WEBHOOK_URL is" in check["message"]
    # The fix does not suggest --fix: it names why, and what to set first.
    assert "--fix" not in check["fix"]
    assert "cannot be reached by Twilio: 127.0.0.1 is this machine" in check["fix"]
    assert "public https URL" in check["fix"]

    refused = await run_cli_async(["doctor", "--fix", "--yes", "--json"], environ)
    assert refused.code == 1
    check = refused.check("number.webhook_url")
    assert check["status"] == "fail"
    assert check["message"].startswith("--fix refused to change the number")
    assert "would stop messages from arriving" in check["message"]
    assert "--fix: not changed. SMS_WEBHOOK_URL" in check["detail"]
    # Nothing changed at Twilio, and nothing was even asked of it.
    assert emulator.numbers[0]["sms_url"] == working
    assert not [r for r in emulator.requests if r.method == "POST"]
    asked = await run_cli_async(["doctor", "--fix"], environ, stdin="y\n", tty=True)
    assert asked.code == 1 and "[y/N]" not in asked.stderr
    assert "✗ --fix refused to change the number" in asked.stdout
    assert emulator.numbers[0]["sms_url"] == working


async def test_fix_on_the_real_twilio_still_sets_a_public_webhook_url(
    isolated_home: Path, emulator: TwilioEmulator, stand_in_dns: None
) -> None:
    public = "https://gateway.example.com/webhooks/twilio"
    environ = real_twilio_env(isolated_home, emulator, SMS_WEBHOOK_URL=public)
    plain = await run_cli_async(["doctor", "--json"], environ)
    assert "hermes-sms doctor --fix" in plain.check("number.webhook_url")["fix"]
    fixed = await run_cli_async(["doctor", "--fix", "--yes", "--json"], environ)
    assert fixed.check("number.webhook_url")["message"].startswith("fixed")
    assert emulator.numbers[0]["sms_url"] == public


async def test_fix_against_a_local_emulator_allows_a_local_webhook_url(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    # The emulator is on 127.0.0.1 too, so it can reach the URL: tests and the demo rely on it.
    environ = env(isolated_home, emulator)
    plain = await run_cli_async(["doctor", "--json"], environ)
    assert "hermes-sms doctor --fix" in plain.check("number.webhook_url")["fix"]
    fixed = await run_cli_async(["doctor", "--fix", "--yes", "--json"], environ)
    assert fixed.check("number.webhook_url")["status"] == "pass"
    assert emulator.numbers[0]["sms_url"] == WEBHOOK_URL


async def test_delivery_fails_for_an_unverified_toll_free_number(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    await replies(emulator, ("undelivered", 30032))
    _, check = await delivery(isolated_home, emulator)
    assert check["status"] == "fail" and "error 30032 (Toll-free" in check["message"]
    assert "Toll-free verifications" in check["fix"]
