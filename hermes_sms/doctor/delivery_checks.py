"""`number.delivery`: did Twilio deliver the replies we sent lately, and if not, why not.

Judged from one page of Twilio's message log (`GET Messages.json?From=<our number>`), so it
also finds what no other check can see, such as an unregistered US 10DLC number (30034):
Twilio accepts those messages and the carriers then refuse every one of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from hermes_sms.doctor import hints
from hermes_sms.doctor.catalog import failed, passed, warned
from hermes_sms.doctor.result import CheckResult
from hermes_sms.phone import redact
from hermes_sms.twilio.errors import explain

if TYPE_CHECKING:
    from hermes_sms.twilio.client import MessageRecord

CHECK = "number.delivery"
# How many of the latest messages are judged: enough to see a pattern, one small page.
PAGE_SIZE = 20
# Statuses that show a message got out of Twilio: a failure older than one of these may have
# been fixed since. ("sent" counts: some carriers never confirm delivery.)
_WENT_OUT = frozenset({"sent", "delivered", "read"})
# Codes that are not about one recipient but about the sender or the account, so every reply
# keeps failing the same way until the account is changed: these fail the check, the rest
# (one phone switched off, one recipient who texted STOP, carrier spam filtering of some
# messages) only warn.
#   30034  US 10DLC: the number is not in an approved A2P campaign; US carriers block it all.
#   30032  toll-free number not verified: likewise blocked by the carriers.
#   21606  the From number cannot send SMS for this account: nothing can be sent from it.
#   21408  SMS to the recipients' country is not enabled in the geo permissions: every reply
#          to that country fails, and a gateway's users are nearly always in one country.
BLOCKING_CODES = frozenset({30034, 30032, 21606, 21408})
# At most this many error codes are named, and this many failed messages listed in the detail.
_CODES_SHOWN = 3
_MESSAGES_SHOWN = 5

_FIXES: dict[int, str] = {
    30034: (
        "Register the number for US A2P 10DLC: in {a2p} register a brand and a campaign, and "
        "once the campaign is approved add {number} to it (or send through a Messaging Service "
        "in that campaign: set TWILIO_MESSAGING_SERVICE_SID to its MG… SID, see {services}). "
        "A verified toll-free number is often quicker to get for personal use."
    ),
    30032: "Verify the toll-free number in {toll_free}; until then carriers block its messages.",
    30007: (
        "Carriers filter unregistered traffic and spam-like content: register the number "
        "(A2P 10DLC, or toll-free verification, in {compliance}) and keep link shorteners "
        "out of replies."
    ),
    21610: "The recipient texted STOP: they must text START to {number} to get replies again.",
    21608: (
        "Trial account: verify each recipient in {verified}, or upgrade the account in {billing}."
    ),
    21408: "Allow SMS to the recipients' country in {geo}.",
    21606: "Set TWILIO_PHONE_NUMBER to an SMS-capable number of this account ({numbers}).",
    21211: "Check the numbers in SMS_ALLOWED_USERS: a recipient is not a valid phone number.",
    21614: "A recipient is a landline or cannot receive SMS: check SMS_ALLOWED_USERS.",
    30003: "The recipient's phone is off or out of coverage: it usually works again later.",
    30005: "A recipient's number does not exist (any more): check SMS_ALLOWED_USERS.",
    30006: "A recipient is a landline or cannot receive SMS: check SMS_ALLOWED_USERS.",
}


def check_delivery(
    records: Sequence[MessageRecord], phone_number: str, *, via_service: bool = False
) -> CheckResult:
    """Judge the newest messages sent from `phone_number` (newest first, as Twilio lists)."""
    shown = redact(phone_number)
    # From=<our number> lists only what we sent; the direction test guards against odd data.
    sent = [r for r in records if not r.direction.startswith("inbound")]
    note = (
        "\nTWILIO_MESSAGING_SERVICE_SID is set: messages the service sent from its other "
        "numbers, or that failed before it picked a sender, are not listed here."
        if via_service
        else ""
    )
    if not sent:
        return passed(CHECK, f"no messages sent from {shown} yet: nothing to judge")
    bad = [r for r in sent if r.failed]
    if not bad:
        return passed(
            CHECK,
            f"none of the last {len(sent)} messages sent from {shown} failed",
            detail=_latest(sent) + note,
        )
    by_code = Counter(r.error_code for r in bad).most_common()
    # Failures since the last message that got out: what happens to replies now.
    latest_ok = next((i for i, r in enumerate(sent) if r.status in _WENT_OUT), len(sent))
    current = [r for r in sent[:latest_ok] if r.failed]
    blocking = Counter(r.error_code for r in current if r.error_code in BLOCKING_CODES)
    lines = [f"error {_label(code)} × {count}: {_meaning(code)}" for code, count in by_code]
    lines += [_line(r) for r in bad[:_MESSAGES_SHOWN]]
    if len(bad) > _MESSAGES_SHOWN:
        lines.append(f"… and {len(bad) - _MESSAGES_SHOWN} more failed")
    current_sids = {r.sid for r in current}
    old_blocking = [r for r in bad if r.error_code in BLOCKING_CODES and r.sid not in current_sids]
    if old_blocking and not blocking:
        lines.append(
            f"a message sent after the error {_label(old_blocking[0].error_code)} ones went "
            "out: this may be fixed already"
        )
    detail = "\n".join(lines) + note
    if blocking:
        code, count = blocking.most_common(1)[0]
        return failed(
            CHECK,
            f"replies from {shown} are blocked by error {code} "
            f"({explain(code).rstrip('.')}): {count} of the last {len(sent)} messages failed "
            "with it, and none went out since",
            _fix([code] + [c for c, _ in by_code if c != code], phone_number),
            detail=detail,
        )
    code = by_code[0][0]
    return warned(
        CHECK,
        f"{len(bad)} of the last {len(sent)} messages from {shown} were not delivered; "
        f"most often error {_label(code)} ({_meaning(code).rstrip('.')})",
        _fix([c for c, _ in by_code], phone_number),
        detail=detail,
    )


def _fix(codes: Sequence[int | None], phone_number: str) -> str:
    """The fix for each of the first few codes, most important first, then where to look."""
    values = {
        "a2p": hints.A2P_10DLC,
        "compliance": hints.REGULATORY_COMPLIANCE,
        "toll_free": hints.TOLL_FREE_VERIFICATION,
        "services": hints.MESSAGING_SERVICES,
        "verified": hints.VERIFIED_CALLER_IDS,
        "billing": hints.BILLING,
        "geo": hints.GEO_PERMISSIONS,
        "numbers": hints.ACTIVE_NUMBERS,
        "number": redact(phone_number),
    }
    fixes: list[str] = []
    for code in codes[:_CODES_SHOWN]:
        text = _FIXES.get(code) if code is not None else None
        if text is not None and text.format(**values) not in fixes:
            fixes.append(text.format(**values))
    fixes.append(f"Each message and its error: {hints.MESSAGING_LOGS}.")
    return " ".join(fixes)


def _label(code: int | None) -> str:
    return "(none given)" if code is None else str(code)


def _meaning(code: int | None) -> str:
    # explain(None) speaks of a failed request; here Twilio simply recorded no code.
    return "Twilio recorded no reason." if code is None else explain(code)


def _line(record: MessageRecord) -> str:
    code = "" if record.error_code is None else f", error {record.error_code}"
    return f"{_when(record)} to {redact(record.to)}: {record.status}{code}"


def _latest(sent: Sequence[MessageRecord]) -> str:
    newest = sent[0]
    return f"latest: {_when(newest)} to {redact(newest.to)}, {newest.status}"


def _when(record: MessageRecord) -> str:
    moment = record.sent_at if record.sent_at is not None else record.created_at
    if moment is None:
        return "(no date)"
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M UTC")
