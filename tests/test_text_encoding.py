"""GSM-7 alphabet, smart look-alike replacement and segment counting."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hermes_sms.text import (
    Encoding,
    SegmentInfo,
    is_gsm7,
    segment_info,
    septet_count,
    smart_replace,
    utf16_len,
)
from hermes_sms.text.gsm import GSM7_BASIC, GSM7_EXTENDED, LOOKALIKES

# ------------------------------------------------------------------ alphabet


def test_basic_table_has_127_characters_plus_escape() -> None:
    assert len(GSM7_BASIC) == 127  # 128 code points, one of them the escape
    assert "\x1b" not in GSM7_BASIC
    for ch in "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà":
        assert ch in GSM7_BASIC, ch
    for ch in "09AZaz":
        assert ch in GSM7_BASIC


def test_extension_table() -> None:
    assert frozenset("\f^{}\\[~]|€") == GSM7_EXTENDED
    assert not GSM7_BASIC & GSM7_EXTENDED


@pytest.mark.parametrize("ch", ["`", "ç", "á", "ú", "Ê", "\t", "“", "😜", "中", "\x1b"])
def test_not_gsm7(ch: str) -> None:
    assert not is_gsm7(f"abc{ch}")


def test_is_gsm7() -> None:
    assert is_gsm7("")
    assert is_gsm7("Hello @ £5 {x} [y] ~ | € ^ \\ Ç")


def test_septet_count() -> None:
    assert septet_count("") == 0
    assert septet_count("abc") == 3
    assert septet_count("€{}") == 6
    assert septet_count("a\fb") == 4
    with pytest.raises(ValueError, match="U\\+00E7"):
        septet_count("ç")


# ------------------------------------------------------------------ smart replace


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("“Hi” «there» „x‟ 5″", '"Hi" "there" "x" 5"'),
        ("it’s ‘a’ ‛b′ ´c` dʼ ‚e", "it's 'a' 'b' 'c' d' 'e"),
        ("a–b—c―d‐e‑f‒g−h", "a-b-c-d-e-f-g-h"),
        (
            "• one\n‣ two\n◦ three\n⁃ four ∙ five · six",
            "- one\n- two\n- three\n- four - five - six",
        ),
        ("wait…", "wait..."),
        ("½ ¼ ¾", "1/2 1/4 3/4"),
        ("6÷2 3×4 1⁄2 ‼", "6/2 3x4 1/2 !!"),
        ("ＡＢＣ１２３！～＼｀", "ABC123!~\\'"),
        ("a\u00a0b\u2002c\u2009d\u202fe\u205ff\u3000g\th\u1680i", "a b c d e f g h i"),
        ("zero\u200bwidth\u2060joined\ufeffsoft\u00adhyphen", "zerowidthjoinedsofthyphen"),
        ("line\u2028next", "line\nnext"),
        # From Twilio's Smart Encoding list: modifier letters and quotation ornaments.
        ("ʺaˮ ❝b❞ 〟c⹂ ❠d", '"a" "b" "c" "d'),
        ("ʻaˈ ʽbʹ ˊcˋ ❛d❜ ❟e", "'a' 'b' 'c' 'd' 'e"),
        ("a﹘b﹣c︱d︲e", "a-b-c-d-e"),
        ("wait‥ 1․5", "wait.. 1.5"),
    ],
)
def test_lookalikes_replaced(src: str, expected: str) -> None:
    assert smart_replace(src) == expected
    assert is_gsm7(smart_replace(src))


def test_gsm7_characters_never_replaced() -> None:
    assert not set(LOOKALIKES) & (GSM7_BASIC | GSM7_EXTENDED)
    text = "".join(sorted(GSM7_BASIC | GSM7_EXTENDED))
    assert smart_replace(text) == text


def test_accents_and_other_scripts_untouched() -> None:
    text = "Ça va? ç á ú ê ő — 中文 😜 Привет"
    assert smart_replace(text) == "Ça va? ç á ú ê ő - 中文 😜 Привет"


def test_reply_with_only_lookalikes_goes_gsm7() -> None:
    reply = "It’s “done” — 3×4 = 12…\u00a0ok"
    assert not is_gsm7(reply)
    assert segment_info(reply).encoding is Encoding.UCS2
    assert segment_info(smart_replace(reply)).encoding is Encoding.GSM7


def test_zwj_kept_inside_emoji_sequences() -> None:
    family = "👨\u200d👩\u200d👧"
    assert smart_replace(f"“{family}”") == f'"{family}"'


def test_zwj_and_zwnj_dropped_between_gsm_characters() -> None:
    assert smart_replace("a\u200db\u200cc") == "abc"
    # The neighbours are judged after their own replacement: curly quotes become GSM-7.
    assert smart_replace("“\u200d”") == '""'
    assert smart_replace("a\u200d\u200db") == "ab"


def test_zwnj_kept_in_persian() -> None:
    word = "می\u200cخواهم"
    assert smart_replace(word) == word


def test_zwj_next_to_one_non_gsm_char_is_kept() -> None:
    assert smart_replace("a\u200d😜") == "a\u200d😜"
    assert smart_replace("😜\u200d\u200da") == "😜\u200d\u200da"


_lookalike_or_gsm = st.sampled_from(sorted(LOOKALIKES) + sorted(GSM7_BASIC | GSM7_EXTENDED))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.one_of(_lookalike_or_gsm, st.sampled_from("\u200c\u200d"))))
def test_lookalike_text_always_becomes_gsm7(text: str) -> None:
    out = smart_replace(text)
    assert is_gsm7(out)
    assert smart_replace(out) == out  # idempotent


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_smart_replace_only_touches_lookalikes(text: str) -> None:
    out = smart_replace(text)
    # Every character that is not a look-alike or a joiner is still there, in order.
    kept = [ch for ch in text if ch not in LOOKALIKES and ch not in "\u200c\u200d\u200e\u200f"]
    it = iter(out)
    assert all(ch in it for ch in kept)
    assert len(out) <= len(text) + 2 * sum(ch in LOOKALIKES for ch in text)
    assert smart_replace(out) == out


# ------------------------------------------------------------------ segments


def test_empty_text_costs_nothing() -> None:
    assert segment_info("") == SegmentInfo(Encoding.GSM7, 0, 0)


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("1" * 160, Encoding.GSM7, 160, 1),
        ("1" * 161, Encoding.GSM7, 161, 2),
        ("1" * 306, Encoding.GSM7, 306, 2),
        ("1" * 307, Encoding.GSM7, 307, 3),
        ("€" + "1" * 158, Encoding.GSM7, 160, 1),
        ("€" + "1" * 159, Encoding.GSM7, 161, 2),
        ("1" * 159 + "€", Encoding.GSM7, 161, 2),  # escape pair at the 160 boundary
        ("😜" + "1" * 68, Encoding.UCS2, 70, 1),
        ("😜" + "1" * 69, Encoding.UCS2, 71, 2),
        ("ú" * 70, Encoding.UCS2, 70, 1),
        ("ú" * 71, Encoding.UCS2, 71, 2),
        ("ú" * 134, Encoding.UCS2, 134, 2),
        ("ú" * 135, Encoding.UCS2, 135, 3),
    ],
)
def test_known_segment_counts(text: str, encoding: Encoding, units: int, segments: int) -> None:
    assert segment_info(text) == SegmentInfo(encoding, units, segments)


def test_escape_pair_never_straddles_153_boundary() -> None:
    # 152 + 2 + 152 = 306 septets: two segments by division, but the € would occupy
    # septets 153 and 154, so it moves to segment 2, which then overflows into a third.
    straddling = "1" * 152 + "€" + "1" * 152
    assert segment_info(straddling) == SegmentInfo(Encoding.GSM7, 306, 3)
    # Shift the € by one and it fits exactly: 151 + 2 | 153.
    fitting = "1" * 151 + "€" + "1" * 153
    assert segment_info(fitting) == SegmentInfo(Encoding.GSM7, 306, 2)


def test_surrogate_pair_never_straddles_67_boundary() -> None:
    straddling = "a" * 66 + "😜" + "a" * 66  # 134 units; emoji would sit on units 67/68
    assert segment_info(straddling) == SegmentInfo(Encoding.UCS2, 134, 3)
    fitting = "a" * 65 + "😜" + "a" * 67
    assert segment_info(fitting) == SegmentInfo(Encoding.UCS2, 134, 2)


def test_one_non_gsm_char_makes_whole_message_ucs2() -> None:
    info = segment_info("a" * 100 + "中")
    assert info == SegmentInfo(Encoding.UCS2, 101, 2)


def test_utf16_len() -> None:
    assert utf16_len("") == 0
    assert utf16_len("aé中") == 3
    assert utf16_len("😜👨\u200d👩") == 7  # 2 + 2 + 1 + 2


def _brute_force_segments(sizes: list[int], single: int, multi: int) -> int:
    """Reference: fill segments one character at a time, as a modem would."""
    if not sizes:
        return 0
    if sum(sizes) <= single:
        return 1
    segments = [[]]
    for size in sizes:
        if sum(segments[-1]) + size > multi:
            segments.append([])
        segments[-1].append(size)
    return len(segments)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab€{😜ú"), max_size=400))
def test_segments_match_reference_packing(text: str) -> None:
    info = segment_info(text)
    if is_gsm7(text):
        sizes = [2 if ch in GSM7_EXTENDED else 1 for ch in text]
        expected = _brute_force_segments(sizes, 160, 153)
        assert info.encoding is Encoding.GSM7
    else:
        sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
        expected = _brute_force_segments(sizes, 70, 67)
        assert info.encoding is Encoding.UCS2
    assert info.units == sum(sizes)
    assert info.segments == expected
    # Packing never beats the ideal division.
    per = 153 if info.encoding is Encoding.GSM7 else 67
    if info.segments > 1:
        assert info.segments >= -(-info.units // per)


def test_arrows_become_ascii_arrows() -> None:
    from hermes_sms.text import segment_info, smart_replace

    text = smart_replace("Settings → Privacy ⇒ done; a ↔ b ← back")
    assert text == "Settings -> Privacy => done; a <-> b <- back"
    assert segment_info(text).encoding.value == "GSM-7"


def test_more_lookalikes_and_direction_marks() -> None:
    from hermes_sms.text import segment_info, smart_replace

    assert smart_replace("a ≤ b ≥ c ≠ d, xˆ2 ˜1") == "a <= b >= c != d, x^2 ~1"
    # A direction mark between GSM-7 text is noise that would force UCS-2; next to Hebrew
    # it orders the text and stays.
    assert smart_replace("Call \u200e+1 555 now") == "Call +1 555 now"
    assert segment_info(smart_replace("ok\u200fok")).encoding.value == "GSM-7"
    assert smart_replace("\u05e9\u05dc\u05d5\u05dd\u200f!") == "\u05e9\u05dc\u05d5\u05dd\u200f!"


def test_long_runs_of_joiners_stay_linear() -> None:
    from hermes_sms.text import smart_replace

    # 50,000 joiners between two letters: one pass, not one scan per joiner.
    assert smart_replace("a" + "\u200d" * 50_000 + "b") == "ab"
