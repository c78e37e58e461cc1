"""Which URL a webhook's signature covers (the check itself is `twilio.signature`).

Kept apart from the web framework: it takes the pieces of a request, not an aiohttp object.
"""

from __future__ import annotations

from collections.abc import Mapping


def public_url(
    *,
    scheme: str,
    host: str,
    path_qs: str,
    headers: Mapping[str, str],
    configured_url: str | None,
) -> str:
    """The URL Twilio requested, which is the URL it signed.

    `SMS_WEBHOOK_URL` wins when set: it is exactly what the user entered in the Twilio console.
    Otherwise rebuild it from the request, trusting `X-Forwarded-Proto`/`X-Forwarded-Host` so a
    cloudflared or ngrok tunnel (which terminates https and forwards plain http) just works.
    Trusting these headers is safe: they only choose which URL we check, and no URL validates
    without the auth token.
    """
    if configured_url:
        return configured_url
    forwarded_proto = _first(headers.get("X-Forwarded-Proto"))
    forwarded_host = _first(headers.get("X-Forwarded-Host"))
    return f"{forwarded_proto or scheme}://{forwarded_host or host}{path_qs}"


def _first(value: str | None) -> str | None:
    # Chained proxies append: "https, http" — the first is what the client (Twilio) used.
    if not value:
        return None
    return value.split(",")[0].strip() or None
