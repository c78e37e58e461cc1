"""hermes_sms.sandbox: a Twilio REST emulator and a pretend phone that posts signed webhooks.

Used by tests, the demo command and benchmarks; nothing here talks to the real Twilio.
"""

from hermes_sms.sandbox.emulator import CallbackRecord, Fault, RecordedRequest, TwilioEmulator
from hermes_sms.sandbox.phone import (
    InboundResult,
    new_message_sid,
    post_inbound,
    post_status_callback,
)

__all__ = [
    "CallbackRecord",
    "Fault",
    "InboundResult",
    "RecordedRequest",
    "TwilioEmulator",
    "new_message_sid",
    "post_inbound",
    "post_status_callback",
]
