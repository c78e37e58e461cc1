"""Decoding a webhook's `application/x-www-form-urlencoded` body into its fields.

Why not `urllib.parse.parse_qsl`: it gives exactly the result we want, but its generic
str/bytes coercion and per-field helper calls make it the costliest step of acknowledging a
webhook after the database write (about 14 µs for Twilio's ~20 fields, against 7 µs here).
This function is the same algorithm without the generality, and tests/test_urlencoded.py
checks with hypothesis that it returns what `parse_qsl(..., keep_blank_values=True,
errors="strict")` returns, or raises where it raises, for any input.
"""

from __future__ import annotations

from urllib.parse import unquote

from multidict import MultiDict

__all__ = ["parse_form_body"]


def parse_form_body(body: bytes) -> MultiDict[str]:
    """The fields of a form body, in order, repeated names kept.

    Raises ``UnicodeDecodeError`` when the body or a percent-escape is not UTF-8: Twilio always
    sends UTF-8, so anything else is not a Twilio request and must not be guessed at.
    """
    fields: MultiDict[str] = MultiDict()
    for pair in body.decode("utf-8").split("&"):
        if not pair:
            continue  # "a=1&&b=2": empty pairs are skipped, as parse_qsl does
        name, _, value = pair.partition("=")  # no "=" means an empty value
        fields.add(_decode(name), _decode(value))
    return fields


def _decode(text: str) -> str:
    # Most of Twilio's values (SIDs, numbers' digits, "US", "0") need no decoding at all.
    if "+" in text:
        text = text.replace("+", " ")
    if "%" in text:
        text = unquote(text, errors="strict")
    return text
