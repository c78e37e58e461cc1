"""The setup wizard's core rules: field checks, where values come from, the summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from hermes_sms.config import ConfigError, load_settings
from hermes_sms.masking import display_url, mask_secret
from hermes_sms.setup_wizard import fields as f
from hermes_sms.setup_wizard.values import (
    env_updates,
    existing_values,
    resolve,
    summary_rows,
)

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "setup-test-token-" + "9" * 15 + "9f3a"
REQUIRED = {
    "TWILIO_ACCOUNT_SID": SID,
    "TWILIO_AUTH_TOKEN": TOKEN,
    "TWILIO_PHONE_NUMBER": "+15550100001",
}


@pytest.mark.parametrize(
    ("value", "shown"),
    [(TOKEN, "…9f3a"), ("short-secret", "…cret"), ("tiny", "…"), ("", ""), (None, "")],
)
def test_mask_secret(value: str | None, shown: str) -> None:
    assert mask_secret(value) == shown


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://abc.trycloudflare.com", "https://abc.trycloudflare.com/webhooks/twilio"),
        ("https://abc.ngrok.app/", "https://abc.ngrok.app/webhooks/twilio"),
        ("https://example.com/custom/hook", "https://example.com/custom/hook"),
        ("  https://example.com/webhooks/twilio ", "https://example.com/webhooks/twilio"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/webhooks/twilio"),
    ],
)
def test_webhook_url_gets_the_gateway_path(raw: str, expected: str) -> None:
    assert f.check_webhook_url(raw) == expected


@pytest.mark.parametrize("raw", ["http://example.com/hook", "example.com", "ftp://example.com"])
def test_webhook_url_must_be_public_https(raw: str) -> None:
    with pytest.raises(ValueError, match="https://"):
        f.check_webhook_url(raw)


@pytest.mark.parametrize(
    ("spec", "raw", "expected"),
    [
        (f.ACCOUNT_SID, f" {SID} ", SID),
        (f.PHONE_NUMBER, "+1 (555) 010-0001", "+15550100001"),
        (f.MESSAGING_SERVICE_SID, "MG" + "ab" * 16, "MG" + "ab" * 16),
        (
            f.ALLOWED_USERS,
            "+1 555 010 0002, +15550100003,+15550100002",
            "+15550100002,+15550100003",
        ),
        (f.ALLOW_ALL_USERS, "Yes", "true"),
        (f.WEBHOOK_PORT, " 9090 ", "9090"),
        (f.AGENT_URL, "http://localhost:11434/v1/", "http://localhost:11434/v1"),
    ],
)
def test_checks_normalise(spec: f.Field, raw: str, expected: str) -> None:
    assert spec.check(raw) == expected


@pytest.mark.parametrize(
    ("spec", "raw", "reason"),
    [
        (f.ACCOUNT_SID, "AC123", "AC followed by 32 hex"),
        (f.PHONE_NUMBER, "5550100001", "no country code"),
        (f.MESSAGING_SERVICE_SID, "XY12", "MG followed by 32 hex"),
        (f.ALLOWED_USERS, "+15550100002,abc", "comma-separated E.164"),
        (f.ALLOW_ALL_USERS, "maybe", "true or false"),
        (f.WEBHOOK_PORT, "70000", "port number"),
        (f.AGENT_URL, "localhost:8642", "http(s) URL"),
        (f.AUTH_TOKEN, "two words", "spaces"),
    ],
)
def test_checks_say_what_is_wrong(spec: f.Field, raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        spec.check(raw)


def test_checks_agree_with_the_gateway_configuration(isolated_home: Path) -> None:
    """Whatever the wizard accepts, load_settings accepts (and vice versa for the samples)."""
    resolved = resolve(
        {
            **REQUIRED,
            "TWILIO_MESSAGING_SERVICE_SID": "MG" + "ab" * 16,
            "SMS_ALLOWED_USERS": "+1 555 010 0002",
            "SMS_WEBHOOK_URL": "https://abc.trycloudflare.com",
            "SMS_AGENT_API_KEY": "sk-test-key-1234",
        },
        {},
    )
    assert resolved.ok, resolved.problems
    settings = load_settings({"HERMES_HOME": str(isolated_home), **resolved.values})
    assert settings.webhook_url == "https://abc.trycloudflare.com/webhooks/twilio"
    assert settings.home_channel == "+15550100002"
    with pytest.raises(ConfigError):
        load_settings({"HERMES_HOME": str(isolated_home), **REQUIRED, "SMS_WEBHOOK_PORT": "0"})
    assert not resolve({**REQUIRED, "SMS_WEBHOOK_PORT": "0"}, {}).ok


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8642/v1?api-version=1",
        "http://127.0.0.1:8642/v1#models",
        "http://127.0.0.1:8642/v1?",
        "http://127.0.0.1:8642/v1/#",
    ],
)
def test_agent_url_refused_as_the_configuration_refuses_it(isolated_home: Path, url: str) -> None:
    """Setup never writes an SMS_AGENT_URL that the gateway then refuses to start with."""
    with pytest.raises(ConfigError, match="SMS_AGENT_URL"):
        load_settings({"HERMES_HOME": str(isolated_home), **REQUIRED, "SMS_AGENT_URL": url})
    with pytest.raises(ValueError, match=r"without a \?query or #fragment"):
        f.check_agent_url(url)
    resolved = resolve({"SMS_AGENT_URL": url}, REQUIRED)
    assert not resolved.ok
    assert "SMS_AGENT_URL" not in resolved.values


def test_resolve_order_flag_then_existing_then_default() -> None:
    existing = {
        **REQUIRED,
        "SMS_AGENT_MODEL": "from-file",
        "SMS_WEBHOOK_PORT": "9000",
        "SMS_HOME_CHANNEL": "+15550100005",
    }
    resolved = resolve({"SMS_AGENT_MODEL": "from-flag", "SMS_WEBHOOK_PORT": None}, existing)
    assert resolved.ok
    assert resolved.values["SMS_AGENT_MODEL"] == "from-flag"
    assert resolved.values["SMS_WEBHOOK_PORT"] == "9000"
    assert resolved.values["SMS_AGENT_URL"] == "http://127.0.0.1:8642/v1"
    assert resolved.values["SMS_ALLOW_ALL_USERS"] == "false"
    assert resolved.values["SMS_HOME_CHANNEL"] == "+15550100005"
    assert "SMS_AGENT_API_KEY" not in resolved.values


def test_empty_flag_clears_a_stored_value() -> None:
    existing = {**REQUIRED, "SMS_HOME_CHANNEL": "+15550100005", "SMS_ALLOWED_USERS": "+15550100002"}
    resolved = resolve({"SMS_HOME_CHANNEL": ""}, existing)
    assert "SMS_HOME_CHANNEL" not in resolved.values
    assert env_updates(resolved.values)["SMS_HOME_CHANNEL"] is None


def test_home_channel_defaults_to_first_allowed_user() -> None:
    resolved = resolve({"SMS_ALLOWED_USERS": "+15550100003, +15550100002"}, REQUIRED)
    assert resolved.values["SMS_HOME_CHANNEL"] == "+15550100003"


def test_missing_and_problems_listed_together_without_the_secret() -> None:
    resolved = resolve(
        {"TWILIO_ACCOUNT_SID": "AC12", "TWILIO_AUTH_TOKEN": "bad token " + TOKEN}, {}
    )
    assert [spec.name for spec in resolved.missing] == ["TWILIO_PHONE_NUMBER"]
    assert len(resolved.problems) == 2
    assert resolved.problems[0].startswith("TWILIO_ACCOUNT_SID (--account-sid) must be AC")
    assert "'AC12'" in resolved.problems[0]
    assert resolved.problems[1].startswith("TWILIO_AUTH_TOKEN (--auth-token) must not")
    assert TOKEN not in " ".join(resolved.problems)


def test_existing_values_merge_file_and_environment(isolated_home: Path) -> None:
    isolated_home.mkdir(parents=True)
    (isolated_home / ".env").write_text("SMS_AGENT_MODEL=file\nSMS_WEBHOOK_PORT=9000\n")
    merged = existing_values(
        {"HERMES_HOME": str(isolated_home), "SMS_WEBHOOK_PORT": "9100", "SMS_HOME_CHANNEL": ""}
    )
    assert merged["SMS_AGENT_MODEL"] == "file"
    assert merged["SMS_WEBHOOK_PORT"] == "9100"
    assert "SMS_HOME_CHANNEL" not in merged


def test_summary_masks_secrets_and_marks_changes() -> None:
    given = {
        **REQUIRED,
        "SMS_AGENT_API_KEY": "sk-live-abcdefgh1234",
        "SMS_AGENT_URL": "https://me:url-password@agent.example/v1",
    }
    values = resolve(given, {}).values
    on_disk = {"TWILIO_ACCOUNT_SID": SID, "SMS_AGENT_MODEL": "old", "SMS_HOME_CHANNEL": "+1555"}
    rows = {row.name: row for row in summary_rows(values, on_disk)}
    assert [row.name for row in summary_rows(values, on_disk)] == [s.name for s in f.FIELDS]
    assert rows["TWILIO_AUTH_TOKEN"].shown == "…9f3a"
    assert rows["SMS_AGENT_API_KEY"].shown == "…1234"
    assert rows["TWILIO_ACCOUNT_SID"].change == ""
    assert rows["TWILIO_AUTH_TOKEN"].change == "new"
    assert rows["SMS_AGENT_MODEL"].change == "changed"
    assert rows["SMS_HOME_CHANNEL"].change == "removed"
    assert rows["TWILIO_MESSAGING_SERVICE_SID"].shown == "(not set)"
    assert rows["SMS_AGENT_URL"].shown == "https://…@agent.example/v1"
    text = " ".join(row.shown for row in rows.values())
    for secret in (TOKEN, "sk-live-abcdefgh1234", "url-password"):
        assert secret not in text


def test_display_url_hides_a_password() -> None:
    assert display_url("http://user:pw-secret@host:8642/v1") == "http://…@host:8642/v1"
    assert display_url("https://tok_abc123@host/v1") == "https://…@host/v1"
    assert display_url("http://host/v1") == "http://host/v1"
    assert display_url("not a url [") == "not a url ["


def test_listing_users_turns_allow_all_off_unless_asked() -> None:
    existing = {**REQUIRED, "SMS_ALLOW_ALL_USERS": "true"}
    assert resolve({}, existing).values["SMS_ALLOW_ALL_USERS"] == "true"
    listed = resolve({"SMS_ALLOWED_USERS": "+15550100002"}, existing)
    assert listed.values["SMS_ALLOW_ALL_USERS"] == "false"
    both = resolve({"SMS_ALLOWED_USERS": "+15550100002", "SMS_ALLOW_ALL_USERS": "true"}, {})
    assert both.values["SMS_ALLOW_ALL_USERS"] == "true"
