"""Secrets in doctor output: shown masked at most (`…9f3a`), and scrubbed from every text.

Checks only ever print masked values, but messages also quote servers and libraries; the
final scrub makes sure a secret echoed back by one of them never reaches the terminal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from hermes_sms.doctor.result import CheckResult
from hermes_sms.masking import display_urls_in, mask_secret

# Shorter "secrets" are too likely to occur in ordinary text to be replaced safely.
_MIN_LENGTH_TO_SCRUB = 4


def mask(secret: str | None) -> str:
    """`…9f3a` for a long secret, `…` for a short one, `(not set)` for none."""
    return mask_secret(secret) or "(not set)"


def scrub(results: Iterable[CheckResult], secrets: Iterable[str | None]) -> list[CheckResult]:
    """Replace every secret in message, detail and fix with its masked form, and the user info
    of every URL with `…`."""
    found = sorted(
        {s for s in secrets if s and len(s) >= _MIN_LENGTH_TO_SCRUB}, key=len, reverse=True
    )

    def clean(text: str | None) -> str | None:
        if text is None:
            return None
        # URLs first: user info is hidden even when it is no variable's password (a bare
        # token, or the URL Twilio reports for the number).
        text = display_urls_in(text)
        for secret in found:
            text = text.replace(secret, mask(secret))
        return text

    cleaned = []
    for item in results:
        cleaned.append(
            replace(
                item,
                message=clean(item.message) or "",
                detail=clean(item.detail),
                fix=clean(item.fix),
            )
        )
    return cleaned
