"""X-Twilio-Signature: compute and check webhook signatures.

A thin layer over twilio's ``RequestValidator`` so the algorithm stays Twilio's own. The validator
is imported inside the functions: it costs ~40 ms, which commands that never see a webhook should
not pay.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["SIGNATURE_HEADER", "compute_signature", "is_valid_signature", "normalize_params"]

SIGNATURE_HEADER = "X-Twilio-Signature"


class _MultiValues(dict[str, list[str]]):
    """name -> list of values, with the ``getall`` accessor RequestValidator looks for.

    RequestValidator treats a plain dict as name -> single value, so a dict of lists would be
    hashed as one unhashable value and crash; it asks for ``getall`` (werkzeug/aiohttp MultiDict)
    to get every value of a repeated name.
    """

    def getall(self, name: str) -> list[str]:
        return self[name]


def normalize_params(
    params: Mapping[str, str | Sequence[str]] | Iterable[tuple[str, str]] | None,
) -> _MultiValues:
    """Turn any common form representation into name -> [values].

    Accepts a plain mapping (values a string or a sequence of strings), a MultiDict (anything
    with ``getall``, e.g. the result of aiohttp's ``request.post()``), or (name, value) pairs.
    """
    out = _MultiValues()
    if params is None:
        return out
    if hasattr(params, "getall") and hasattr(params, "keys"):
        # MultiDict: keys() repeats a name once per value, so walk unique names and ask getall.
        for name in dict.fromkeys(params.keys()):  # type: ignore[union-attr]
            out[str(name)] = [_as_text(v) for v in params.getall(name)]  # type: ignore[union-attr]
        return out
    items: Iterable[tuple[Any, Any]]
    items = params.items() if isinstance(params, Mapping) else params
    for name, value in items:
        values = out.setdefault(str(name), [])
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            values.append(_as_text(value))
        else:
            values.extend(_as_text(v) for v in value)
    return out


def _as_text(value: object) -> str:
    # aiohttp's post() yields FileField objects for uploads; Twilio never sends those, so a plain
    # str() is enough to keep hashing from crashing on unexpected input.
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else str(value)


def compute_signature(
    auth_token: str,
    url: str,
    params: Mapping[str, str | Sequence[str]] | Iterable[tuple[str, str]] | None,
) -> str:
    """Compute the X-Twilio-Signature Twilio would send for a form POST to ``url``."""
    from twilio.request_validator import RequestValidator

    return RequestValidator(auth_token).compute_signature(url, normalize_params(params))


def is_valid_signature(
    auth_token: str,
    url: str,
    params: Mapping[str, str | Sequence[str]] | Iterable[tuple[str, str]] | None,
    signature: str | None,
) -> bool:
    """True when ``signature`` matches ``url`` and every parameter received.

    Accepts the URL with or without its default port (Twilio signs either form). Returns False,
    never raises, on a missing/empty signature or garbage input: a webhook handler should answer
    403, not 500, to a forged request.
    """
    if not signature or not isinstance(signature, str) or not auth_token:
        return False
    from twilio.request_validator import RequestValidator

    try:
        return bool(RequestValidator(auth_token).validate(url, normalize_params(params), signature))
    except (ValueError, TypeError, AttributeError, UnicodeError):
        # e.g. a URL with a non-numeric port makes urlparse raise.
        return False
