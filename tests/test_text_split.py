"""split_text: parts fit the limit, are cut at the best boundary and lose nothing."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hermes_sms.text import split_text, strip_marker, utf16_len
from hermes_sms.text.split import marker_for

_MARKER = re.compile(r"\((\d+)/(\d+)\) ")


def test_text_that_fits_is_one_part_without_marker() -> None:
    assert split_text("  hello world \n") == ["hello world"]
    text = "x" * 1600
    assert split_text(text) == [text]


def test_empty_text_has_no_parts() -> None:
    assert split_text("") == []
    assert split_text(" \n\t ") == []


def test_limit_counts_utf16_units() -> None:
    text = "😜" * 800  # 800 code points, 1600 units: fits exactly
    assert split_text(text) == [text]
    parts = split_text("😜" * 801)
    assert len(parts) == 2
    assert all(utf16_len(p) <= 1600 for p in parts)


def test_prefers_paragraph_break() -> None:
    text = "First paragraph here.\n\nSecond one. It goes on and on"
    # room = 40 - len("(1/2) ") = 34: the paragraph break (21) beats sentence/word cuts.
    assert split_text(text, 40) == [
        "(1/2) First paragraph here.",
        "(2/2) Second one. It goes on and on",
    ]


def test_prefers_line_break_over_sentence() -> None:
    text = "Line one. Still one\nline two is here and longer"
    assert split_text(text, 40) == [
        "(1/2) Line one. Still one",
        "(2/2) line two is here and longer",
    ]


def test_prefers_sentence_end_over_word() -> None:
    text = "It is all done now. Now we wait for it"
    # room 24: the sentence end (19) beats the word boundary at 23 ("...now. Now").
    assert split_text(text, 30) == ["(1/2) It is all done now.", "(2/2) Now we wait for it"]


def test_sentence_end_after_closing_quote() -> None:
    text = 'He said "stop." Then he left the building quickly'
    assert split_text(text, 30)[0] == '(1/3) He said "stop."'


def test_falls_back_to_word_boundary_and_fills_greedily() -> None:
    text = "aa bb cc dd ee ff gg hh ii jj"
    assert split_text(text, 14, marker=False) == ["aa bb cc dd ee", "ff gg hh ii jj"]


def test_preferred_boundary_too_early_is_skipped() -> None:
    # A paragraph break that would leave the part mostly empty is not worth a message.
    text = "Hi\n\n" + " ".join(["word"] * 20)
    parts = split_text(text, 50, marker=False)
    assert parts[0].startswith("Hi\n\nword word")
    assert all(len(p) <= 50 for p in parts)


def test_never_splits_a_url_that_fits() -> None:
    url = "https://example.com/some/long/path?with=query_and_more"
    text = f"Read this {url} for details please"
    parts = split_text(text, 70)
    assert sum(url in p for p in parts) == 1


def test_hard_splits_only_an_overlong_token() -> None:
    token = "x" * 50
    parts = split_text(f"ab {token} cd", 20, marker=False)
    assert parts == ["ab", "x" * 20, "x" * 20, "x" * 10 + " cd"]


def test_hard_split_never_breaks_a_surrogate_pair() -> None:
    parts = split_text("😜" * 10, 5, marker=False)
    assert parts == ["😜😜"] * 5
    parts = split_text("a" + "😜" * 4, 4, marker=False)
    assert parts == ["a😜", "😜😜", "😜"]


def test_marker_width_grows_with_part_count() -> None:
    text = " ".join(f"w{i:02d}" for i in range(60))  # 239 chars
    parts = split_text(text, 20)
    assert len(parts) >= 10
    assert parts[0].startswith(f"(1/{len(parts)}) ")
    assert parts[-1].startswith(f"({len(parts)}/{len(parts)}) ")
    assert all(len(p) <= 20 for p in parts)


def test_no_marker_mode() -> None:
    parts = split_text("one two three four", 9, marker=False)
    assert parts == ["one two", "three", "four"]


def test_no_break_space_is_last_resort() -> None:
    # Cutting at the no-break space would give a fuller first part, but "aaa" is chosen.
    text = "aaa bb\u00a0cc dd"
    assert split_text(text, 8, marker=False) == ["aaa", "bb\u00a0cc dd"]
    assert split_text("bbbb\u00a0cccc", 6, marker=False) == ["bbbb", "cccc"]


def test_limit_too_small() -> None:
    with pytest.raises(ValueError):
        split_text("abc", 1)
    with pytest.raises(ValueError):
        split_text("a" * 100, 7)  # "(1/9) " leaves 1 unit: not even one emoji fits


def test_strip_marker() -> None:
    assert strip_marker("(3/12) hello") == "hello"
    assert strip_marker("(a/b) hello") == "(a/b) hello"
    assert strip_marker("(3/12)hello") == "(3/12)hello"
    assert strip_marker("hello") == "hello"
    assert marker_for(2, 5) == "(2/5) "


# ------------------------------------------------------------------ properties

_word = st.text(alphabet="abcdeé中😜.,!?'\"", min_size=1, max_size=12).filter(
    lambda w: w.strip() == w
)
_long = st.text(alphabet="xyz😜", min_size=30, max_size=300)
_sep = st.sampled_from([" ", " ", " ", "  ", "\n", "\n\n", "\n \n", ". ", "! ", "? ", "\u00a0"])


@st.composite
def _texts(draw: st.DrawFn, allow_long: bool = True) -> str:
    """Words joined by assorted separators; optionally with tokens longer than the room."""
    words = draw(st.lists(_long, max_size=2)) if allow_long else []
    words += draw(st.lists(_word, min_size=1, max_size=120))
    words = draw(st.permutations(words))
    out = words[0]
    for word in words[1:]:
        out += draw(_sep) + word
    return out


def _unmarked(parts: list[str]) -> list[str]:
    if len(parts) == 1:
        return parts
    return [strip_marker(p) for p in parts]


def _check_markers(parts: list[str]) -> None:
    if len(parts) == 1:
        return  # a single part carries no marker; callers compare it with the text
    for i, part in enumerate(parts, start=1):
        match = _MARKER.match(part)
        assert match, part
        assert (int(match[1]), int(match[2])) == (i, len(parts))


@settings(max_examples=300, deadline=None)
@given(_texts(), st.integers(min_value=16, max_value=200), st.booleans())
def test_parts_fit_are_nonempty_and_lose_nothing(text: str, limit: int, marker: bool) -> None:
    parts = split_text(text, limit, marker=marker)
    assert parts
    assert all(utf16_len(p) <= limit for p in parts)
    bodies = _unmarked(parts) if marker else parts
    assert all(b.strip() and b == b.strip() for b in bodies)
    # Nothing lost, nothing added, nothing reordered (hard cuts may split a long token).
    assert "".join("".join(b.split()) for b in bodies) == "".join(text.split())
    if marker:
        _check_markers(parts)
    else:
        assert not any(_MARKER.match(p) for p in parts)  # the alphabet has no "("


@settings(max_examples=300, deadline=None)
@given(_texts(allow_long=False), st.integers(min_value=40, max_value=200))
def test_words_are_never_split_when_they_fit(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    _check_markers(parts)
    bodies = _unmarked(parts)
    assert [w for b in bodies for w in b.split()] == text.split()
    if len(parts) == 1:
        assert parts == [text.strip()]
        return
    # Greedy: a part ends early only at a good boundary (at least half full) or because
    # the next word (up to a breakable space) would not have fitted, even after the
    # longest separator the strategy makes (3 characters).
    room = limit - len(marker_for(len(parts), len(parts)))
    for body, following in itertools.pairwise(bodies):
        next_word = re.match(r"[^ \n]+", following)
        assert next_word
        assert utf16_len(body) >= room / 2 or utf16_len(body) + 3 + utf16_len(next_word[0]) > room


_fill = st.text(alphabet="abc ", min_size=0, max_size=30)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_fill, min_size=2, max_size=15),
    st.integers(min_value=60, max_value=200),
    st.sampled_from([" ", "\n", "\n\n", ". "]),
)
def test_urls_shorter_than_the_room_are_never_split(
    fillers: list[str], limit: int, sep: str
) -> None:
    urls = [f"https://ex.com/{i}/a_b?q={'z' * (i % 7)}#f" for i in range(len(fillers))]
    text = sep.join(f"{fill}{sep}{url}" for fill, url in zip(fillers, urls, strict=True))
    assume(text.strip())
    parts = split_text(text, limit)
    for url in urls:
        assert sum(url in part for part in parts) == 1, (url, parts)


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=400), st.integers(min_value=12, max_value=120))
def test_arbitrary_unicode(text: str, limit: int) -> None:
    assume(text.strip())
    parts = split_text(text, limit)
    assert all(0 < utf16_len(p) <= limit for p in parts)
    _check_markers(parts)
    if len(parts) == 1:
        assert parts == [text.strip()]
    bodies = _unmarked(parts)
    assert "".join("".join(b.split()) for b in bodies) == "".join(text.split())


# At Twilio's real limit: replies of a few thousand characters, with URLs among the words.
_reply_token = st.one_of(
    st.text(alphabet="abcdefé中😜.,!?'", min_size=1, max_size=14).filter(lambda w: w.strip() == w),
    st.integers(min_value=0, max_value=10**6).map(lambda n: f"https://ex.com/p_{n}/a_b?q={n}#x"),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_reply_token, min_size=300, max_size=900),
    st.lists(st.sampled_from([" ", " ", " ", "\n", "\n\n", ". "]), min_size=1, max_size=50),
)
def test_replies_at_the_1600_limit(tokens: list[str], seps: list[str]) -> None:
    text = tokens[0]
    for i, token in enumerate(tokens[1:]):
        text += seps[i % len(seps)] + token
    parts = split_text(text)  # the default limit: 1600 UTF-16 code units
    assert all(0 < utf16_len(p) <= 1600 for p in parts)
    _check_markers(parts)
    bodies = _unmarked(parts)
    assert all(b.strip() for b in bodies)
    # The same words in the same order: so no word, and no URL, was cut in two.
    assert [w for b in bodies for w in b.split()] == text.split()
