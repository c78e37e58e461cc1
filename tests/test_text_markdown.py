"""markdown_to_text: every construct an LLM reply uses, and text that only looks like markdown."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hermes_sms.text import markdown_to_text


def test_emphasis_strong_and_strikethrough_markers_go() -> None:
    md = "Some **bold**, *em*, __strong__, _under_ and ~~gone~~ text."
    assert markdown_to_text(md) == "Some bold, em, strong, under and gone text."


def test_nested_emphasis() -> None:
    assert markdown_to_text("***both*** and **a *b* c**") == "both and a b c"


def test_headings_become_plain_lines() -> None:
    md = "# Title\n\nBody text.\n\n## Sub *heading*\nmore\n\nSetext\n======"
    assert markdown_to_text(md) == "Title\n\nBody text.\n\nSub heading\n\nmore\n\nSetext"


def test_bullet_lists() -> None:
    assert markdown_to_text("* one\n* two\n+ three") == "- one\n- two\n\n- three"


def test_ordered_list_keeps_start_number() -> None:
    assert markdown_to_text("3. three\n4. four\n9. five") == "3. three\n4. four\n5. five"
    assert markdown_to_text("1) a\n2) b") == "1. a\n2. b"


def test_nested_lists_indent_two_spaces_per_level() -> None:
    md = "- a\n  - b\n    1. c\n    2. d\n  - e\n- f"
    assert markdown_to_text(md) == "- a\n  - b\n    1. c\n    2. d\n  - e\n- f"


def test_loose_list_items_stay_compact() -> None:
    md = "1. first\n\n   second paragraph\n\n2. two"
    assert markdown_to_text(md) == "1. first\n  second paragraph\n2. two"


def test_list_after_paragraph_is_its_own_block() -> None:
    assert markdown_to_text("Steps:\n\n- a\n- b\n\nDone.") == "Steps:\n\n- a\n- b\n\nDone."


def test_code_span_kept_verbatim_without_backticks() -> None:
    assert markdown_to_text("Run `rm -rf *_tmp_*` now") == "Run rm -rf *_tmp_* now"


def test_fenced_code_block_kept_verbatim_without_fences() -> None:
    md = "Try:\n\n```python\ndef f(x):\n    return x * 2  # **not bold**\n```\n\nDone."
    assert markdown_to_text(md) == ("Try:\n\ndef f(x):\n    return x * 2  # **not bold**\n\nDone.")


def test_indented_code_block_kept_verbatim() -> None:
    assert markdown_to_text("Para\n\n    a *b*\n      c\n\nEnd") == "Para\n\na *b*\n  c\n\nEnd"


def test_links() -> None:
    assert markdown_to_text("See [the docs](https://x.com/d).") == "See the docs (https://x.com/d)."
    assert markdown_to_text("[https://x.com](https://x.com)") == "https://x.com"
    assert markdown_to_text("[](https://x.com)") == "https://x.com"
    assert markdown_to_text('[a **b**](http://y.org "title")') == "a b (http://y.org)"


def test_autolinks_and_bare_urls_stay_as_they_are() -> None:
    assert markdown_to_text("<https://x.com/a?b=1>") == "https://x.com/a?b=1"
    assert markdown_to_text("<me@example.com>") == "me@example.com"
    assert markdown_to_text("go to https://x.com/a_b_c now") == "go to https://x.com/a_b_c now"
    assert markdown_to_text("<https://x.com/ä>") == "https://x.com/ä"


def test_images() -> None:
    assert markdown_to_text("![a cat](https://i.com/c.png)") == "a cat (https://i.com/c.png)"
    assert markdown_to_text("![](https://i.com/c.png)") == "https://i.com/c.png"
    assert markdown_to_text("![*big* cat](c.png)") == "big cat (c.png)"


def test_table_rows_become_header_value_lines() -> None:
    md = "| Name | Price |\n|------|------:|\n| Tea | $1,000 |\n| *Coffee* | |\n|  | 3 |"
    assert markdown_to_text(md) == "Name: Tea; Price: $1,000\nName: Coffee\nPrice: 3"


def test_table_without_body_lists_headers() -> None:
    assert markdown_to_text("| a | b |\n|---|---|") == "a | b"


def test_table_between_paragraphs() -> None:
    md = "Prices:\n\n| k | v |\n|---|---|\n| x | 1 |\n\nThat's all."
    assert markdown_to_text(md) == "Prices:\n\nk: x; v: 1\n\nThat's all."


def test_blockquote_keeps_prefix() -> None:
    md = "He said:\n\n> Be *kind*.\n> Always.\n>\n> Really.\n\nOk."
    assert markdown_to_text(md) == "He said:\n\n> Be kind.\n> Always.\n>\n> Really.\n\nOk."


def test_nested_blockquote_and_list_in_quote() -> None:
    assert markdown_to_text("> a\n>> b\n>\n> - c") == "> a\n>\n> > b\n>\n> - c"


def test_horizontal_rule_disappears() -> None:
    assert markdown_to_text("a\n\n---\n\nb\n\n***\n\n___") == "a\n\nb"


def test_raw_html_tags_dropped_text_kept() -> None:
    md = "<div>\n<b>block</b>\n</div>\n\nx <span>y</span> <!-- c --> z"
    assert markdown_to_text(md) == "block\n\nx y  z"
    assert markdown_to_text("<p>Hello</p>") == "Hello"
    assert markdown_to_text("<div>\nSee the **docs**\n</div>") == "See the docs"
    assert markdown_to_text("<!DOCTYPE html> text") == "text"
    assert markdown_to_text("<script>alert(1)</script>\n\nafter") == "after"


def test_placeholders_in_angle_brackets_survive() -> None:
    assert markdown_to_text("Usage: send <message>") == "Usage: send <message>"
    assert markdown_to_text("Reply to <your-number> now") == "Reply to <your-number> now"
    assert markdown_to_text("<message>\n\nhi") == "<message>\n\nhi"


def test_deep_nesting_falls_back_to_the_text() -> None:
    deep = "*" * 500 + "a" + "*" * 500
    assert markdown_to_text(deep) == deep


def test_long_unspaced_emphasis_is_not_quadratic() -> None:
    # 50 KB without a space: each pair judged in constant time (this took 23 s before).
    text = markdown_to_text("a*b*" * 12_500)
    assert text.startswith("a*b*a*b*") and len(text) >= 49_990


def test_html_br_becomes_newline() -> None:
    assert markdown_to_text("a<br>b<br/>c") == "a\nb\nc"


def test_line_breaks_keep_the_authors_lines() -> None:
    assert markdown_to_text("one\ntwo  \nthree\\\nfour") == "one\ntwo\nthree\nfour"


def test_paragraphs_one_blank_line_and_whitespace_stripped() -> None:
    assert markdown_to_text("\n\n  a  \n\n\n\n\nb\n\n\n") == "a\n\nb"


def test_entities_decode() -> None:
    assert markdown_to_text("A &amp; B &lt;3 &copy; &#36;5") == "A & B <3 © $5"


def test_empty_and_whitespace() -> None:
    assert markdown_to_text("") == ""
    assert markdown_to_text(" \n\t\n ") == ""
    assert markdown_to_text("---") == ""


@pytest.mark.parametrize(
    "text",
    [
        "snake_case_names",
        "2*3*4",
        "2*3 + 4*5 = 26",
        "x*y*z and a*b",
        "https://example.com/a_b_c",
        "https://example.com/*star*/x",
        r"C:\path\to\file",
        r"C:\temp\*.txt",
        r"\\server\share\_private",
        r"D:\_data\[old]",
        "$5 * 3 = $15",
        "me@example.com and first_last@mail.example.org",
        "__init__.py and foo.__dict__",
        "a < b > c",
        "#hashtag and 100% + 5",
        "price: 10 USD; tax (5%)",
    ],
)
def test_text_that_only_looks_like_markdown_survives(text: str) -> None:
    assert markdown_to_text(text) == text


def test_backslash_escapes_outside_paths_are_honoured() -> None:
    assert (
        markdown_to_text(r"2\*3 is \*not\* emphasis, \_x\_ \# \\")
        == "2*3 is *not* emphasis, _x_ # \\"
    )


def test_backslash_before_non_punctuation_is_literal() -> None:
    assert markdown_to_text(r"a\b \n \d") == r"a\b \n \d"


def test_real_emphasis_still_works_next_to_punctuation() -> None:
    assert markdown_to_text("**Note**: it's *fine*.") == "Note: it's fine."
    assert markdown_to_text("**Python**'s (_really_)") == "Python's (really)"


# Words built so that any markdown-looking character sits inside the word, which is how
# such characters appear in identifiers, arithmetic and URLs.
_part = st.text(alphabet="abcxyz0189", min_size=1, max_size=5)
_word = st.one_of(
    _part,
    st.lists(_part, min_size=2, max_size=4).map("_".join),
    st.lists(_part, min_size=2, max_size=4).map("*".join),
    st.lists(_part, min_size=1, max_size=3).map(lambda p: "https://ex.com/" + "_".join(p)),
    st.tuples(_part, _part).map(lambda p: f"{p[0]}@{p[1]}.com"),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_word, min_size=1, max_size=8).map(" ".join), min_size=1, max_size=4))
def test_plain_looking_text_is_unchanged(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert markdown_to_text(text) == text
