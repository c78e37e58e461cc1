"""Split a long reply into message bodies that each fit a length limit.

Twilio refuses a body longer than 1600 characters, counted in UTF-16 code units, so that
is the unit here too (an emoji counts 2). Parts are cut where a reader would pause:

1. a paragraph break (blank line), else
2. a line break, else
3. a sentence end (``.``, ``!`` or ``?``, optionally followed by a closing quote or
   bracket, then whitespace), else
4. any whitespace between words (no-break spaces only as a last resort), else
5. only when a single token (a word, a URL) is longer than the whole room: a hard cut,
   which still never separates the two halves of a surrogate pair.

Packing is greedy: each part takes the furthest boundary of the best kind that fits. A
better kind of boundary is only taken if it still fills at least half the room; otherwise
one heading followed by a long paragraph would go out as a two-word message.

The whitespace at a cut is the separator and is dropped; everything else is kept, so the
words of the parts, in order, are the words of the text. When there is more than one part,
each starts with a ``(i/n) `` marker that counts towards the limit. Its width depends on
how many digits ``n`` has, so packing is repeated with wider markers until the count is
stable.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate

__all__ = ["DEFAULT_LIMIT", "marker_for", "split_text", "strip_marker"]

DEFAULT_LIMIT = 1600  # Twilio's maximum body length, in UTF-16 code units

_SENTENCE_END = ".!?"
_CLOSERS = "\"')]»”’"
_MIN_FILL = 0.5  # a preferred boundary must fill at least this share of the room
# Spaces the author asked not to break at (no-break, figure, narrow no-break space). A run
# made only of these is cut only when the alternative is cutting inside a word.
_NO_BREAK = frozenset("\u00a0\u2007\u202f")


def marker_for(index: int, total: int) -> str:
    """The part marker prefixed to part ``index`` (1-based) of ``total``."""
    return f"({index}/{total}) "


def strip_marker(part: str) -> str:
    """Remove one leading ``(i/n) `` marker from ``part``, if present."""
    if not part.startswith("("):
        return part
    head, sep, rest = part.partition(") ")
    index, slash, total = head[1:].partition("/")
    if sep and slash and (index + total).isascii() and index.isdigit() and total.isdigit():
        return rest
    return part


def split_text(text: str, limit: int = DEFAULT_LIMIT, *, marker: bool = True) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` UTF-16 code units each.

    Leading and trailing whitespace is dropped; whitespace-only text gives ``[]``. A text
    that fits is returned as one part, unchanged and without a marker. Raises
    ``ValueError`` when ``limit`` leaves less than 2 code units (one emoji) of room.
    """
    if limit < 2:
        raise ValueError(f"limit must be at least 2, got {limit}")
    text = text.strip()
    if not text:
        return []
    # Cumulative UTF-16 length: units[i] is the length of text[:i].
    units = [0, *accumulate(2 if ord(ch) > 0xFFFF else 1 for ch in text)]
    if units[-1] <= limit:
        return [text]
    if not marker:
        return [text[a:b] for a, b in _pack(text, units, limit)]

    digits = 1
    while True:
        width = len(marker_for(10**digits - 1, 10**digits - 1))  # widest marker of n digits
        if limit - width < 2:
            raise ValueError(f"limit {limit} leaves no room for text after a part marker")
        spans = _pack(text, units, limit - width)
        # More parts than the markers were sized for? Widen them and pack again. Fewer
        # digits than reserved is fine: the real markers are just shorter than allowed.
        if len(str(len(spans))) <= digits:
            break
        digits += 1
    total = len(spans)
    return [marker_for(i, total) + text[a:b] for i, (a, b) in enumerate(spans, start=1)]


def _pack(text: str, units: list[int], room: int) -> list[tuple[int, int]]:
    """Greedy packing: (start, end) code-point spans of the parts, in order."""
    spans: list[tuple[int, int]] = []
    start, n = 0, len(text)
    while start < n:
        # Furthest end such that text[start:end] fits in the room.
        end = bisect_right(units, units[start] + room) - 1
        if end >= n:
            spans.append((start, n))
            break
        cut = _best_cut(text, units, start, end, room)
        if cut is None:
            # One token longer than the room: hard cut. Python strings index code points,
            # so this never falls inside a surrogate pair.
            spans.append((start, end))
            start = end
        else:
            spans.append((start, cut))
            start = _skip_space(text, cut)
    return spans


def _best_cut(text: str, units: list[int], start: int, end: int, room: int) -> int | None:
    """Start of the whitespace run to cut at, or None if text[start:end] has none.

    ``end`` itself is a candidate: if text[end] is whitespace, everything before it fits.
    """
    # paragraph, line, sentence, word, non-breaking space (last resort before a hard cut)
    best: list[int | None] = [None] * 5
    i = start + 1  # text[start] is never whitespace
    while i <= end:
        if not text[i].isspace():
            i += 1
            continue
        run_end = _skip_space(text, i)
        run = text[i:run_end]
        best[4] = i
        if any(ch not in _NO_BREAK for ch in run):
            newlines = run.count("\n")
            if newlines >= 2:
                best[0] = i
            if newlines >= 1:
                best[1] = i
            if _ends_sentence(text, start, i):
                best[2] = i
            best[3] = i
        i = run_end
    floor = units[start] + room * _MIN_FILL
    for cut in best[:3]:
        if cut is not None and units[cut] >= floor:
            return cut
    return best[3] if best[3] is not None else best[4]


def _ends_sentence(text: str, start: int, i: int) -> bool:
    """Does text[:i] end a sentence (``end.`` or ``end."``)?"""
    j = i - 1
    if j > start and text[j] in _CLOSERS:
        j -= 1
    return text[j] in _SENTENCE_END


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i
