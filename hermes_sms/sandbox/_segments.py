"""Tiny SMS segment counter for the emulator.

Deliberately separate from ``hermes_sms.text`` (the production encoder): the emulator plays Twilio,
so it should not share code, or bugs, with the library under test.
"""

from __future__ import annotations

# GSM 03.38 basic table (the escape character 0x1B is not usable on its own, so it is left out).
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each costs an escape plus the character, two septets.
_GSM_EXTENSION = frozenset("\f^{}\\[~]|€")


def _costs(text: str) -> tuple[list[int], int, int] | None:
    """Per-character septet costs if ``text`` fits GSM-7, else None."""
    costs = []
    for ch in text:
        if ch in _GSM_BASIC:
            costs.append(1)
        elif ch in _GSM_EXTENSION:
            costs.append(2)
        else:
            return None
    return costs, 160, 153


def _pack(costs: list[int], single: int, multi: int) -> int:
    if sum(costs) <= single:
        return 1
    # Greedy packing: an escape pair or surrogate pair is never split across two segments.
    segments, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            segments += 1
            used = 0
        used += cost
    return segments


def count_segments(text: str) -> int:
    """Number of SMS segments Twilio would bill for ``text`` (no Smart Encoding)."""
    if not text:
        return 1
    gsm = _costs(text)
    if gsm is not None:
        return _pack(*gsm)
    # UCS-2: count UTF-16 code units; characters outside the BMP take two.
    units = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return _pack(units, 70, 67)


def encoding_of(text: str) -> str:
    return "GSM-7" if _costs(text) is not None else "UCS-2"
