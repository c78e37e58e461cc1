"""The one entry point: turn a model reply into the SMS messages that will be sent.

Pipeline: markdown -> plain text, then (in "smart" mode) look-alikes -> GSM-7, then split
into bodies of at most ``limit`` UTF-16 code units, then price each body in segments.
Everything is pure: no I/O, the same reply always gives the same plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from hermes_sms.text.gsm import smart_replace
from hermes_sms.text.markdown import markdown_to_text
from hermes_sms.text.segments import Encoding, segment_info
from hermes_sms.text.split import DEFAULT_LIMIT, split_text

__all__ = ["ENCODING_MODES", "SmsPart", "SmsPlan", "plan_sms"]

#: "smart" replaces typographic look-alikes so more replies fit GSM-7; "unicode" sends the
#: text exactly as written.
ENCODING_MODES = ("smart", "unicode")


@dataclass(frozen=True)
class SmsPart:
    """One message body. ``index`` is 1-based, as in its ``(index/total)`` marker."""

    index: int
    total: int
    body: str
    encoding: Encoding
    segments: int


@dataclass(frozen=True)
class SmsPlan:
    """The messages to send for one reply, in order.

    ``parts`` is empty when the reply has no visible text (empty, whitespace, or markdown
    that renders to nothing, such as a lone horizontal rule). Whether to send a fallback or
    nothing at all is the caller's decision, not this module's.
    """

    parts: tuple[SmsPart, ...]

    @property
    def total_segments(self) -> int:
        """Segments billed for the whole reply."""
        return sum(part.segments for part in self.parts)

    @property
    def encodings(self) -> frozenset[Encoding]:
        """The encodings used by the parts (empty for an empty plan)."""
        return frozenset(part.encoding for part in self.parts)

    @property
    def bodies(self) -> tuple[str, ...]:
        """Just the message texts, in sending order."""
        return tuple(part.body for part in self.parts)


def plan_sms(
    text: str,
    *,
    encoding: str = "smart",
    markdown: bool = True,
    limit: int = DEFAULT_LIMIT,
) -> SmsPlan:
    """Plan the SMS messages for ``text``.

    ``encoding`` is "smart" (replace look-alikes, see ``smart_replace``) or "unicode"
    (leave characters alone); anything else raises ``ValueError``. ``markdown`` renders the
    text from markdown first. ``limit`` is the maximum body length in UTF-16 code units.
    """
    if encoding not in ENCODING_MODES:
        raise ValueError(f"encoding must be one of {ENCODING_MODES}, got {encoding!r}")
    if markdown:
        text = markdown_to_text(text)
    if encoding == "smart":
        text = smart_replace(text)
    bodies = split_text(text, limit)
    parts = []
    for index, body in enumerate(bodies, start=1):
        info = segment_info(body)
        parts.append(SmsPart(index, len(bodies), body, info.encoding, info.segments))
    return SmsPlan(tuple(parts))
