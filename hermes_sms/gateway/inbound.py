"""What to do with one verified inbound webhook: authorise, dedupe, store, or ignore.

Framework-neutral: it takes the form's fields and returns an outcome, after the message is on
disk when it is accepted (see group_commit). The aiohttp layer only answers with TwiML.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

from hermes_sms import messages
from hermes_sms.config import Settings
from hermes_sms.gateway.compose import compose
from hermes_sms.gateway.group_commit import InboundBatcher
from hermes_sms.gateway.keywords import Keyword, carrier_keyword
from hermes_sms.gateway.ratelimit import SenderRateLimiter, Verdict
from hermes_sms.phone import PhoneNumberError, normalize_e164, redact
from hermes_sms.store import IGNORED, NewInbound, Store

MAX_MEDIA = 10  # Twilio delivers at most 10 media items per MMS.


class MalformedWebhook(ValueError):
    """The form lacks a field every Twilio message webhook has, or it is unusable."""


@dataclass(frozen=True)
class InboundForm:
    message_sid: str
    account_sid: str
    sender: str  # as Twilio wrote it; normalised later
    body: str
    media: tuple[tuple[str, str], ...]  # (content type, url)


def parse_form(params: Mapping[str, str]) -> InboundForm:
    """Pick the fields we use; the signature was already checked over every field."""
    message_sid = params.get("MessageSid") or params.get("SmsMessageSid") or ""
    sender = params.get("From", "")
    if not message_sid or not sender:
        raise MalformedWebhook("MessageSid and From are required")
    try:
        count = min(int(params.get("NumMedia") or 0), MAX_MEDIA)
    except ValueError:
        raise MalformedWebhook("NumMedia is not a number") from None
    media = []
    for index in range(max(count, 0)):
        url = params.get(f"MediaUrl{index}")
        if url:
            kind = params.get(f"MediaContentType{index}") or "application/octet-stream"
            media.append((kind, url))
    return InboundForm(
        message_sid=message_sid,
        account_sid=params.get("AccountSid", ""),
        sender=sender,
        body=params.get("Body", ""),
        media=tuple(media),
    )


def is_authorised(settings: Settings, sender: str) -> bool:
    """Deny by default: replying costs money and reveals that a bot answers this number."""
    return settings.allow_all_users or sender in settings.allowed_users


class Outcome(Enum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    ECHO = "echo"
    UNAUTHORISED = "unauthorised"
    OPTED_OUT = "opted-out"
    OPTED_IN = "opted-in"
    CARRIER_HELP = "carrier-help"
    STILL_OPTED_OUT = "still-opted-out"
    RATE_LIMITED = "rate-limited"


class InboundHandler:
    """Decides and records; `wake(sender)` is called when a sender has work to do.

    Accepted messages go through group commit; the rare others (ignored, keywords) are
    written at once, as they also change other state in the same transaction."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        wake: Callable[[str], None],
        log: logging.Logger,
    ) -> None:
        self._settings = settings
        self._store = store
        self._wake = wake
        self._log = log
        self._own_number = settings.require_twilio().phone_number
        self._limiter = SenderRateLimiter(settings.rate_limit) if settings.rate_limit else None
        self._batcher = InboundBatcher(store, wake)

    def is_authorised(self, sender: str) -> bool:
        return is_authorised(self._settings, sender)

    async def handle(self, form: InboundForm) -> Outcome:
        try:
            sender = normalize_e164(form.sender)
        except PhoneNumberError:
            # Short codes, alphanumeric senders, other channels: never on an allowlist.
            self._log.info("ignored message from %s: not a phone number", redact(form.sender))
            return Outcome.UNAUTHORISED
        who = redact(sender)
        if sender == self._own_number:
            self._log.info("ignored message from our own number %s (echo)", who)
            return Outcome.ECHO
        if not self.is_authorised(sender):
            keyword = carrier_keyword(form.body)
            if keyword in (Keyword.OPT_OUT, Keyword.OPT_IN):
                # Still recorded: the number may be allowed later, or be a `send` recipient,
                # and nothing may ever go to a number that texted STOP.
                return self._keyword(form, sender, keyword, suffix=" (not in SMS_ALLOWED_USERS)")
            self._log.info("ignored message from %s: not in SMS_ALLOWED_USERS", who)
            return Outcome.UNAUTHORISED
        seen, opted_out = self._store.inbound_lookup(form.message_sid, sender)
        if seen:
            self._log.info("ignored repeated delivery %s from %s", form.message_sid, who)
            return Outcome.DUPLICATE

        keyword = carrier_keyword(form.body)
        if keyword is not None:
            return self._keyword(form, sender, keyword)
        if opted_out:
            self._ignore(form, sender, "sender opted out; text START to opt back in")
            self._log.info("ignored message from %s: opted out (START opts back in)", who)
            return Outcome.STILL_OPTED_OUT
        if self._limiter is not None:
            verdict = self._limiter.check(sender)
            if verdict is not Verdict.ALLOW:
                return self._rate_limited(form, sender, verdict)

        # The batcher wakes the sender's worker once the message is committed.
        message = NewInbound(form.message_sid, sender, form.body, form.media)
        if not await self._batcher.record(message):
            self._log.info("ignored repeated delivery %s from %s", form.message_sid, who)
            return Outcome.DUPLICATE
        media = f", {len(form.media)} media" if form.media else ""
        self._log.info(
            "received %s from %s (%d characters%s)", form.message_sid, who, len(form.body), media
        )
        return Outcome.ACCEPTED

    def _ignore(self, form: InboundForm, sender: str, note: str) -> None:
        # Stored (as ignored) so a repeated delivery is recognised and the record is complete.
        self._store.record_inbound(
            form.message_sid, sender, form.body, form.media, state=IGNORED, note=note
        )

    def _keyword(
        self, form: InboundForm, sender: str, keyword: Keyword, *, suffix: str = ""
    ) -> Outcome:
        who = redact(sender)
        word = form.body.strip().upper()
        # Twilio answers these keywords itself; a reply from us would be a second, paid message.
        opted_out, note, outcome = {
            Keyword.OPT_OUT: (True, "opt-out keyword", Outcome.OPTED_OUT),
            Keyword.OPT_IN: (False, "opt-in keyword", Outcome.OPTED_IN),
            Keyword.HELP: (None, "carrier help keyword", Outcome.CARRIER_HELP),
        }[keyword]
        dropped = self._store.record_keyword(
            form.message_sid, sender, form.body, opted_out=opted_out, note=note
        )
        if dropped is None:
            return Outcome.DUPLICATE
        if keyword is Keyword.OPT_OUT:
            extra = f"; {dropped} unsent part(s) dropped" if dropped else ""
            self._log.info("%s opted out (%s)%s%s", who, word, suffix, extra)
        elif keyword is Keyword.OPT_IN:
            self._log.info("%s opted back in (%s)%s", who, word, suffix)
        else:
            self._log.info("ignored %s from %s: Twilio answers it", word, who)
        return outcome

    def _rate_limited(self, form: InboundForm, sender: str, verdict: Verdict) -> Outcome:
        self._ignore(form, sender, "rate limited")
        self._log.info("dropped message from %s: over SMS_RATE_LIMIT", redact(sender))
        if verdict is Verdict.DROP_AND_NOTIFY:
            parts = compose(messages.RATE_LIMIT_NOTICE, self._settings.encoding)
            self._store.queue_outbound(sender, parts, kind="notice")
            self._wake(sender)
        return Outcome.RATE_LIMITED
