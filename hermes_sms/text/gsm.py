"""The GSM-7 alphabet and "smart encoding" of look-alike characters.

An SMS is sent in GSM-7 (160 septets per single message) only if *every* character is in
the GSM 03.38 default alphabet (3GPP TS 23.038) or its extension table. One curly quote
from a language model switches the whole message to UCS-2, which fits just 70 characters,
so a reply can cost two or three times as many segments. ``smart_replace`` swaps such
typographic look-alikes for their plain GSM-7 twins, as carriers' "smart encoding" does.

What it deliberately does *not* do: strip accents (``á`` -> ``a`` changes words; Twilio's
Smart Encoding does not either) or touch emoji, CJK and other scripts: they genuinely need
UCS-2 and are kept.
"""

from __future__ import annotations

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENDED",
    "LOOKALIKES",
    "is_gsm7",
    "septet_count",
    "smart_replace",
]

# The 128 positions of the basic table, in code order 0x00-0x7F. Position 0x1B is the
# escape to the extension table, not a character: it is written as "\x1b" to keep the
# positions aligned and removed below.
_BASIC_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
assert len(_BASIC_TABLE) == 128

#: Characters costing one septet.
GSM7_BASIC: frozenset[str] = frozenset(_BASIC_TABLE) - {"\x1b"}

#: Characters reached through the escape code: each costs two septets.
GSM7_EXTENDED: frozenset[str] = frozenset("\f^{}\\[~]|€")

_GSM7 = GSM7_BASIC | GSM7_EXTENDED


def is_gsm7(text: str) -> bool:
    """True if ``text`` can be sent in the GSM-7 encoding (basic or extension table)."""
    return all(ch in _GSM7 for ch in text)


def septet_count(text: str) -> int:
    """Number of septets ``text`` occupies in GSM-7 (extension characters count two).

    Raises ``ValueError`` for a character outside GSM-7: silently counting it would
    under-report the real cost, which is a UCS-2 message.
    """
    total = 0
    for ch in text:
        if ch in GSM7_BASIC:
            total += 1
        elif ch in GSM7_EXTENDED:
            total += 2
        else:
            raise ValueError(f"{ch!r} (U+{ord(ch):04X}) is not in the GSM-7 alphabet")
    return total


def _build_lookalikes() -> dict[str, str]:
    table: dict[str, str] = {}
    for chars, plain in (
        # With the modifier letters and ornaments of Twilio's own Smart Encoding list.
        ("«»“”„‟″〝〞〟⹂ʺˮ❝❞❠", '"'),
        # The backtick is ASCII but not GSM-7; the prime and acute accent are apostrophes
        # typed on the wrong key.
        ("‘’‛′´`ʼ‚‹›ʻˈʽʹˊˋ❛❜❟", "'"),
        ("‐‑‒–—―−﹘﹣︱︲", "-"),
        # A bullet or middle dot is a list marker or a separator ("a · b"): a hyphen reads
        # right in both uses, a full stop would not.
        ("•‣◦⁃∙·", "-"),
        ("÷⁄", "/"),
        ("×", "x"),
    ):
        table.update(dict.fromkeys(chars, plain))
    table.update({"…": "...", "‥": "..", "․": ".", "½": "1/2", "¼": "1/4", "¾": "3/4", "‼": "!!"})
    # Arrows are how models write steps and mappings ("Settings → Privacy"); the ASCII arrow
    # reads the same on a phone.
    table.update({"→": "->", "←": "<-", "↔": "<->", "⇒": "=>", "⇐": "<=", "⇔": "<=>"})
    table.update({"≤": "<=", "≥": ">=", "≠": "!=", "ˆ": "^", "˜": "~"})
    # Every space separator becomes a plain space; a tab is not in GSM-7 either.
    spaces = "\t\u00a0\u1680\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B)))
    table.update(dict.fromkeys(spaces, " "))
    table.update(dict.fromkeys("\u2028\u2029", "\n"))  # line / paragraph separator
    # Invisible characters cost a whole UCS-2 message for nothing.
    table.update(dict.fromkeys("\u200b\u2060\ufeff\u00ad", ""))
    # Fullwidth ASCII (U+FF01-FF5E) is ASCII shifted by 0xFEE0; the fullwidth backtick
    # must still end as an apostrophe.
    for code in range(0xFF01, 0xFF5F):
        ascii_char = chr(code - 0xFEE0)
        table[chr(code)] = table.get(ascii_char, ascii_char)
    # Never rewrite a character that GSM-7 already has.
    return {k: v for k, v in table.items() if k not in _GSM7}


#: Non-GSM-7 character -> GSM-7 replacement used by ``smart_replace``.
LOOKALIKES: dict[str, str] = _build_lookalikes()

# Joiners are special: ZWJ glues emoji sequences (👨‍👩‍👧) and ZWNJ shapes Persian and
# Indic words; the left-to-right and right-to-left marks (U+200E, U+200F) order mixed
# Arabic or Hebrew text. Dropping them there would change what the reader sees.
_JOINERS = frozenset("\u200c\u200d\u200e\u200f")


def smart_replace(text: str) -> str:
    """Replace typographic look-alikes with GSM-7 characters; keep everything else.

    Zero-width joiners (U+200D) and non-joiners (U+200C) are removed only when neither
    neighbouring visible character (the nearest non-joiner on each side, after its own
    replacement) is outside GSM-7. Next to an emoji or a non-Latin letter they are
    meaningful and the message is UCS-2 anyway, so they stay; between GSM-7 characters they
    are invisible noise that would force UCS-2, so they go.
    """
    replaced = [ch if ch in _JOINERS else LOOKALIKES.get(ch, ch) for ch in text]
    if not any(ch in _JOINERS for ch in text):
        return "".join(replaced)

    # For each position, whether the nearest visible character on that side needs UCS-2;
    # one pass each way keeps long runs of joiners linear.
    ucs2_left = [False] * len(text)
    seen = False
    for i, ch in enumerate(text):
        ucs2_left[i] = seen
        if ch not in _JOINERS:
            seen = not is_gsm7(replaced[i])
    ucs2_right = [False] * len(text)
    seen = False
    for i in range(len(text) - 1, -1, -1):
        ucs2_right[i] = seen
        if text[i] not in _JOINERS:
            seen = not is_gsm7(replaced[i])

    out = []
    for i, ch in enumerate(text):
        if ch in _JOINERS and not (ucs2_left[i] or ucs2_right[i]):
            continue
        out.append(replaced[i])
    return "".join(out)
