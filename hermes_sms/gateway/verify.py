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
    cloudflared or ngrok tunnel (which terminates https and forwards plain http) just works,
    and `X-Forwarded-Port` when the host has no port of its own (nginx's usual
    `X-Forwarded-Host $host` drops it). Trusting these headers is safe: they only choose which
    URL we check, and no URL validates without the auth token.
    """
    if configured_url:
        return configured_url
    proto = (_first(headers.get("X-Forwarded-Proto")) or scheme).lower()
    netloc = _first(headers.get("X-Forwarded-Host")) or host
    port = _first(headers.get("X-Forwarded-Port"))
    if (
        port
        and port.isascii()
        and port.isdigit()
        and not _has_port(netloc)
        and int(port) != _DEFAULT_PORTS.get(proto)
    ):
        netloc = f"{netloc}:{int(port)}"
    return f"{proto}://{netloc}{path_qs}"


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _has_port(netloc: str) -> bool:
    # "[::1]:8443" and "host:8443" have one; "[::1]" and "host" do not.
    return ":" in netloc.rpartition("]")[2]


def _first(value: str | None) -> str | None:
    # Chained proxies append: "https, http" — the first is what the client (Twilio) used.
    if not value:
        return None
    return value.split(",")[0].strip() or None
