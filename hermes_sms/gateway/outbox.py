"""Durable sending: queued parts go to Twilio in order, each recording its SID once accepted.

A part is marked `sending` before its request and `sent` with Twilio's SID after. A part found
in `sending` at start-up was interrupted mid-request (a crash): Twilio may have accepted it, so
we look for it in Twilio's message log before sending it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from hermes_sms.config import TwilioConfig
from hermes_sms.phone import redact
from hermes_sms.sending import origin_fields
from hermes_sms.store import SENDING, OutboundPart, Store
from hermes_sms.twilio.client import TwilioClient
from hermes_sms.twilio.errors import TwilioError

OPTED_OUT_CODE = 21610
THROTTLED, THROTTLED_CODE = 429, 20429
# How far back to look for an interrupted part: clocks differ and Twilio stamps whole seconds.
RECONCILE_SLACK_SECONDS = 120.0


@dataclass(frozen=True)
class FlushResult:
    # False when transient failures outlasted the client's retries: try the rest later.
    complete: bool
    sent: int = 0


class Outbox:
    def __init__(
        self,
        store: Store,
        client: TwilioClient,
        twilio: TwilioConfig,
        log: logging.Logger,
        *,
        status_callback: str | None = None,
    ) -> None:
        self._store = store
        self._client = client
        self._twilio = twilio
        self._log = log
        self._status_callback = status_callback

    async def flush(self, recipient: str) -> FlushResult:
        """Send every unsent part for `recipient`, oldest first, stopping at a transient error."""
        sids: list[str] = []
        segments = 0
        try:
            for part in self._store.unsent_parts(recipient):
                if self._store.is_opted_out(recipient):
                    dropped = self._store.skip_unsent(recipient, "recipient opted out")
                    self._log.info(
                        "not sending %d part(s) to %s: opted out", dropped, redact(recipient)
                    )
                    break
                sid = await self._send(part)
                if sid is None:
                    continue
                sids.append(sid)
                segments += part.segments
        except _Deferred:
            return FlushResult(complete=False, sent=len(sids))
        finally:
            if sids:
                self._log.info(
                    "replied to %s: %d part(s), %d segment(s), %s",
                    redact(recipient),
                    len(sids),
                    segments,
                    " ".join(sids),
                )
        return FlushResult(complete=True, sent=len(sids))

    async def _send(self, part: OutboundPart) -> str | None:
        """The part's SID once Twilio has it; None when Twilio refused it for good."""
        if part.state == SENDING:
            found = await self._find_accepted(part)
            if found is not None:
                self._store.mark_sent(part.id, found, "recovered")
                self._log.info(
                    "part %d/%d to %s was accepted before a restart (%s): not sent again",
                    part.part_index,
                    part.part_total,
                    redact(part.recipient),
                    found,
                )
                return None
        # Checked again here, not only before the loop: the look-up above waits on the network,
        # and a STOP that arrived meanwhile has marked this part skipped.
        if self._store.is_opted_out(part.recipient) or not self._store.mark_sending(part.id):
            return None
        try:
            message = await self._client.create_message(
                to=part.recipient,
                body=part.body,
                status_callback=self._status_callback,
                # A 5xx or a lost answer may hide an accepted message: rather than the client's
                # blind retry, the part stays `sending` and is looked up in Twilio's message log
                # before it is sent again (`_find_accepted`), so a reply never goes twice.
                retry_unanswered=False,
                **origin_fields(self._twilio),
            )
        except TwilioError as error:
            return self._refused(part, error)
        self._store.mark_sent(part.id, message.sid, message.status)
        return message.sid

    def _refused(self, part: OutboundPart, error: TwilioError) -> None:
        who = redact(part.recipient)
        if error.code == OPTED_OUT_CODE:
            self._store.mark_failed(part.id, error.code, error.message)
            self._store.set_opted_out(part.recipient, True, str(OPTED_OUT_CODE))
            self._log.info("%s has opted out (Twilio 21610): marked, nothing more sent", who)
            return None
        if error.retryable:
            # A 429 was never processed: sending again cannot duplicate it. (Unless an earlier
            # attempt went unanswered: then it stays in doubt, like a timeout.) Otherwise (5xx,
            # timeout, no answer) Twilio may have accepted it: the part stays `sending`, so the
            # next attempt first looks for it in Twilio's message log.
            throttled = error.status == THROTTLED or error.code == THROTTLED_CODE
            if throttled and not error.in_doubt:
                self._store.requeue(part.id)
                when = ""
            else:
                when = " once Twilio's message log shows it was not sent"
            self._log.warning("send to %s deferred, will retry%s: %s", who, when, error)
            raise _Deferred
        self._store.mark_failed(part.id, error.code, error.message)
        self._log.warning(
            "failed to send part %d/%d to %s: %s", part.part_index, part.part_total, who, error
        )
        return None

    async def _find_accepted(self, part: OutboundPart) -> str | None:
        """Twilio's SID for an interrupted part, if Twilio had accepted it."""
        since = (part.sending_at or 0.0) - RECONCILE_SLACK_SECONDS
        try:
            candidates = await self._client.list_messages(to=part.recipient, sent_after=since)
        except TwilioError as error:
            # Unknown is not "not sent": defer rather than risk a duplicate.
            self._log.warning(
                "cannot check whether an interrupted part to %s was sent: %s",
                redact(part.recipient),
                error,
            )
            raise _Deferred from error
        for message in candidates:
            # Replies repeat (apologies, /help, "OK"): a SID that another part already holds
            # is that part's, not this one's.
            if (
                message.has_body(part.body)
                and message.direction.startswith("outbound")
                and not self._store.has_sid(message.sid)
            ):
                return message.sid
        return None


class _Deferred(Exception):
    """A transient failure: leave the rest of this recipient's queue for later."""
