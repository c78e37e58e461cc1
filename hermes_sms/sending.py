"""Send a planned SMS, part by part, in order, through the Twilio client.

Used by `hermes-sms send`; the gateway sends through its durable outbox but shares
`origin_fields` so both address Twilio the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hermes_sms.config import TwilioConfig
    from hermes_sms.text import SmsPart, SmsPlan
    from hermes_sms.twilio.client import TwilioClient
    from hermes_sms.twilio.errors import TwilioError


@dataclass(frozen=True)
class SentPart:
    part: SmsPart
    sid: str
    status: str


class SendError(Exception):
    """Twilio refused a part (or retries ran out); `sent` lists the parts that did go out."""

    def __init__(self, error: TwilioError, part: SmsPart, sent: list[SentPart]) -> None:
        super().__init__(str(error))
        self.error = error
        self.part = part
        self.sent = sent


def origin_fields(twilio: TwilioConfig) -> dict[str, str]:
    """From, or MessagingServiceSid when one is configured (required for US A2P 10DLC)."""
    if twilio.messaging_service_sid:
        return {"messaging_service_sid": twilio.messaging_service_sid}
    return {"from_": twilio.phone_number}


async def send_plan(
    client: TwilioClient,
    twilio: TwilioConfig,
    to: str,
    plan: SmsPlan,
    *,
    status_callback: str | None = None,
) -> list[SentPart]:
    """Send every part in order; stop at the first refusal so later parts never arrive alone."""
    from hermes_sms.twilio.errors import TwilioError

    sent: list[SentPart] = []
    for part in plan.parts:
        try:
            message = await client.create_message(
                to=to,
                body=part.body,
                status_callback=status_callback,
                **origin_fields(twilio),
            )
        except TwilioError as error:
            raise SendError(error, part, sent) from error
        sent.append(SentPart(part=part, sid=message.sid, status=message.status))
    return sent
