"""TwilioError, explanations and the retry policy."""

from __future__ import annotations

import pickle

import pytest

from hermes_sms.twilio.errors import TwilioError, explain, is_retryable

DOCUMENTED = [
    20003, 20404, 20429, 20500, 20503, 21211, 21408, 21602, 21606, 21608, 21610, 21611,
    21612, 21614, 21617, 30003, 30005, 30006, 30007, 30008, 30032, 30034, 11200,
]  # fmt: skip


@pytest.mark.parametrize("code", DOCUMENTED)
def test_explain_known_codes(code: int) -> None:
    text = explain(code)
    assert text and "\n" not in text
    assert "twilio.com/docs/errors" not in text


def test_explain_fallback_points_to_docs() -> None:
    assert "https://www.twilio.com/docs/errors/99999" in explain(99999)
    assert explain(None)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (429, None, True),
        (429, 20429, True),
        (None, 20429, True),
        (500, None, True),
        (503, 20503, True),
        (400, 21611, True),
        (None, None, True),
        (401, 20003, False),
        (400, 21211, False),
        (400, 21408, False),
        (400, 21606, False),
        (400, 21608, False),
        (400, 21610, False),
        (400, 21614, False),
        (400, 21617, False),
        (404, 20404, False),
        (400, None, False),
        (403, 99999, False),
    ],
)
def test_is_retryable(status: int | None, code: int | None, expected: bool) -> None:
    assert is_retryable(status, code) is expected
    assert TwilioError("x", status=status, code=code).retryable is expected


def test_str_is_readable() -> None:
    err = TwilioError(
        "The 'To' number +1555 is not a valid phone number.",
        status=400,
        code=21211,
        more_info="https://www.twilio.com/docs/errors/21211",
    )
    text = str(err)
    assert text.startswith("Twilio error 21211 (HTTP 400): The 'To' number +1555")
    assert text.endswith(explain(21211))
    assert err.explanation == explain(21211)
    assert "21211" in repr(err)


def test_str_without_status_or_code() -> None:
    # No answer: not a "Twilio error", the message says what happened.
    err = TwilioError("could not reach https://api.twilio.com: Connection refused")
    assert str(err) == "could not reach https://api.twilio.com: Connection refused"
    assert err.retryable


def test_pickle_roundtrip() -> None:
    err = TwilioError("m", status=429, code=20429, more_info="u")
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.message, copy.status, copy.code, copy.more_info) == ("m", 429, 20429, "u")
    assert pickle.loads(pickle.dumps(TwilioError("t", in_doubt=True))).in_doubt
