"""Doctor rules the broader tests did not pin down (found by mutating hermes_sms/doctor and
hermes_sms/cli/doctor.py): the Configuration section, URL reasoning, the text output, the
final scrub of secrets and the --fix question. Each test fails if one rule is dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from test_doctor_support import (
    ALICE,
    OUR_NUMBER,
    free_port,
    http_server,
    no_secret_in,
    run_cli,
    run_cli_async,
    write_env_file,
)

from hermes_sms.doctor.catalog import CHECKS, SECTIONS
from hermes_sms.doctor.loading import load
from hermes_sms.doctor.masking import mask, scrub
from hermes_sms.doctor.result import CheckResult, Status
from hermes_sms.doctor.urls import health_url
from hermes_sms.doctor.webhook_checks import check_url
from hermes_sms.sandbox import TwilioEmulator

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "mutation-doctor-token-0000" + "9f3a"
PUBLIC_URL = "https://sms.example.com/webhooks/twilio"
# Valid, and with --offline free of warnings once written to a private .env.
CLEAN = {
    "TWILIO_ACCOUNT_SID": SID,
    "TWILIO_AUTH_TOKEN": TOKEN,
    "TWILIO_PHONE_NUMBER": OUR_NUMBER,
    "SMS_ALLOWED_USERS": ALICE,
    "SMS_WEBHOOK_URL": PUBLIC_URL,
    "SMS_AGENT_BACKEND": "echo",
}


def offline(home: Path, *extra: str, **values: str) -> dict:
    environ = {"HERMES_HOME": str(home), "SMS_WEBHOOK_PORT": str(free_port()), **values}
    run = run_cli(["doctor", "--offline", "--json", *extra], environ)
    assert run.code in (0, 1), run.stderr
    return {check["id"]: check for check in run.json()["checks"]}


# -- catalogue ---------------------------------------------------------------------------------


def test_check_ids_and_their_order_are_the_published_contract() -> None:
    # Scripts read these ids from --json and the guide names them, in this order.
    assert [spec.id for spec in CHECKS] == [
        "config.env_file",
        "config.required",
        "config.variables",
        "config.allowed_users",
        "config.home_channel",
        "twilio.credentials",
        "twilio.account_status",
        "twilio.account_type",
        "number.owned",
        "number.sms_capable",
        "number.webhook_url",
        "number.delivery",
        "webhook.url",
        "webhook.port",
        "webhook.health",
        "webhook.signature",
        "agent.reachable",
        "agent.model",
    ]


# -- Configuration section ---------------------------------------------------------------------


def test_env_file_readable_by_its_group_warns(isolated_home: Path) -> None:
    # Group members are "other users" too: the token is theirs to read at 0640.
    write_env_file(isolated_home, CLEAN, mode=0o640)
    check = offline(isolated_home)["config.env_file"]
    assert check["status"] == "warn" and "(mode 0640)" in check["message"]


def test_more_than_five_allowed_numbers_are_summarised(isolated_home: Path) -> None:
    many = ",".join(f"+1555010010{i}" for i in range(7))
    check = offline(isolated_home, **{**CLEAN, "SMS_ALLOWED_USERS": many})["config.allowed_users"]
    assert check["status"] == "pass"
    assert check["message"].startswith("7 number(s) allowed: +1555***0100, ")
    assert check["message"].endswith("+1555***0104 and 2 more")


def test_exactly_five_allowed_numbers_are_all_shown(isolated_home: Path) -> None:
    five = ",".join(f"+1555010010{i}" for i in range(5))
    check = offline(isolated_home, **{**CLEAN, "SMS_ALLOWED_USERS": five})["config.allowed_users"]
    assert check["message"].endswith("+1555***0103, +1555***0104")
    assert "more" not in check["message"]


def test_messaging_service_is_named_in_the_required_detail(isolated_home: Path) -> None:
    service = "MG" + "0123456789abcdef" * 2
    values = {**CLEAN, "TWILIO_MESSAGING_SERVICE_SID": service}
    check = offline(isolated_home, **values)["config.required"]
    assert check["status"] == "pass"
    assert check["detail"].endswith(f", messaging service {service}")


# -- SMS_WEBHOOK_URL reasoning -----------------------------------------------------------------


def url_check(home: Path, url: str) -> CheckResult:
    return check_url(
        load({"HERMES_HOME": str(home), "SMS_WEBHOOK_URL": url, "SMS_WEBHOOK_PORT": "8099"})
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        # A fully qualified local name is still local.
        ("https://localhost./webhooks/twilio", "localhost. is a local name"),
        ("https://gateway.internal/webhooks/twilio", "gateway.internal is a local name"),
        # Carrier-grade NAT space is neither private (RFC 1918) nor reachable from outside.
        ("https://100.64.0.1/webhooks/twilio", "100.64.0.1 is a private address"),
    ],
)
def test_hosts_twilio_cannot_reach_are_named(isolated_home: Path, url: str, reason: str) -> None:
    result = url_check(isolated_home, url)
    assert result.status is Status.WARN
    assert reason in result.message


def test_unreachable_url_is_not_also_blamed_for_plain_http(isolated_home: Path) -> None:
    # One problem, one fix: the tunnel gives the https URL anyway.
    result = url_check(isolated_home, "http://127.0.0.1:8099/webhooks/twilio")
    assert result.message == (
        "SMS_WEBHOOK_URL http://127.0.0.1:8099/webhooks/twilio: "
        "127.0.0.1 is this machine (loopback): Twilio cannot reach it"
    )
    assert "Use the https URL" not in (result.fix or "")


def test_webhook_path_with_a_trailing_slash_is_the_gateway_path(isolated_home: Path) -> None:
    result = url_check(isolated_home, "https://sms.example.com/webhooks/twilio/")
    assert result.status is Status.PASS


def test_health_url_keeps_the_proxy_prefix_behind_a_trailing_slash() -> None:
    assert health_url("https://a.example/sms/webhooks/twilio/") == "https://a.example/sms/health"


# -- text output -------------------------------------------------------------------------------


def clean_offline_run(home: Path, *extra: str, **overrides: str):
    write_env_file(home, {**CLEAN, "SMS_WEBHOOK_PORT": str(free_port()), **overrides})
    return run_cli(["doctor", "--offline", *extra], {"HERMES_HOME": str(home)})


def test_sections_are_separated_by_one_blank_line(isolated_home: Path) -> None:
    lines = clean_offline_run(isolated_home).stdout.splitlines()
    for section in SECTIONS[1:]:
        index = lines.index(section)
        assert lines[index - 1] == "", (section, lines[index - 2 : index + 1])
    assert lines[0] == SECTIONS[0]


def test_one_warning_is_singular(isolated_home: Path) -> None:
    run = clean_offline_run(isolated_home, SMS_ALLOWED_USERS="")
    assert run.stdout.splitlines()[-1].endswith(" passed, 1 warning, 0 failed, 9 skipped")


def test_strict_note_only_when_there_are_warnings(isolated_home: Path) -> None:
    run = clean_offline_run(isolated_home, "--strict")
    assert run.code == 0
    assert "--strict" not in run.stdout
    warned = clean_offline_run(isolated_home, "--strict", SMS_ALLOWED_USERS="")
    assert warned.code == 1
    assert warned.stdout.splitlines()[-1].endswith("(--strict: warnings count as failures)")


# -- the final scrub ---------------------------------------------------------------------------


def test_scrub_masks_the_longer_of_two_overlapping_secrets_whole() -> None:
    # An agent key that starts with the auth token: masking the token first would leave the
    # rest of the key readable.
    token = "tok-0123456789abcdef"
    key = token + "-agent-key-77aa"
    item = CheckResult("agent.reachable", "Agent", Status.FAIL, f"server said: {key}", None, None)
    [cleaned] = scrub([item], [token, key])
    assert cleaned.message == f"server said: {mask(key)}"
    assert "agent-key" not in cleaned.message


async def test_secrets_only_in_the_env_file_are_scrubbed_from_server_echoes(
    isolated_home: Path,
) -> None:
    """A server may quote back what it was sent. The secrets here live in the .env file only
    (not the process environment); whatever part of the output quotes them, they are masked."""
    agent_key = "sk-agent-only-in-file-4444"
    agent_password = "agent-url-password-5555"

    async def refuse(request: web.Request) -> web.Response:
        message = f"Refused: token {TOKEN}, key {agent_key}, password {agent_password}"
        return web.json_response({"code": 20005, "message": message, "status": 403}, status=403)

    async with http_server({("GET", "/2010-04-01/Accounts/{sid}.json"): refuse}) as base:
        write_env_file(
            isolated_home,
            {
                **CLEAN,
                "TWILIO_API_BASE_URL": base,
                "SMS_WEBHOOK_URL": f"http://127.0.0.1:{free_port()}/webhooks/twilio",
                "SMS_WEBHOOK_PORT": str(free_port()),
                "SMS_AGENT_API_KEY": agent_key,
                "SMS_AGENT_URL": f"http://bot:{agent_password}@127.0.0.1:{free_port()}/v1",
            },
        )
        run = await run_cli_async(["doctor", "--json"], {"HERMES_HOME": str(isolated_home)})
    credentials = run.check("twilio.credentials")
    assert credentials["status"] == "fail"
    assert credentials["message"].startswith("Twilio refused the account lookup:")
    assert f"Refused: token {mask(TOKEN)}, key {mask(agent_key)}" in credentials["message"]
    assert no_secret_in(run.stdout + run.stderr, TOKEN, agent_key, agent_password), run.stdout


# -- --fix on a terminal -----------------------------------------------------------------------


async def test_fix_accepts_a_spelled_out_yes(isolated_home: Path, emulator: TwilioEmulator) -> None:
    webhook = f"http://127.0.0.1:{free_port()}/webhooks/twilio"
    environ = {
        "HERMES_HOME": str(isolated_home),
        "TWILIO_ACCOUNT_SID": emulator.account_sid,
        "TWILIO_AUTH_TOKEN": emulator.auth_token,
        "TWILIO_PHONE_NUMBER": OUR_NUMBER,
        "TWILIO_API_BASE_URL": emulator.base_url,
        "SMS_ALLOWED_USERS": ALICE,
        "SMS_WEBHOOK_URL": webhook,
        "SMS_WEBHOOK_PORT": str(free_port()),
        "SMS_AGENT_BACKEND": "echo",
    }
    run = await run_cli_async(["doctor", "--fix", "--json"], environ, stdin="Yes\n", tty=True)
    assert run.check("number.webhook_url")["message"].startswith("fixed")
    assert emulator.numbers[0]["sms_url"] == webhook
