"""X-Twilio-Signature: Twilio's published vector, port variants, repeated parameters, bad input."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import MultiDict

from hermes_sms.twilio.signature import compute_signature, is_valid_signature, normalize_params

TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
    "Caller": "+14158675309",
}
EXPECTED = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def reference_signature(token: str, url: str, pairs: list[tuple[str, str]]) -> str:
    """Independent implementation of the documented algorithm, to cross-check the wrapper."""
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    payload = url + "".join(
        name + value for name in sorted(grouped) for value in sorted(grouped[name])
    )
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def test_known_vector() -> None:
    assert compute_signature(TOKEN, URL, PARAMS) == EXPECTED
    assert reference_signature(TOKEN, URL, list(PARAMS.items())) == EXPECTED
    assert is_valid_signature(TOKEN, URL, PARAMS, EXPECTED)


def test_known_vector_rejects_tampering() -> None:
    assert not is_valid_signature("54321", URL, PARAMS, EXPECTED)
    assert not is_valid_signature(TOKEN, URL + "&x=1", PARAMS, EXPECTED)
    assert not is_valid_signature(TOKEN, URL, {**PARAMS, "Digits": "1235"}, EXPECTED)
    assert not is_valid_signature(TOKEN, URL, {**PARAMS, "Extra": ""}, EXPECTED)


@pytest.mark.parametrize(
    ("signed_url", "checked_url"),
    [
        ("https://mycompany.com:443/myapp.php?foo=1", "https://mycompany.com/myapp.php?foo=1"),
        ("https://mycompany.com/myapp.php?foo=1", "https://mycompany.com:443/myapp.php?foo=1"),
        ("http://example.org:80/sms", "http://example.org/sms"),
        ("http://example.org/sms", "http://example.org:80/sms"),
    ],
)
def test_default_port_variants_validate(signed_url: str, checked_url: str) -> None:
    signature = compute_signature(TOKEN, signed_url, PARAMS)
    assert is_valid_signature(TOKEN, checked_url, PARAMS, signature)


def test_other_port_does_not_validate() -> None:
    signature = compute_signature(TOKEN, "https://mycompany.com:8443/sms", PARAMS)
    assert not is_valid_signature(TOKEN, "https://mycompany.com/sms", PARAMS, signature)


def test_repeated_params_all_forms_agree() -> None:
    pairs = [("To", "+15550100001"), ("MediaUrl", "https://b.example/2"), ("MediaUrl", "https://a")]
    expected = reference_signature(TOKEN, URL, pairs)
    as_dict_of_lists = {"To": "+15550100001", "MediaUrl": ["https://b.example/2", "https://a"]}
    as_multidict = MultiDict(pairs)
    assert compute_signature(TOKEN, URL, pairs) == expected
    assert compute_signature(TOKEN, URL, as_dict_of_lists) == expected
    assert compute_signature(TOKEN, URL, as_multidict) == expected
    assert is_valid_signature(TOKEN, URL, as_multidict, expected)
    # Every value counts: dropping one of the repeats must invalidate the signature.
    assert not is_valid_signature(
        TOKEN, URL, {"To": "+15550100001", "MediaUrl": "https://a"}, expected
    )


def test_normalize_params_shapes() -> None:
    assert normalize_params(None) == {}
    assert normalize_params({"A": "1", "B": ("2", "3")}) == {"A": ["1"], "B": ["2", "3"]}
    assert normalize_params(MultiDict([("A", "1"), ("A", "2")])) == {"A": ["1", "2"]}
    assert normalize_params([("A", "1"), ("A", "2")]).getall("A") == ["1", "2"]


@pytest.mark.parametrize("signature", [None, "", "not base64 at all!!", "RSOYDt4T1cUTdK1PDd93/VV"])
def test_missing_or_garbage_signature_is_false(signature: str | None) -> None:
    assert is_valid_signature(TOKEN, URL, PARAMS, signature) is False


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("https://host:notaport/sms", PARAMS),
        ("", PARAMS),
        ("https://host/sms", None),
        ("https://host/sms", {"Body": ["😜", "\x00"]}),
    ],
)
def test_garbage_input_never_raises(url: str, params: object) -> None:
    assert is_valid_signature(TOKEN, url, params, EXPECTED) is False  # type: ignore[arg-type]


def test_empty_token_never_validates() -> None:
    assert is_valid_signature("", URL, PARAMS, compute_signature("", URL, PARAMS)) is False


_names = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=8)
_values = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)


@given(params=st.dictionaries(_names, _values, max_size=6), token=st.text(min_size=1, max_size=20))
def test_roundtrip_and_tamper(params: dict[str, str], token: str) -> None:
    url = "https://example.com/sms"
    signature = compute_signature(token, url, params)
    assert signature == reference_signature(token, url, list(params.items()))
    assert is_valid_signature(token, url, params, signature)
    assert not is_valid_signature(token, url, {**params, "\x01tamper": "x"}, signature)
