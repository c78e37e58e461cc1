"""Secrets and URLs fit to show: enough to recognise a stored value, never enough to use it."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

# Below this length the last four characters would be too large a share of the secret.
MIN_LENGTH_TO_HINT = 12


def mask_secret(value: str | None) -> str:
    """`…9f3a`: enough to recognise a stored secret, never enough to use it.

    Values shorter than 12 characters show nothing at all, since their last four would be a
    large part of the secret.
    """
    if not value:
        return ""
    return "…" + value[-4:] if len(value) >= MIN_LENGTH_TO_HINT else "…"


def display_url(url: str) -> str:
    """`url` fit to print: any user info inside it (`https://user:pw@host`, or a bare token as
    `https://TOKEN@host`) shows as `…`. Text that is not a URL is returned as it is."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"…@{host}"))
