"""Boundaries of the text pipeline that the broader tests did not pin down (found by mutating
segments.py, split.py and plan.py): each test here fails if one limit or rule is off by one."""

from __future__ import annotations

import pytest

from hermes_sms.text import Encoding, SegmentInfo, plan_sms, segment_info, split_text, utf16_len

LAST_BMP = chr(0xFFFF)  # the last character of one UTF-16 code unit
FIRST_ASTRAL = chr(0x10000)  # LINEAR B SYLLABLE B008 A: the first that needs a surrogate pair


def test_utf16_length_at_the_surrogate_boundary() -> None:
    assert utf16_len(LAST_BMP) == 1
    assert utf16_len("\ufffd") == 1
    assert utf16_len(FIRST_ASTRAL) == 2
    assert utf16_len(LAST_BMP + FIRST_ASTRAL) == 3


def test_first_astral_character_costs_two_ucs2_units() -> None:
    # 2 + 69 = 71 units: one unit over a single SMS, so two segments are billed.
    assert segment_info(FIRST_ASTRAL + "a" * 69) == SegmentInfo(Encoding.UCS2, 71, 2)
    assert segment_info(LAST_BMP + "a" * 69) == SegmentInfo(Encoding.UCS2, 70, 1)


def test_split_counts_the_first_astral_character_as_two_units() -> None:
    assert split_text(FIRST_ASTRAL * 800) == [FIRST_ASTRAL * 800]  # exactly 1600 units
    parts = split_text(FIRST_ASTRAL * 801)
    assert len(parts) == 2
    assert all(utf16_len(part) <= 1600 for part in parts)


def test_1601_units_are_two_parts_at_the_default_limit() -> None:
    parts = split_text("a" * 1601)
    assert [utf16_len(part) for part in parts] == [1600, 13]
    assert parts[0].startswith("(1/2) ") and parts[1].startswith("(2/2) ")


def test_part_marker_is_billed_with_the_body() -> None:
    # Each part is "(i/2) " + 155 letters = 161 septets: two segments, though the letters
    # alone would fit one. The marker is sent, so it is paid for.
    plan = plan_sms("a" * 310, markdown=False, limit=161)
    assert [utf16_len(body) for body in plan.bodies] == [161, 161]
    assert [part.segments for part in plan.parts] == [2, 2]
    assert plan.total_segments == 4


def test_paragraph_break_beats_a_later_line_break() -> None:
    text = "aaaa bbbb cccc dddd\n\neeee\nffff gggg hhhh iiii jjjj"
    # Room 34: the line break (25) fits and is further, but the paragraph break (19) wins.
    assert split_text(text, 40) == [
        "(1/2) aaaa bbbb cccc dddd",
        "(2/2) eeee\nffff gggg hhhh iiii jjjj",
    ]


def test_boundary_filling_exactly_half_the_room_is_taken() -> None:
    # Room 20: the line break after 10 characters fills exactly half, which is enough.
    text = "aaaaa bbbb\ncc dd ee ff gg hh"
    assert split_text(text, 20, marker=False) == ["aaaaa bbbb", "cc dd ee ff gg hh"]


def test_room_of_one_unit_after_the_marker_is_refused() -> None:
    # "(1/5) " leaves one unit: too little for an emoji, so it must be refused up front
    # (packing an emoji into one unit would never make progress).
    with pytest.raises(ValueError, match="no room"):
        split_text("a b c d e", 7)
