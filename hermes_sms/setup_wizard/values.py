"""Where each value comes from, in order: a flag, the environment, the existing `.env`, the
built-in default. Resolving also checks every value and lists what is missing, so
`--non-interactive` can fail with the whole list at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hermes_sms.config import REQUIRED_TWILIO, read_environment
from hermes_sms.masking import display_url, mask_secret
from hermes_sms.setup_wizard.fields import (
    AGENT_URL,
    ALLOW_ALL_USERS,
    ALLOWED_USERS,
    FIELDS,
    HOME_CHANNEL,
    WEBHOOK_URL,
    Field,
)


@dataclass
class Resolved:
    """The outcome of resolving: usable `values` (variable → normalised value, unset ones
    absent), plus the `problems` (full sentences) and `missing` required fields, if any."""

    values: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    missing: list[Field] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.missing


def existing_values(environ: Mapping[str, str]) -> dict[str, str]:
    """What is configured now: `$HERMES_HOME/.env` overlaid by the process environment.

    These are the defaults of a re-run, so running setup again is how one value is changed.
    """
    return read_environment(environ)


def problem(spec: Field, raw: str, reason: str) -> str:
    """One sentence naming the variable, its flag and what is wrong; a secret is never quoted,
    nor the user info of a URL (`https://user:pw@host` is quoted as `https://…@host`)."""
    value = raw.strip()
    quoted = repr(value)
    shown_value = shown_url(value) if spec in (WEBHOOK_URL, AGENT_URL) else value
    # Phone number errors already quote the value; a secret is never quoted at all.
    if spec.secret or shown_value is None or quoted in reason:
        shown = ""
    else:
        shown = f", got {shown_value!r}"
    return f"{spec.name} ({spec.flag}) {reason}{shown}."


def shown_url(value: str) -> str | None:
    """`value` with its user info masked (see `display_url`), or None when it holds an `@`
    that is not plainly user info (`bob:pw@host` without a scheme): then it is not shown."""
    shown = display_url(value)
    return None if "@" in shown.replace("…@", "", 1) else shown


def missing_line(spec: Field) -> str:
    meaning = REQUIRED_TWILIO.get(spec.name, spec.label)
    return f"{spec.name} ({spec.flag}): {meaning}"


def resolve(given: Mapping[str, str | None], existing: Mapping[str, str]) -> Resolved:
    """Pick and check a value for every field.

    `given` maps variable names to flag values: None means the flag was not used, "" that it
    was used to clear the value (so `--home-channel ""` removes a stored home channel).
    """
    result = Resolved()
    for spec in FIELDS:
        raw = given.get(spec.name)
        if raw is None:
            raw = existing.get(spec.name, "")
        if not raw.strip():
            raw = spec.default or ""
        if not raw.strip():
            if spec.required:
                result.missing.append(spec)
            continue
        try:
            result.values[spec.name] = spec.check(raw)
        except ValueError as exc:
            result.problems.append(problem(spec, raw, str(exc)))
    if (given.get(ALLOWED_USERS.name) or "").strip() and given.get(ALLOW_ALL_USERS.name) is None:
        # Naming who may text means only them, as in the wizard; SMS_ALLOW_ALL_USERS=true
        # left over in the file would silently answer everyone else too.
        result.values[ALLOW_ALL_USERS.name] = "false"
    apply_home_channel_default(result.values, explicit=given.get(HOME_CHANNEL.name) is not None)
    return result


def apply_home_channel_default(values: dict[str, str], *, explicit: bool = False) -> None:
    """Without a home channel, the first allowed user gets `send` messages and notices.

    Not when the home channel was cleared on purpose (`explicit`).
    """
    if explicit or values.get(HOME_CHANNEL.name):
        return
    allowed = values.get(ALLOWED_USERS.name, "")
    if allowed:
        values[HOME_CHANNEL.name] = allowed.split(",")[0]


@dataclass(frozen=True)
class SummaryRow:
    name: str
    shown: str
    # "new", "changed", "removed" or "" (unchanged), compared with the file on disk.
    change: str


def summary_rows(values: Mapping[str, str], on_disk: Mapping[str, str]) -> list[SummaryRow]:
    """The rows of the summary shown before writing; secrets appear only as `…9f3a`."""
    rows = []
    for spec in FIELDS:
        new = values.get(spec.name)
        old = on_disk.get(spec.name)
        if new is None:
            shown = "(not set)"
        elif spec.secret:
            shown = mask_secret(new)
        elif spec in (WEBHOOK_URL, AGENT_URL):
            shown = display_url(new)
        else:
            shown = new.replace(",", ", ")
        if new == old or (new is None and not old):
            change = ""
        elif old is None or old == "":
            change = "new"
        elif new is None:
            change = "removed"
        else:
            change = "changed"
        rows.append(SummaryRow(spec.name, shown, change))
    return rows


def env_updates(values: Mapping[str, str]) -> dict[str, str | None]:
    """Every managed variable → its new value, or None to remove it from the file."""
    return {spec.name: values.get(spec.name) for spec in FIELDS}
