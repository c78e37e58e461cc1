"""Secrets and URLs fit to show: enough to recognise a stored value, never enough to use it."""

from __future__ import annotations

import re
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


def has_userinfo(url: str) -> bool:
    """Whether `url` carries `user:password@` (or a bare `token@`) before its host."""
    try:
        return "@" in urlsplit(url).netloc
    except ValueError:
        return False


def without_userinfo(url: str) -> str:
    """`url` with its user info removed altogether (for URLs shown as where we connect)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


# A URL's scheme and `//`, then its user info: everything up to the last `@` before the host
# ends (at `/`, `?`, `#` or white space), as urlsplit and display_url take it.
_URL_USERINFO = re.compile(r"(?P<start>\b[A-Za-z][A-Za-z0-9+.\-]*://)[^\s/?#]*@")


def display_urls_in(text: str) -> str:
    """`text` with the user info of every URL in it shown as `…`, as `display_url` shows a
    single URL: for texts that quote URLs we did not choose (a server's answer, an error)."""
    return _URL_USERINFO.sub(r"\g<start>…@", text)
