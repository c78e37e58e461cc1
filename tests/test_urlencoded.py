"""The gateway's form decoder against the standard library's parse_qsl, on any input."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hermes_sms.gateway.urlencoded import parse_form_body

# Bodies built from the characters that matter to the format, so that escapes, separators and
# plus signs meet each other often; plus arbitrary bytes for everything else.
FORM_ALPHABET = st.sampled_from([*"ab=&+%2BFfe8 ü", "%e2", "%82", "%ac", "%2", "%zz"])
FORMISH = st.lists(FORM_ALPHABET, max_size=40).map(lambda parts: "".join(parts).encode())


def outcome(parse: Callable[[bytes], list[tuple[str, str]]], body: bytes) -> object:
    try:
        return parse(body)
    except UnicodeDecodeError:
        return "UnicodeDecodeError"


def ours(body: bytes) -> list[tuple[str, str]]:
    return list(parse_form_body(body).items())


def stdlib(body: bytes) -> list[tuple[str, str]]:
    return parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")


@settings(max_examples=1500)
@given(st.one_of(FORMISH, st.binary(max_size=60)))
def test_same_fields_or_same_error_as_parse_qsl(body: bytes) -> None:
    assert outcome(ours, body) == outcome(stdlib, body)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b"Body=What%27s+up%3F&From=%2B15550100001",
            [("Body", "What's up?"), ("From", "+15550100001")],
        ),
        (b"a=1&&b=2&", [("a", "1"), ("b", "2")]),
        (b"flag&x=", [("flag", ""), ("x", "")]),
        (b"a=1=2&=v", [("a", "1=2"), ("", "v")]),
        (b"MediaUrl0=x&MediaUrl0=y", [("MediaUrl0", "x"), ("MediaUrl0", "y")]),
        (b"", []),
    ],
)
def test_examples(body: bytes, expected: list[tuple[str, str]]) -> None:
    assert list(parse_form_body(body).items()) == expected


@pytest.mark.parametrize("body", [b"Body=%FF", b"Body=%e2%82", b"Body=\xff"])
def test_non_utf8_is_refused(body: bytes) -> None:
    with pytest.raises(UnicodeDecodeError):
        parse_form_body(body)
