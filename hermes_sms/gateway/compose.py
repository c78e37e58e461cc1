"""Turn reply text into the parts the outbox queues, through the one text pipeline."""

from __future__ import annotations

from hermes_sms.store import NewPart
from hermes_sms.text import plan_sms


def compose(text: str, encoding: str) -> list[NewPart]:
    """Markdown stripped, smart-encoded (or not), split at 1600 with part markers."""
    plan = plan_sms(text, encoding=encoding)
    return [NewPart(part.body, part.encoding.value, part.segments) for part in plan.parts]
