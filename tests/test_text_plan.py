"""plan_sms: the whole pipeline from a model reply to priced SMS bodies."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hermes_sms.text import (
    Encoding,
    SmsPart,
    SmsPlan,
    plan_sms,
    smart_replace,
    strip_marker,
    utf16_len,
)


def test_short_markdown_reply_is_one_gsm7_part() -> None:
    plan = plan_sms("**Sure!** Here's a *list*:\n\n- eggs\n- milk")
    assert plan == SmsPlan(
        (SmsPart(1, 1, "Sure! Here's a list:\n\n- eggs\n- milk", Encoding.GSM7, 1),)
    )
    assert plan.total_segments == 1
    assert plan.encodings == frozenset({Encoding.GSM7})
    assert plan.bodies == ("Sure! Here's a list:\n\n- eggs\n- milk",)


def test_lookalikes_only_reply_goes_out_as_gsm7() -> None:
    reply = "It’s “done” — see the docs… ok"
    smart = plan_sms(reply)
    assert smart.bodies == ('It\'s "done" - see the docs... ok',)
    assert smart.encodings == {Encoding.GSM7}
    unicode = plan_sms(reply, encoding="unicode")
    assert unicode.bodies == (reply,)
    assert unicode.encodings == {Encoding.UCS2}


def test_emoji_and_cjk_stay_and_force_ucs2() -> None:
    plan = plan_sms("Great job 🎉 “really” 中文")
    assert plan.bodies == ('Great job 🎉 "really" 中文',)
    assert plan.parts[0].encoding is Encoding.UCS2


def test_unicode_mode_leaves_characters_unchanged() -> None:
    text = "a\u00a0b – c… ｄ\u200be `x`"
    assert plan_sms(text, encoding="unicode", markdown=False).bodies == (text,)


def test_markdown_off_keeps_markers() -> None:
    assert plan_sms("**bold** `x`", markdown=False).bodies == ("**bold** 'x'",)
    assert plan_sms("**bold** `x`", markdown=False, encoding="unicode").bodies == ("**bold** `x`",)


def test_long_reply_is_split_with_markers_and_priced() -> None:
    paragraph = "This sentence is part of a long answer. " * 30  # 1200 chars
    plan = plan_sms(f"{paragraph}\n\n{paragraph}")
    assert len(plan.parts) == 2
    assert [(p.index, p.total) for p in plan.parts] == [(1, 2), (2, 2)]
    assert plan.parts[0].body.startswith("(1/2) This sentence")
    assert plan.parts[1].body.startswith("(2/2) This sentence")
    for part in plan.parts:
        assert utf16_len(part.body) <= 1600
        assert part.encoding is Encoding.GSM7
        assert part.segments == -(-len(part.body) // 153)
    assert plan.total_segments == sum(p.segments for p in plan.parts)


def test_mixed_encodings_across_parts() -> None:
    plan = plan_sms("plain words here\n\nemoji here 😜", limit=30)
    assert plan.bodies == ("(1/2) plain words here", "(2/2) emoji here 😜")
    assert [p.encoding for p in plan.parts] == [Encoding.GSM7, Encoding.UCS2]
    assert plan.encodings == {Encoding.GSM7, Encoding.UCS2}


def test_custom_limit() -> None:
    plan = plan_sms("one two three four five six", limit=16)
    assert all(utf16_len(p.body) <= 16 for p in plan.parts)
    assert " ".join(strip_marker(p.body) for p in plan.parts) == "one two three four five six"


@pytest.mark.parametrize(
    "text", ["", "   \n\n ", "---", "<div><!-- only a comment --></div>", "\u200b"]
)
def test_nothing_to_send_gives_empty_plan(text: str) -> None:
    plan = plan_sms(text)
    assert plan.parts == ()
    assert plan.total_segments == 0
    assert plan.encodings == frozenset()


def test_unknown_encoding_mode() -> None:
    with pytest.raises(ValueError, match="encoding"):
        plan_sms("hi", encoding="gsm")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=600), st.sampled_from(["smart", "unicode"]), st.booleans())
def test_plan_invariants(text: str, encoding: str, markdown: bool) -> None:
    plan = plan_sms(text, encoding=encoding, markdown=markdown, limit=160)
    total = len(plan.parts)
    for i, part in enumerate(plan.parts, start=1):
        assert (part.index, part.total) == (i, total)
        assert 0 < utf16_len(part.body) <= 160
        assert part.segments >= 1
        if total > 1:
            assert part.body.startswith(f"({i}/{total}) ")
    if not markdown:
        # Without markdown the pipeline only replaces look-alikes and splits: no text lost.
        expected = smart_replace(text) if encoding == "smart" else text
        bodies = [strip_marker(b) for b in plan.bodies] if total > 1 else list(plan.bodies)
        assert "".join("".join(b.split()) for b in bodies) == "".join(expected.split())
