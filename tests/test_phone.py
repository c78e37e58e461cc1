import pytest

from hermes_sms.phone import (
    PhoneNumberError,
    normalize_e164,
    parse_number_list,
    redact,
    redact_text,
    session_digits,
)


@pytest.mark.parametrize(
    "raw",
    ["+15550100002", "+1 (555) 010-0002", " +1-555-010-0002 ", "+1.555.010.0002", "+1 555 0100002"],
)
def test_same_number_however_written(raw: str) -> None:
    assert normalize_e164(raw) == "+15550100002"


def test_international_numbers_normalise() -> None:
    assert normalize_e164("+44 20 7946 0958") == "+442079460958"
    assert normalize_e164("+33 6 12 34 56 78") == "+33612345678"


def test_number_without_country_code_is_rejected_with_hint() -> None:
    with pytest.raises(PhoneNumberError, match=r"no country code: start it with \+"):
        normalize_e164("555 010 0002")


@pytest.mark.parametrize("raw", ["abc", "n/a", "+"])
def test_text_without_digits_is_not_told_to_add_a_country_code(raw: str) -> None:
    with pytest.raises(PhoneNumberError, match="is not a phone number") as info:
        normalize_e164(raw)
    assert "country code" not in str(info.value)


@pytest.mark.parametrize(
    "raw", ["", "   ", "+", "+1", "+999 123", "+1 555", "hello", "+1555010000212345"]
)
def test_not_a_number(raw: str) -> None:
    with pytest.raises(PhoneNumberError):
        normalize_e164(raw)


def test_number_list_normalises_and_dedupes() -> None:
    assert parse_number_list("+1 555 010 0002, +15550100002,,+44 20 7946 0958 ") == [
        "+15550100002",
        "+442079460958",
    ]
    assert parse_number_list("") == []


def test_number_list_names_bad_entry() -> None:
    with pytest.raises(PhoneNumberError, match="5550100003"):
        parse_number_list("+15550100002, 5550100003")


def test_redact_keeps_first_five_and_last_four() -> None:
    assert redact("+15550104567") == "+1555***4567"
    assert redact("+442079460958") == "+4420***0958"
    assert "0104" not in redact("+15550104567")


def test_redact_short_values_show_little() -> None:
    assert redact("+1234") == "***"
    assert redact("+123456") == "***"
    assert redact("+1234567") == "+1***67"


def test_redact_text_hides_numbers_but_not_dates_or_sids() -> None:
    line = (
        "at 2026-12-03 19:09:42 from +1 555 010 4567 and 5550109999 and 555-010-1234, "
        "sid SM0123456789abcdef0123456789abcdef, version 1.2.3, cost $1,234"
    )
    out = redact_text(line)
    assert "2026-12-03 19:09:42" in out
    assert "SM0123456789abcdef0123456789abcdef" in out
    assert "+1555***4567" in out
    for digits in ("0104567", "0109999", "010-1234"):
        assert digits not in out
    assert "1.2.3" in out and "$1,234" in out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call (555) 010-0003 now", "call 555***0003 now"),
        ("call +1 (555) 010-0003 now", "call +1555***0003 now"),
        ("(555) 010-0003.", "555***0003."),
        ("+1 (555) 010-0003!", "+1555***0003!"),
        ("ring (555) 010-0003, or (555) 010-0004; ok", "ring 555***0003, or 555***0004; ok"),
        ("numbers: (555) 010-0003)", "numbers: 555***0003)"),
        ("(+1 555 010 0003)", "(+1555***0003)"),
        ("(+44) 20 7946 0958.", "(+4420***0958)."),
        ("(555 010-0003)", "(555***0003)"),
    ],
)
def test_redact_text_keeps_the_punctuation_around_numbers(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("on 2026-12-03 555-010-0003 wrote", 1),
        ("555-010-0003 (2 texts)", 1),
        ("555-010-0003 555-010-0004", 2),
        ("x(555) 010-0003 and 5550100004", 2),
        ("(555) 010-0003/(555) 010-0004", 2),
    ],
)
def test_redact_text_finds_every_number(text: str, count: int) -> None:
    out = redact_text(text)
    for shown in ("010-0003", "0100003", "010-0004", "0100004"):
        assert shown not in out
    assert out.count("***") == count
    assert ("2026-12-03" in out) == ("2026-12-03" in text)


def test_session_digits() -> None:
    assert session_digits("+15550100002") == "15550100002"


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("", PhoneNumberError.EMPTY),
        ("  ", PhoneNumberError.EMPTY),
        ("n/a", PhoneNumberError.NO_DIGITS),
        ("555 010 0002", PhoneNumberError.NO_COUNTRY),
        ("+1 555", PhoneNumberError.WRONG_LENGTH),
        ("+999 123", PhoneNumberError.UNPARSABLE),
    ],
)
def test_error_kind_names_the_rule_broken(raw: str, kind: str) -> None:
    # The wizard words its one-line messages by `kind`.
    with pytest.raises(PhoneNumberError) as info:
        normalize_e164(raw)
    assert info.value.kind == kind
