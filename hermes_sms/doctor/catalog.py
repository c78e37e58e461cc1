"""Every check the doctor knows, in display order: its stable id, section and a short title.

The ids are a contract (scripts read them from `--json`, the troubleshooting guide names
them): add new ones, never rename. Results are built through `result()` so a check cannot
land in the wrong section.
"""

from __future__ import annotations

from dataclasses import dataclass

from hermes_sms.doctor.result import CheckResult, Status

CONFIGURATION = "Configuration"
TWILIO_ACCOUNT = "Twilio account"
PHONE_NUMBER = "Phone number"
WEBHOOK = "Webhook"
AGENT = "Agent"
SECTIONS = (CONFIGURATION, TWILIO_ACCOUNT, PHONE_NUMBER, WEBHOOK, AGENT)


@dataclass(frozen=True)
class CheckSpec:
    id: str
    section: str
    title: str


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec("config.env_file", CONFIGURATION, ".env file"),
    CheckSpec("config.required", CONFIGURATION, "Twilio variables"),
    CheckSpec("config.variables", CONFIGURATION, "other settings"),
    CheckSpec("config.allowed_users", CONFIGURATION, "allowed senders"),
    CheckSpec("config.home_channel", CONFIGURATION, "home channel"),
    CheckSpec("twilio.credentials", TWILIO_ACCOUNT, "credentials"),
    CheckSpec("twilio.account_status", TWILIO_ACCOUNT, "account status"),
    CheckSpec("twilio.account_type", TWILIO_ACCOUNT, "account type"),
    CheckSpec("number.owned", PHONE_NUMBER, "number ownership"),
    CheckSpec("number.sms_capable", PHONE_NUMBER, "SMS capability"),
    CheckSpec("number.webhook_url", PHONE_NUMBER, "'A message comes in' webhook"),
    CheckSpec("number.delivery", PHONE_NUMBER, "reply delivery"),
    CheckSpec("webhook.url", WEBHOOK, "SMS_WEBHOOK_URL"),
    CheckSpec("webhook.port", WEBHOOK, "local port"),
    CheckSpec("webhook.health", WEBHOOK, "public URL"),
    CheckSpec("webhook.signature", WEBHOOK, "signed test webhook"),
    CheckSpec("agent.reachable", AGENT, "agent"),
    CheckSpec("agent.model", AGENT, "model"),
)

_BY_ID = {spec.id: spec for spec in CHECKS}
_ORDER = {spec.id: index for index, spec in enumerate(CHECKS)}


def spec(check_id: str) -> CheckSpec:
    return _BY_ID[check_id]


def ids_in(section: str) -> tuple[str, ...]:
    return tuple(s.id for s in CHECKS if s.section == section)


def order(check_id: str) -> int:
    return _ORDER[check_id]


def result(
    check_id: str,
    status: Status,
    message: str,
    *,
    detail: str | None = None,
    fix: str | None = None,
) -> CheckResult:
    """A CheckResult for a catalogued check (KeyError for an unknown id: a typo is a bug)."""
    return CheckResult(check_id, _BY_ID[check_id].section, status, message, detail, fix)


def passed(check_id: str, message: str, *, detail: str | None = None) -> CheckResult:
    return result(check_id, Status.PASS, message, detail=detail)


def warned(check_id: str, message: str, fix: str, *, detail: str | None = None) -> CheckResult:
    return result(check_id, Status.WARN, message, detail=detail, fix=fix)


def failed(check_id: str, message: str, fix: str, *, detail: str | None = None) -> CheckResult:
    return result(check_id, Status.FAIL, message, detail=detail, fix=fix)


def skipped(check_id: str, reason: str) -> CheckResult:
    """A check that did not run; the message names it, since several skip for one reason."""
    return result(check_id, Status.SKIP, f"{_BY_ID[check_id].title} not checked: {reason}")
