"""Redaction and masking rules a mutation audit found unguarded: log lines, phone numbers in
text, secrets and URLs fit to show."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from hermes_sms.logs import configure_logging, get_logger
from hermes_sms.masking import display_url, mask_secret, without_userinfo
from hermes_sms.phone import normalize_e164, redact, redact_text


@pytest.fixture
def package_logger() -> Iterator[None]:
    yield
    # Leave the package logger as other tests expect to find it: no handler on a dead stream.
    logger = logging.getLogger("hermes_sms")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)


def log_line(secrets: list[str], message: str, *args: object) -> str:
    out = io.StringIO()
    configure_logging(out, secrets=secrets)
    get_logger("gateway").warning(message, *args)
    return out.getvalue()


def test_a_secret_containing_another_is_hidden_whole(package_logger: None) -> None:
    short, long = "agentkey1234", "agentkey1234-and-the-rest-of-it"
    line = log_line([short, long], "using %s and %s", long, short)
    assert line == "[sms] using *** and ***\n"


def test_a_secret_that_looks_like_a_phone_number_is_hidden_whole(package_logger: None) -> None:
    # Secrets first, numbers second: redacting the number first would change the secret's
    # text, and the rest of it would then be printed.
    secret = "sk-5550104567-tail"
    assert log_line([secret], "key %s", secret) == "[sms] key ***\n"


def test_package_lines_do_not_reach_the_root_logger(package_logger: None) -> None:
    """A root handler (a library's basicConfig) would print the line unredacted."""
    seen: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    root = logging.getLogger()
    capture = Capture()
    root.addHandler(capture)
    try:
        line = log_line([], "received from %s", "+15550104567")
    finally:
        root.removeHandler(capture)
    assert line == "[sms] received from +1555***4567\n"
    assert seen == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call 555.010.4567 now", "call 555***4567 now"),
        ("call 555 010 4567 now", "call 555***4567 now"),
        ("call (555)010-4567 now", "call 555***4567 now"),
        ("ring +2901234 now", "ring +2***34 now"),
        ("cn 8613812345678 ok", "cn 861***5678 ok"),
        ("long 442079460958123 ok", "long 442***8123 ok"),
    ],
)
def test_redact_text_forms(text: str, expected: str) -> None:
    assert redact_text(text) == expected


# The shortest real numbers: Andorra (+376, six digits), Niue (+683, four), Iceland (+354).
SHORT_NUMBERS = ["+376 312 345", "+354 551 1234", "+683 4002"]


@pytest.mark.parametrize("raw", SHORT_NUMBERS)
def test_redact_hides_some_of_every_short_number(raw: str) -> None:
    number = normalize_e164(raw)
    shown = redact(number)
    assert number not in shown and shown.count("*") == 3


@pytest.mark.parametrize(
    "raw", ["+376 312 345", "+354 551 1234", "+682 21234", "+15550104567", "+44 20 7946 0958"]
)
def test_redact_hides_at_least_three_digits(raw: str) -> None:
    """Short national numbers (Andorra, Iceland, the Cook Islands) too: the five-and-four
    form would show all but one or two of their digits."""
    number = normalize_e164(raw)
    shown = redact(number)
    hidden = sum(ch.isdigit() for ch in number) - sum(ch.isdigit() for ch in shown)
    assert hidden >= 3, shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [("elevenchars", "…"), ("twelve-chars", "…hars"), ("x" * 40 + "9f3a", "…9f3a")],
)
def test_mask_secret_hints_only_from_twelve_characters(value: str, shown: str) -> None:
    assert mask_secret(value) == shown


@pytest.mark.parametrize(
    ("url", "shown", "bare"),
    [
        (
            "https://user:p@ss@hook.example/webhooks/twilio",
            "https://…@hook.example/webhooks/twilio",
            "https://hook.example/webhooks/twilio",
        ),
        (
            "http://TOKEN@a@127.0.0.1:8080/v1?q=x@y",
            "http://…@127.0.0.1:8080/v1?q=x@y",
            "http://127.0.0.1:8080/v1?q=x@y",
        ),
    ],
)
def test_user_info_with_an_at_sign_is_hidden_whole(url: str, shown: str, bare: str) -> None:
    assert display_url(url) == shown
    assert without_userinfo(url) == bare
