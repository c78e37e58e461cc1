"""X-Twilio-Signature: compute and check webhook signatures.

A thin layer over twilio's ``RequestValidator`` so the algorithm stays Twilio's own. The validator
is imported inside the functions: it costs ~40 ms, which commands that never see a webhook should
not pay.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from multidict import MultiDict

__all__ = [
    "SIGNATURE_HEADER",
    "SIGNATURE_SETTINGS_HEADER",
    "compute_signature",
    "is_valid_signature",
    "normalize_params",
]

SIGNATURE_HEADER = "X-Twilio-Signature"
# Present when Twilio signed the webhook with a webhook SharedKey (`key=…,algorithm=…`) rather
# than the account's auth token; such a signature cannot be checked with TWILIO_AUTH_TOKEN.
SIGNATURE_SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"


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


@lru_cache(maxsize=8)
def _validator(auth_token: str) -> Any:
    # One validator per token: building it (and importing it) on every webhook is waste.
    from twilio.request_validator import RequestValidator

    return RequestValidator(auth_token)


def _params_for_validator(
    params: Mapping[str, str | Sequence[str]] | Iterable[tuple[str, str]] | None,
) -> Any:
    # A MultiDict of strings (what the gateway parses) is already what RequestValidator reads;
    # copying it into lists costs more than the HMAC on every webhook.
    if isinstance(params, MultiDict):
        return params
    return normalize_params(params)


def compute_signature(
    auth_token: str,
    url: str,
    params: Mapping[str, str | Sequence[str]] | Iterable[tuple[str, str]] | None,
) -> str:
    """Compute the X-Twilio-Signature Twilio would send for a form POST to ``url``."""
    return str(_validator(auth_token).compute_signature(url, _params_for_validator(params)))


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
    try:
        validator = _validator(auth_token)
        form = _params_for_validator(params)
        # Fast path: the URL exactly as received is always one of the forms RequestValidator
        # accepts, so a match here is a match there, at one HMAC instead of two.
        expected = validator.compute_signature(url, form)
        if hmac.compare_digest(expected.encode(), signature.encode()):
            return True
        return bool(validator.validate(url, form, signature))
    except (ValueError, TypeError, AttributeError, UnicodeError):
        # e.g. a URL with a non-numeric port makes urlparse raise.
        return False
