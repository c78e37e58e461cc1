"""How many SMS segments a message body costs.

Carriers bill per segment. A message that fits one SMS gets the whole payload (160 GSM-7
septets or 70 UCS-2 code units); a longer one is sent as a concatenated SMS whose every
segment loses room to the User Data Header (UDH), leaving 153 septets or 67 code units.
Segments are filled greedily and a character is never split across two of them: a GSM-7
extension character (escape + code, 2 septets) or a UTF-16 surrogate pair (2 code units)
that would straddle the boundary moves whole to the next segment. That is why counts are
computed by packing, not by dividing the total.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from hermes_sms.text.gsm import GSM7_EXTENDED, is_gsm7

__all__ = [
    "GSM7_MULTI",
    "GSM7_SINGLE",
    "UCS2_MULTI",
    "UCS2_SINGLE",
    "Encoding",
    "SegmentInfo",
    "segment_info",
    "utf16_len",
]

GSM7_SINGLE = 160  # septets in a message that fits one SMS
GSM7_MULTI = 153  # septets per segment of a concatenated SMS
UCS2_SINGLE = 70  # UTF-16 code units in a single SMS
UCS2_MULTI = 67  # UTF-16 code units per segment of a concatenated SMS


class Encoding(StrEnum):
    """The character encoding an SMS is sent in."""

    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True)
class SegmentInfo:
    """Cost of one message body.

    ``units`` are septets for GSM-7 and UTF-16 code units for UCS-2. The empty text has
    ``units == 0`` and ``segments == 0``: there is nothing to send (a provider would reject
    an empty body), and callers should not be billed for it.
    """

    encoding: Encoding
    units: int
    segments: int


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (astral characters such as emoji count 2)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def segment_info(text: str) -> SegmentInfo:
    """Encoding, size and segment count of ``text`` as one SMS body."""
    if is_gsm7(text):
        sizes = [2 if ch in GSM7_EXTENDED else 1 for ch in text]
        return SegmentInfo(Encoding.GSM7, sum(sizes), _pack(sizes, GSM7_SINGLE, GSM7_MULTI))
    sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return SegmentInfo(Encoding.UCS2, sum(sizes), _pack(sizes, UCS2_SINGLE, UCS2_MULTI))


def _pack(sizes: Iterable[int], single: int, multi: int) -> int:
    """Segments needed for characters of the given sizes, never splitting a character."""
    sizes = list(sizes)
    total = sum(sizes)
    if total == 0:
        return 0
    if total <= single:
        return 1
    segments, used = 1, 0
    for size in sizes:
        if used + size > multi:
            segments += 1
            used = 0
        used += size
    return segments
