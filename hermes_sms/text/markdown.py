"""Markdown -> plain text for SMS.

Model replies are written in markdown, but a phone shows the raw characters: ``**bold**``
arrives as four asterisks and a word, and every stray marker costs SMS characters. So we
parse the reply with markdown-it-py (CommonMark + tables + strikethrough) and walk the
syntax tree, emitting only what a reader needs. Markdown syntax is recognised by the parser,
never by regular expressions, so text that merely *looks* like markdown is left alone.

Output conventions (chosen for a small phone screen):

* paragraphs, headings, lists, code blocks, tables and quotes are blocks separated by one
  blank line; runs of blank lines collapse to one and the result is stripped;
* emphasis, strong and strikethrough markers are dropped (but see "look-alikes" below);
* headings become a plain line;
* bullet items become ``- item``; ordered items ``N. item`` numbered from the source start
  number; each nesting level indents two spaces; continuation lines of an item are indented
  two spaces under it;
* code spans and code blocks are kept verbatim, without backticks or fences;
* links become ``text (url)``, or only the url when the text is the url (autolinks, bare
  URLs, ``[https://x.y](https://x.y)``); images become ``alt (url)`` or just ``url``;
* tables: each body row becomes one line ``Header: value; Header: value`` (empty cells are
  skipped, a cell under an empty header is shown bare). ``;`` rather than ``,`` separates
  cells because values such as ``$1,000`` often contain commas. A table without body rows
  becomes its header cells joined with `` | ``;
* block quotes keep a ``> `` prefix on every line so a quotation still reads as one;
* horizontal rules and raw HTML (inline and block) are dropped; an inline ``<br>`` becomes a
  newline, since that is what the author asked for;
* soft and hard line breaks both become a newline: the author's line structure is kept;
* entity references (``&amp;``) are decoded.

Look-alikes that must survive unchanged:

* ``snake_case`` and ``2*3*4``: CommonMark never makes ``_`` emphasis inside a word, but it
  does for ``*``. A ``*`` or ``~~`` pair whose opener follows a letter/digit and whose closer
  is followed by one (``2*3*4``) is kept literally; so is an ``_`` pair touching a word on
  either side (``__init__.py``), and any pair inside a URL-looking word
  (``https://x.y/*a*``). Such text was almost certainly not meant as emphasis.
* Backslash escapes: ``\\*`` means "a literal star" in markdown and is rendered as ``*``.
  But in a path-like word (starting with a drive letter ``C:\\``, a UNC ``\\\\`` prefix, or
  containing a backslash that is not an escape, such as ``\\p`` in ``C:\\path``) every
  backslash the author typed is kept, so ``C:\\temp\\*.txt`` stays as written. Backslashes
  before non-punctuation (``C:\\path\\to``) are never escapes and always survive.
* Bare URLs and e-mail addresses are plain text to CommonMark and pass through. linkify is
  deliberately not enabled, so the output does not depend on whether the optional
  ``linkify-it-py`` package happens to be installed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

__all__ = ["markdown_to_text"]


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    """Build the parser once; MarkdownIt instances are reusable and parsing is pure."""
    md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    # text_join would merge escape tokens into plain text; we need to see them to decide
    # whether a backslash the author typed should be kept (paths) or dropped (escapes).
    md.disable("text_join")
    return md


def markdown_to_text(md: str) -> str:
    """Render markdown ``md`` as plain text suitable for an SMS (see module docstring)."""
    if not md.strip():
        return ""
    try:
        root = SyntaxTreeNode(_parser().parse(md))
        return _tidy(_join_blocks(root.children, "\n\n"))
    except RecursionError:
        # Hundreds of nested emphasis markers exhaust the tree walk; sending the text as
        # written loses nothing, where failing would leave the sender without an answer.
        return _tidy(md)


# --------------------------------------------------------------------------- blocks


def _join_blocks(nodes: list[SyntaxTreeNode], sep: str) -> str:
    """Render block nodes, dropping those that render to nothing (rules, raw HTML)."""
    rendered = (_block(node) for node in nodes)
    return sep.join(text for text in rendered if text.strip())


def _block(node: SyntaxTreeNode) -> str:
    kind = node.type
    if kind in ("paragraph", "heading"):
        return _join_blocks(node.children, "\n")
    if kind == "inline":
        return _inline(node)
    if kind in ("code_block", "fence"):
        return node.content.rstrip("\n")
    if kind == "hr":
        return ""
    if kind == "html_block":
        # The text inside is kept (inline markdown rendered); the tags themselves go.
        text = _strip_html(node.content)
        lines = (_inline_text(line) for line in text.split("\n"))
        return "\n".join(line for line in lines if line.strip())
    if kind == "blockquote":
        body = _join_blocks(node.children, "\n\n")
        return "\n".join(f"> {line}" if line.strip() else ">" for line in body.split("\n"))
    if kind == "bullet_list":
        return _list(node, lambda _i: "-")
    if kind == "ordered_list":
        start = int(node.attrs.get("start", 1))
        return _list(node, lambda i: f"{start + i}.")
    if kind == "table":
        return _table(node)
    # Anything unknown (a future plugin's block): keep its text rather than lose it.
    return _join_blocks(node.children, "\n\n")


def _list(node: SyntaxTreeNode, marker: Callable[[int], str]) -> str:
    """Render a list; ``marker(i)`` gives the marker of the i-th (0-based) item."""
    items = []
    for i, item in enumerate(node.children):
        # Items are kept compact (one newline between their blocks) even in loose lists:
        # blank lines on a phone read as "new topic", not "same item".
        body = _join_blocks(item.children, "\n")
        mark = marker(i)
        lines = body.split("\n") if body else [""]
        first = f"{mark} {lines[0]}" if lines[0] else mark
        rest = [f"  {line}" if line.strip() else "" for line in lines[1:]]
        items.append("\n".join([first, *rest]))
    return "\n".join(items)


def _table(node: SyntaxTreeNode) -> str:
    header: list[str] = []
    rows: list[list[str]] = []
    for section in node.children:  # thead / tbody
        for tr in section.children:
            cells = [_cell(cell) for cell in tr.children]
            if section.type == "thead":
                header = cells
            else:
                rows.append(cells)
    lines = []
    for row in rows:
        pairs = []
        for i, value in enumerate(row):
            if not value:
                continue
            name = header[i] if i < len(header) else ""
            pairs.append(f"{name}: {value}" if name else value)
        if pairs:
            lines.append("; ".join(pairs))
    if not lines:
        return " | ".join(cell for cell in header if cell)
    return "\n".join(lines)


def _cell(cell: SyntaxTreeNode) -> str:
    # A cell is one line of the output; a <br> inside it must not break the row.
    text = _join_blocks(cell.children, " ")
    return " ".join(text.split("\n")).strip()


# --------------------------------------------------------------------------- inlines


@dataclass(eq=False)
class _Delim:
    """An emphasis/strong/strikethrough marker whose fate is decided after rendering."""

    markup: str
    pair: int  # both markers of one pair share the number


@dataclass(eq=False)
class _Escape:
    """A backslash escape such as ``\\*``: rendered as ``*`` or, in paths, ``\\*``."""

    char: str


_Piece = str | _Delim | _Escape
_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)  # matches raw HTML, not markdown


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# A tag, comment, doctype or processing instruction; group 1 is a tag's name.
_HTML_PIECE = re.compile(r"<!--.*?-->|<![^>]*>|<\?.*?\?>|</?([A-Za-z][A-Za-z0-9-]*)[^>]*>", re.S)
_HTML_HIDDEN = re.compile(r"<(script|style)\b.*?</\1\s*>", re.S | re.IGNORECASE)
# Real HTML element names. Anything else in angle brackets (`send <message>`,
# `<your-number>`) is a placeholder the author meant to show, so it stays.
_HTML_ELEMENTS = _words(
    "a abbr address article aside audio b bdi bdo big blockquote body br button caption "
    "center cite code col colgroup dd del details dfn dialog div dl dt em embed fieldset "
    "figcaption figure font footer form h1 h2 h3 h4 h5 h6 head header hr html i iframe img "
    "input ins kbd label legend li link main mark meta nav noscript object ol optgroup "
    "option output p param picture pre q rp rt ruby s samp script section select small "
    "source span strike strong style sub summary sup table tbody td template textarea "
    "tfoot th thead time title tr track tt u ul var video wbr"
)
# Block-level tags end a line when removed, so their text does not run together.
_HTML_LINE_BREAKING = _words(
    "address article aside blockquote body br dd details div dl dt figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table "
    "tr ul"
)


def _strip_html(raw: str) -> str:
    """Raw HTML's text: real tags removed (script and style with their content), comments
    and doctypes dropped, and anything that only looks like a tag kept as written."""

    def replace(match: re.Match[str]) -> str:
        name = (match.group(1) or "").lower()
        if match.group(1) is None:
            return ""  # comment, doctype, processing instruction
        if name not in _HTML_ELEMENTS:
            return match.group(0)
        return "\n" if name in _HTML_LINE_BREAKING else ""

    return _HTML_PIECE.sub(replace, _HTML_HIDDEN.sub("", raw))


def _inline_text(text: str) -> str:
    """Render one line of inline markdown (no blocks, so no raw-HTML block to recurse into)."""
    root = SyntaxTreeNode(_parser().parseInline(text))
    return "".join(_inline(child) for child in root.children)


def _inline(node: SyntaxTreeNode) -> str:
    counter = [0]
    return _resolve(_pieces(node.children, counter))


def _pieces(nodes: list[SyntaxTreeNode], counter: list[int]) -> list[_Piece]:
    out: list[_Piece] = []
    # Just after an inline <br>: the spaces written around it and a line break right after it
    # belong to the one break it already made ("one <br> two", "one<br>\ntwo").
    after_br = False
    for node in nodes:
        kind = node.type
        if after_br:
            after_br = False
            if kind in ("softbreak", "hardbreak"):
                continue
            if kind == "text":
                out.append(node.content.lstrip(" \t"))
                continue
        if kind == "text":
            out.append(node.content)
        elif kind == "text_special":
            markup = node.markup
            if node.info == "escape" and markup != node.content:
                out.append(_Escape(node.content))
            else:  # entity (already decoded) or a backslash before a non-escapable char
                out.append(node.content)
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")
        elif kind == "code_inline":
            out.append(node.content)
        elif kind == "html_inline":
            if _HTML_BREAK.fullmatch(node.content.strip()):
                if out and isinstance(out[-1], str):
                    out[-1] = out[-1].rstrip(" \t")
                out.append("\n")
                after_br = True
            else:
                out.append(_strip_html(node.content))
        elif kind in ("em", "strong", "s"):
            counter[0] += 1
            pair = counter[0]
            out.append(_Delim(node.markup, pair))
            out.extend(_pieces(node.children, counter))
            out.append(_Delim(node.markup, pair))
        elif kind == "link":
            out.extend(_link(node, counter))
        elif kind == "image":
            alt = _resolve(_pieces(node.children, counter)).strip()
            src = str(node.attrs.get("src", ""))
            out.append(_labelled(alt, src))
        else:  # unknown inline from a plugin: keep its text
            out.extend(_pieces(node.children, counter))
    return out


def _link(node: SyntaxTreeNode, counter: list[int]) -> list[_Piece]:
    href = str(node.attrs.get("href", ""))
    inner = _pieces(node.children, counter)
    text = _resolve(inner).strip()
    if not text:
        return [href]
    if not href or _same_url(text, href):
        return inner
    return [*inner, f" ({href})"]


def _same_url(text: str, href: str) -> bool:
    """Is the link text just the destination (autolinks, ``[x.com](x.com)``)?"""
    if text in (href, href.removeprefix("mailto:")):
        return True
    # Destinations are percent-encoded by the parser (``ä`` -> ``%C3%A4``); compare alike.
    return _parser().normalizeLink(text) == href


def _labelled(label: str, url: str) -> str:
    if not url:
        return label
    if not label or label == url:
        return url
    return f"{label} ({url})"


def _resolve(pieces: list[_Piece]) -> str:
    """Turn rendered pieces into text, deciding which escapes and markers stay literal."""
    keep_backslash = _path_escapes(pieces)

    # Plain text without any markers, and where each marker sits in it.
    chars: list[str] = []
    where: dict[_Delim, int] = {}  # marker -> its index in the plain text
    length = 0
    for piece in pieces:
        if isinstance(piece, _Delim):
            where[piece] = length
            continue
        text = _escaped(piece, keep_backslash) if isinstance(piece, _Escape) else piece
        chars.append(text)
        length += len(text)
    plain = "".join(chars)

    openers: dict[int, _Delim] = {}
    literal: set[int] = set()
    words = _Words(plain) if where else None
    for piece in pieces:
        if not isinstance(piece, _Delim):
            continue
        if piece.pair not in openers:
            openers[piece.pair] = piece
            continue
        start, end = where[openers[piece.pair]], where[piece]
        assert words is not None
        if words.looks_literal(start, end, piece.markup):
            literal.add(piece.pair)

    out = []
    for piece in pieces:
        if isinstance(piece, _Delim):
            if piece.pair in literal:
                out.append(piece.markup)
        elif isinstance(piece, _Escape):
            out.append(_escaped(piece, keep_backslash))
        else:
            out.append(piece)
    return "".join(out)


def _escaped(escape: _Escape, keep_backslash: set[_Escape]) -> str:
    return "\\" + escape.char if escape in keep_backslash else escape.char


class _Words:
    """Where the words around any position of ``plain`` start and end, computed once.

    Judging each emphasis pair by rescanning its words made long unspaced input (an agent
    reply of ``a*b*a*b*...``) quadratic; these tables answer each question in constant time.
    """

    def __init__(self, plain: str) -> None:
        n = len(plain)
        self.plain = plain
        # start[i]: where the word ending just before i begins; stop[i]: where the word
        # starting at i ends; alnum[i]: letters and digits in plain[:i]; url[i]: one past the
        # last "://" that ends at or before i.
        self.start = [0] * (n + 1)
        self.url = [-1] * (n + 1)
        self.alnum = [0] * (n + 1)
        word_start, last_url = 0, -1
        for i, ch in enumerate(plain):
            if ch.isspace():
                word_start = i + 1
            elif ch == "/" and i >= 2 and plain[i - 2 : i + 1] == "://":
                last_url = i + 1
            self.start[i + 1] = word_start
            self.url[i + 1] = last_url
            self.alnum[i + 1] = self.alnum[i] + (1 if ch.isalnum() else 0)
        self.stop = [n] * (n + 1)
        word_stop = n
        for i in range(n - 1, -1, -1):
            if plain[i].isspace():
                word_stop = i
            self.stop[i] = word_stop

    def looks_literal(self, start: int, end: int, markup: str) -> bool:
        """Was the pair whose opener sits at ``start`` and closer at ``end`` not meant as
        emphasis (``2*3*4``, ``snake_case``, URLs)? Judged by the words touching them."""
        plain = self.plain
        before_start = self.start[start]
        # A "://" inside the word before the opener, or a www. word: a URL, not emphasis.
        if self.url[start] - 3 >= before_start or plain.startswith("www.", before_start, start):
            return True
        after_stop = self.stop[end]
        if markup.startswith("_"):
            letters = self.alnum[start] - self.alnum[before_start]
            return letters + self.alnum[after_stop] - self.alnum[end] > 0
        before_ok = start > before_start and plain[start - 1].isalnum()
        after_ok = end < after_stop and plain[end].isalnum()
        return before_ok and after_ok


# Windows path prefixes (drive letter, UNC server), not markdown syntax.
_PATH_START = re.compile(r"[A-Za-z]:\\|\\\\\w")


def _path_escapes(pieces: list[_Piece]) -> set[_Escape]:
    """The escapes inside path-like words, whose backslash must be kept.

    A path may hold spaces (``C:\\Program Files\\_tools``): a word with a backslash right
    after a path-like word, on the same line, is part of that path. A word without one ends
    it, so ``C:\\dir and snake\\_case`` still drops the escape of ``snake_case``.
    """
    keep: set[_Escape] = set()
    word: list[str] = []  # raw characters of the current word
    escapes: list[_Escape] = []
    literal_backslash = False
    in_path = False  # the previous word, on this line, was part of a path

    def flush(separator: str = "\n") -> None:
        nonlocal literal_backslash, in_path
        raw = "".join(word)
        path_like = bool(_PATH_START.match(raw)) or (in_path and bool(escapes or literal_backslash))
        if escapes and (literal_backslash or path_like):
            keep.update(escapes)
        if raw:
            in_path = path_like and separator != "\n"
        elif separator == "\n":
            in_path = False
        word.clear()
        escapes.clear()
        literal_backslash = False

    for piece in pieces:
        if isinstance(piece, _Delim):
            continue
        if isinstance(piece, _Escape):
            word.append("\\" + piece.char)
            escapes.append(piece)
            continue
        for ch in piece:
            if ch.isspace():
                flush(ch)
            else:
                word.append(ch)
                literal_backslash = literal_backslash or ch == "\\"
    flush()
    return keep


# --------------------------------------------------------------------------- tidy


def _tidy(text: str) -> str:
    """Strip trailing spaces from lines, collapse blank-line runs, strip the whole text."""
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out).strip()
