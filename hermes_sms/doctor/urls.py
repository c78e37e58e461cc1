"""URL reasoning for the webhook checks: where /health lives, and whether Twilio can reach a host.

Pure functions, no network: a host name is judged by its spelling, never resolved (the doctor
must not depend on DNS to say that `localhost` is local).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit, urlunsplit

from hermes_sms.gateway.paths import HEALTH_PATH, WEBHOOK_PATH

_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")


def health_url(webhook_url: str) -> str:
    """The gateway's /health behind the same public URL: the path `/webhooks/twilio` is
    replaced with `/health` (keeping any prefix a reverse proxy adds, e.g. `/sms/health`).

    A URL whose path does not end in `/webhooks/twilio` gets `/health` at its root.
    """
    parts = urlsplit(webhook_url)
    path = parts.path.rstrip("/")
    prefix = path[: -len(WEBHOOK_PATH)] if path.endswith(WEBHOOK_PATH) else ""
    return urlunsplit((parts.scheme, parts.netloc, prefix + HEALTH_PATH, "", ""))


def private_host_reason(host: str | None) -> str | None:
    """Why Twilio cannot reach `host` from the internet, or None when it may be public."""
    if not host:
        return "the URL has no host"
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(_LOCAL_SUFFIXES):
        return f"{host} is a local name"
    if "." not in name and ":" not in name:
        return f"{host} is a bare machine name, not a public domain"
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return None
    if address.is_loopback:
        return f"{host} is this machine (loopback)"
    if not address.is_global:
        return f"{host} is a private address"
    return None


def host_of(url: str) -> str | None:
    return urlsplit(url).hostname


def is_https(url: str) -> bool:
    return urlsplit(url).scheme == "https"


def path_of(url: str) -> str:
    return urlsplit(url).path
