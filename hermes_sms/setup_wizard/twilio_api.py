"""Which Twilio API setup talks to, and what it may change there, judged by the same rules as
the rest of hermes-sms.

TWILIO_API_BASE_URL (a Twilio emulator's address, in tests and the demo) is read, never
written: setup must refuse exactly what `send`, `gateway` and `doctor` refuse, in their words,
rather than fail later with a puzzling network error. And it must not point the number's
webhook where `doctor --fix` would not.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from hermes_sms.config import DEFAULT_API_BASE_URL, ConfigError, TwilioConfig, parse_settings
from hermes_sms.doctor.loading import problem_variable

BASE_URL_VARIABLE = "TWILIO_API_BASE_URL"


def base_url_problems(existing: Mapping[str, str]) -> list[str]:
    """The configuration's sentences about TWILIO_API_BASE_URL in `existing` (the file and the
    environment merged); [] when it is unset or usable."""
    raw = existing.get(BASE_URL_VARIABLE)
    if raw is None:
        return []
    # The configuration's own parser, given this one variable: the required Twilio variables
    # it then misses are problems about other names, filtered out below. `home` and
    # `env_path` are only recorded in the result, never read.
    try:
        parse_settings({BASE_URL_VARIABLE: raw}, home=Path(), env_path=Path())
    except ConfigError as exc:
        return [p for p in exc.problems if problem_variable(p) == BASE_URL_VARIABLE]
    return []


def base_url(existing: Mapping[str, str]) -> str:
    """The API base URL to talk to, without its trailing / (check `base_url_problems` first)."""
    return (existing.get(BASE_URL_VARIABLE) or DEFAULT_API_BASE_URL).rstrip("/")


def webhook_refusal(api_base_url: str, webhook_url: str) -> str | None:
    """Why the number must not be pointed at `webhook_url`, or None when it may: real Twilio
    cannot reach a local or private address (the number would stop receiving messages), a
    local emulator can. The rule and the words of `doctor --fix`."""
    from hermes_sms.doctor.twilio_checks import refusal

    # The rule looks at the API base URL alone; the credentials play no part in it.
    return refusal(TwilioConfig("", "", "", api_base_url=api_base_url), webhook_url)
