"""Doctor, Configuration section: the real CLI in-process, real .env files, --offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_doctor_support import ALICE, OUR_NUMBER, free_port, run_cli, write_env_file

from hermes_sms.doctor.loading import load

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "config-test-token-" + "a" * 10 + "9f3a"
VALID = {
    "TWILIO_ACCOUNT_SID": SID,
    "TWILIO_AUTH_TOKEN": TOKEN,
    "TWILIO_PHONE_NUMBER": OUR_NUMBER,
    "SMS_ALLOWED_USERS": ALICE,
    "SMS_WEBHOOK_URL": "https://sms.example.com/webhooks/twilio",
    "SMS_AGENT_BACKEND": "echo",
}


def doctor(home: Path, *extra: str, **environ: str) -> dict:
    values = {"HERMES_HOME": str(home), "SMS_WEBHOOK_PORT": str(free_port()), **environ}
    run = run_cli(["doctor", "--offline", "--json", *extra], values)
    assert run.code in (0, 1), run.stderr
    return {check["id"]: check for check in run.json()["checks"]}


def test_env_file_private_passes_and_shows_path(isolated_home: Path) -> None:
    path = write_env_file(isolated_home, VALID)
    checks = doctor(isolated_home)
    assert checks["config.env_file"]["status"] == "pass"
    assert str(path) in checks["config.env_file"]["message"]
    assert "0600" in checks["config.env_file"]["message"]
    assert checks["config.required"]["status"] == "pass"


def test_env_file_readable_by_others_warns_with_chmod(isolated_home: Path) -> None:
    path = write_env_file(isolated_home, VALID, mode=0o644)
    check = doctor(isolated_home)["config.env_file"]
    assert check["status"] == "warn"
    assert "0644" in check["message"]
    assert check["fix"] == f"Run `chmod 600 {path}`."


def test_missing_env_file_warns(isolated_home: Path) -> None:
    check = doctor(isolated_home, **VALID)["config.env_file"]
    assert check["status"] == "warn"
    assert str(isolated_home / ".env") in check["message"]
    assert "hermes-sms setup" in check["fix"]


def test_missing_required_variables_fail_and_skip_twilio(isolated_home: Path) -> None:
    checks = doctor(isolated_home, SMS_AGENT_BACKEND="echo")
    required = checks["config.required"]
    assert required["status"] == "fail"
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER"):
        assert name in required["detail"] and name in required["fix"]
    assert "console.twilio.com" in required["fix"]
    assert checks["twilio.credentials"]["status"] == "skip"


def test_malformed_variables_each_reported(isolated_home: Path) -> None:
    checks = doctor(
        isolated_home,
        **{**VALID, "TWILIO_ACCOUNT_SID": "XX123", "TWILIO_PHONE_NUMBER": "5550100001"},
    )
    required = checks["config.required"]
    assert required["status"] == "fail"
    assert "TWILIO_ACCOUNT_SID must be AC followed by 32 hex" in required["detail"]
    assert "no country code" in required["detail"]
    assert TOKEN not in str(checks)


def test_other_bad_variable_fails_its_own_check_only(isolated_home: Path) -> None:
    checks = doctor(isolated_home, **{**VALID, "SMS_WEBHOOK_PORT": "http"})
    assert checks["config.variables"]["status"] == "fail"
    assert "SMS_WEBHOOK_PORT must be a port number" in checks["config.variables"]["message"]
    assert checks["webhook.port"]["status"] == "skip"
    # The rest of the configuration is still judged on its own merits.
    assert checks["config.required"]["status"] == "pass"
    assert checks["webhook.url"]["status"] == "pass"


def test_partial_load_keeps_good_values_and_names_bad_ones(isolated_home: Path) -> None:
    write_env_file(isolated_home, {**VALID, "SMS_RATE_LIMIT": "lots"})
    loaded = load({"HERMES_HOME": str(isolated_home)})
    assert set(loaded.problems) == {"SMS_RATE_LIMIT"}
    assert loaded.settings is not None and loaded.settings.twilio is not None
    assert loaded.settings.twilio.account_sid == SID
    assert loaded.settings.env_file == isolated_home / ".env"


@pytest.mark.parametrize(
    ("values", "status", "text"),
    [
        ({"SMS_ALLOWED_USERS": "+15550100002, +1 555 010 0003"}, "pass", "2 number(s) allowed"),
        ({"SMS_ALLOWED_USERS": ""}, "warn", "nobody is allowed"),
        ({"SMS_ALLOW_ALL_USERS": "true"}, "warn", "anyone who texts"),
        ({"SMS_ALLOWED_USERS": "+15550100002,alice"}, "fail", "SMS_ALLOWED_USERS must be"),
        ({"SMS_ALLOW_ALL_USERS": "maybe"}, "fail", "SMS_ALLOW_ALL_USERS must be true or false"),
    ],
)
def test_allowed_users(isolated_home: Path, values: dict, status: str, text: str) -> None:
    check = doctor(isolated_home, **{**VALID, **values})["config.allowed_users"]
    assert check["status"] == status
    assert text in check["message"]
    if status != "pass":
        assert "SMS_ALLOWED_USERS" in check["fix"]
    else:
        # Numbers are shown redacted, as everywhere else in the output.
        assert "+1555***0002" in check["message"] and ALICE not in check["message"]


@pytest.mark.parametrize(
    ("value", "status", "text"),
    [
        ("", "pass", "not set"),
        ("+1 555 010 0002", "pass", "+1555***0002"),
        ("0100002", "fail", "SMS_HOME_CHANNEL must be a phone number"),
    ],
)
def test_home_channel(isolated_home: Path, value: str, status: str, text: str) -> None:
    check = doctor(isolated_home, **{**VALID, "SMS_HOME_CHANNEL": value})["config.home_channel"]
    assert check["status"] == status
    assert text in check["message"]


def test_env_path_that_is_a_folder_fails_without_crashing(isolated_home: Path) -> None:
    (isolated_home / ".env").mkdir(parents=True)
    checks = doctor(isolated_home)
    assert checks["config.env_file"]["status"] == "fail"
    assert "is not a regular file" in checks["config.env_file"]["message"]


def test_unreadable_env_file_fails_without_crashing(isolated_home: Path) -> None:
    # chmod 000 does not stop root (CI runs as root); /proc/self/mem is a "regular file" whose
    # read fails with EIO for everyone, which is the failure this check must survive.
    isolated_home.mkdir(parents=True)
    (isolated_home / ".env").symlink_to("/proc/self/mem")
    checks = doctor(isolated_home)
    assert checks["config.env_file"]["status"] == "fail"
    assert "cannot read" in checks["config.env_file"]["message"]
    # Reported once, with its fix; the checks that need the file are skipped.
    assert checks["config.variables"]["status"] == "skip"
    assert "cannot read" in checks["config.variables"]["message"]


def test_env_file_that_does_not_parse_fails_under_other_settings(isolated_home: Path) -> None:
    write_env_file(isolated_home, {})
    (isolated_home / ".env").write_text("just words\nB=fine\n= no name\n")
    checks = doctor(isolated_home)
    assert checks["config.env_file"]["status"] == "pass"  # readable, private: fine as a file
    assert checks["config.variables"]["status"] == "fail"
    # Every bad line at once.
    assert "line 1" in checks["config.variables"]["message"]
    assert "line 3" in checks["config.variables"]["message"]


def test_malformed_numbers_are_redacted_in_the_problems(isolated_home: Path) -> None:
    # The problem quotes the value as written; a number without a country code is still a
    # phone number, and doctor output gets pasted into bug reports.
    checks = doctor(
        isolated_home,
        **{
            **VALID,
            "TWILIO_PHONE_NUMBER": "5550100077",
            "SMS_ALLOWED_USERS": "5550100088",
            "SMS_HOME_CHANNEL": "5550100099",
        },
    )
    text = json.dumps(checks)
    for raw in ("5550100077", "5550100088", "5550100099"):
        assert raw not in text
    assert "'555***0077' has no country code" in checks["config.required"]["message"]
    assert "'555***0088'" in checks["config.allowed_users"]["message"]
    assert "'555***0099'" in checks["config.home_channel"]["message"]
    # The example the hint gives is not someone's number: it stays readable.
    assert "e.g. +15550100002" in checks["config.home_channel"]["message"]
