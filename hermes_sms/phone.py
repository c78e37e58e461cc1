"""Phone numbers: parsing to E.164 with `phonenumbers`, and redaction for logs and output.

Numbers are compared and stored only in E.164 form, so `+1 (555) 010-0002` and `+15550100002`
are the same sender everywhere (allowlist, history, opt-outs).
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

_NO_COUNTRY_HINT = "start it with + and the country code, e.g. +15550100002"


class PhoneNumberError(ValueError):
    """A value that is not a usable phone number; the message says why and how to fix it.

    `kind` says which rule it broke (EMPTY, NO_DIGITS, NO_COUNTRY, UNPARSABLE, WRONG_LENGTH),
    for callers that word it their own way (the wizard's one-line messages)."""

    EMPTY, NO_DIGITS, NO_COUNTRY = "empty", "no-digits", "no-country"
    UNPARSABLE, WRONG_LENGTH = "unparsable", "wrong-length"

    def __init__(self, message: str, kind: str = UNPARSABLE) -> None:
        super().__init__(message)
        self.kind = kind


@lru_cache(maxsize=4096)
def normalize_e164(raw: str) -> str:
    """Return `raw` as an E.164 number (`+15550100002`) or raise PhoneNumberError.

    We accept any *possible* number rather than only numbers `phonenumbers` knows to be
    assigned: its metadata lags real allocations and test ranges such as 555-01xx must work.
    Cached, because the same senders write again and again and parsing is a webhook's
    costliest step after the signature; errors are raised anew each time, never cached.
    """
    text = (raw or "").strip()
    if not text:
        raise PhoneNumberError("is empty", PhoneNumberError.EMPTY)
    if not any(ch.isdigit() for ch in text):
        # "abc", "n/a": telling them to add a country code would be no help.
        raise PhoneNumberError(
            f"{text!r} is not a phone number (it has no digits)", PhoneNumberError.NO_DIGITS
        )
    if not text.startswith("+"):
        # Without a country code the number is ambiguous; guessing a region would route SMS to
        # the wrong country, so we refuse and say what to write instead.
        raise PhoneNumberError(
            f"{text!r} has no country code: {_NO_COUNTRY_HINT}", PhoneNumberError.NO_COUNTRY
        )
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as exc:
        raise PhoneNumberError(f"{text!r} is not a phone number ({exc._msg})") from None
    if not phonenumbers.is_possible_number(parsed):
        raise PhoneNumberError(
            f"{text!r} has the wrong number of digits for its country",
            PhoneNumberError.WRONG_LENGTH,
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def parse_number_list(raw: str) -> list[str]:
    """Parse a comma-separated list of numbers into unique E.164 numbers, in the given order.

    Raises PhoneNumberError naming the first bad entry.
    """
    numbers: list[str] = []
    for entry in (raw or "").split(","):
        if not entry.strip():
            continue
        number = normalize_e164(entry)
        if number not in numbers:
            numbers.append(number)
    return numbers


def redact(number: str) -> str:
    """`+15550104567` → `+1555***4567`: enough to tell numbers apart in a log, not to dial them."""
    text = (number or "").strip()
    # Five and four kept need at least three hidden: +1 numbers (12 characters) and longer.
    # Shorter ones (+376 312 345, Andorra; +354 551 1234, Iceland) would show all but one or
    # two digits, so they keep two and two.
    if len(text) >= 12:
        return f"{text[:5]}***{text[-4:]}"
    return f"{text[:2]}***{text[-2:]}" if len(text) >= 8 else "***"


# What counts as a number inside free text. With a +: a digit, then digits and the usual
# separators, ending in a digit (at least 7 characters). Without a +, only forms that are
# unmistakably phone numbers: the North American (555) 010-4567 / 555-010-4567 / 555.010.4567
# shapes and long runs of digits. The local forms are matched as they are written, not taken
# from a longer run of digits and separators, so a number next to a date ("2026-12-03
# 555-010-4567") or a count ("555-010-4567 (2)") is still found. The look-arounds keep numbers
# out of SIDs (SM1234…) and words; the ( of "(555)" is part of the number, so the ( and the )
# go together. The leading look-ahead changes nothing about what matches (every alternative
# starts with +, ( or a digit) but lets most positions fail at once, which halves the time
# the log formatter spends on each line.
_PHONE_LIKE = re.compile(
    r"(?=[+(\d])(?:"
    r"(?<![\w+])\+\d[\d ().-]{5,18}\d(?!\w)"
    r"|(?:\(\d{3}\)[ .-]?|(?<![\w+])\d{3}[ .-]?)\d{3}[ .-]\d{4}(?!\w)"
    r"|(?<![\w+])\d{10,15}(?!\w)"
    r")"
)


def redact_text(text: str) -> str:
    """Redact every phone-like number inside free text (message bodies, log lines).

    Dates, times, versions and amounts are left alone, and so is the punctuation around a
    number: a ( or ) that a +number took with it without its partner (`(+44) 20 7946 0958`)
    is kept, so brackets in the text stay paired.
    """

    def _replace(match: re.Match[str]) -> str:
        found = match.group(0)
        digits = re.sub(r"\D", "", found)
        # Without the +, `redact` would keep nine of ten digits (55501***4567): keep what it
        # keeps of a +1 number, the area code and the last four (555***4567).
        local = f"{digits[:3]}***{digits[-4:]}"
        hidden = redact("+" + digits) if found.startswith("+") else local
        unopened = unclosed = 0
        for char in found:
            if char == "(":
                unclosed += 1
            elif char == ")":
                if unclosed:
                    unclosed -= 1
                else:
                    unopened += 1
        return "(" * unclosed + hidden + ")" * unopened

    return _PHONE_LIKE.sub(_replace, text)


def session_digits(number: str) -> str:
    """The digits of a number, used for per-phone session ids (`sms-15550100002`)."""
    return re.sub(r"\D", "", number)
