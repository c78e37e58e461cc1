"""The wizard's validation messages fit on questionary's one line in an 80-column terminal,
fix included; the non-interactive run keeps its full sentences. Checked on the validators the
wizard really uses, for each kind of bad input of each field it asks for."""

from __future__ import annotations

import pytest

from hermes_sms.cli.setup.interactive import validator
from hermes_sms.setup_wizard import fields as f
from hermes_sms.setup_wizard.values import resolve

# Under the prompt's "? " and with room to spare in 80 columns.
WIDTH = 70
PASTED = "x" * 300
NO_COUNTRY = "start with + and the code"
NOT_A_NUMBER = "type + and the digits"
WRONG_DIGITS = "wrong number of digits"

# (field, bad input, what the message must still say: the fix, or what to change)
CASES = [
    (f.ACCOUNT_SID, "AC123", "AC followed by 32 hex characters"),
    (f.ACCOUNT_SID, PASTED, "AC followed by 32 hex characters"),
    (f.AUTH_TOKEN, "two words", "must not contain spaces"),
    (f.PHONE_NUMBER, "5550100002", NO_COUNTRY),
    (f.PHONE_NUMBER, "+1 call me", NOT_A_NUMBER),
    (f.PHONE_NUMBER, "+1555", WRONG_DIGITS),
    (f.PHONE_NUMBER, PASTED, NOT_A_NUMBER),  # no digits: a country code would not help
    (f.PHONE_NUMBER, "abc", NOT_A_NUMBER),
    (f.PHONE_NUMBER, "+" + "1" * 300, NOT_A_NUMBER),
    (f.MESSAGING_SERVICE_SID, "MG123", "MG followed by 32 hex characters"),
    (f.ALLOWED_USERS, "5550100002", NO_COUNTRY),
    (f.ALLOWED_USERS, "+15550100002, 5550100003", "'5550100003' has no country code"),
    (f.ALLOWED_USERS, "+15550100002, +1 call me", "'+1 call me' is not a phone number"),
    (f.ALLOWED_USERS, "+15550100002, +1555", "'+1555' has the " + WRONG_DIGITS),
    (f.ALLOWED_USERS, "+15550100002, " + PASTED, "is not a phone number"),
    (f.ALLOWED_USERS, "n/a", NOT_A_NUMBER),
    (f.ALLOWED_USERS, "+15550100002, +1 555 010 000 222", "…' has the wrong number of digits"),
    (f.HOME_CHANNEL, "5550100002", NO_COUNTRY),
    (f.HOME_CHANNEL, "+1555", WRONG_DIGITS),
    (f.WEBHOOK_PORT, "http", "1-65535"),
    (f.WEBHOOK_PORT, "99999", "1-65535"),
    (f.WEBHOOK_URL, "ftp://example.com", "https://"),
    (f.WEBHOOK_URL, "http://example.com", "must start with https://"),
    (f.WEBHOOK_URL, PASTED, "https://"),
    (f.AGENT_URL, "ftp://models.example/v1", "e.g. http://127.0.0.1:8642/v1"),
    (f.AGENT_URL, "http://models.example/v1?x=1", "?query or #fragment"),
    (f.AGENT_URL, "http://models.example/v1#top", "?query or #fragment"),
    (f.AGENT_URL, "http://models.example:0/v1", "port must be a number from 1 to 65535"),
    (f.AGENT_URL, "http://models.example:abc/v1", "port must be a number from 1 to 65535"),
    (f.AGENT_URL, "http://models .example/v1", "must not contain spaces"),
    (f.AGENT_URL, "http://[::1/v1", "e.g. http://127.0.0.1:8642/v1"),
    (f.AGENT_URL, "http://" + PASTED + "/v1?x=1", "?query or #fragment"),
    (f.AGENT_API_KEY, "two words", "must not contain spaces"),
]


@pytest.mark.parametrize(("spec", "raw", "says"), CASES, ids=lambda c: getattr(c, "name", None))
def test_every_wizard_message_fits_one_line_with_its_fix(
    spec: f.Field, raw: str, says: str
) -> None:
    message = validator(spec)(raw)
    assert isinstance(message, str)
    assert len(message) <= WIDTH, message
    assert says.lower() in message.lower()


@pytest.mark.parametrize("spec", [s for s in f.FIELDS if s is not f.ALLOW_ALL_USERS])
def test_required_messages_fit(spec: f.Field) -> None:
    message = validator(spec)("  ")
    assert isinstance(message, str) and len(message) <= WIDTH


def test_a_good_answer_passes() -> None:
    assert validator(f.ALLOWED_USERS)("+1 555 010 0002, +15550100003") is True
    assert validator(f.AGENT_URL)("http://127.0.0.1:8642/v1") is True


@pytest.mark.parametrize(
    ("spec", "raw", "full"),
    [
        (
            f.ALLOWED_USERS,
            "5550100002",
            "SMS_ALLOWED_USERS (--allowed-users) must be comma-separated E.164 numbers: "
            "'5550100002' has no country code: start it with + and the country code, "
            "e.g. +15550100002.",
        ),
        (
            f.WEBHOOK_URL,
            "http://example.com",
            "SMS_WEBHOOK_URL (--webhook-url) must start with https:// (Twilio only calls "
            "public https addresses; cloudflared and ngrok give you one), "
            "got 'http://example.com'.",
        ),
        (
            f.AGENT_URL,
            "http://models.example/v1?x=1",
            "SMS_AGENT_URL (--agent-url) must be an http(s) URL, usually ending in /v1 "
            "(without a ?query or #fragment), got 'http://models.example/v1?x=1'.",
        ),
    ],
)
def test_the_non_interactive_sentences_stay_complete(spec: f.Field, raw: str, full: str) -> None:
    assert resolve({spec.name: raw}, {}).problems == [full]
