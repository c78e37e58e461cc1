"""Corners of markdown_to_text that test_text_markdown.py did not pin down (found by mutating
markdown.py): each test fails if one rule of the SMS rendering is dropped or inverted."""

from __future__ import annotations

import pytest

from hermes_sms.text import markdown_to_text


def test_block_html_elements_end_a_line_without_adding_blank_lines() -> None:
    # Each <p> ends a line (the words must not run together), but the empty lines that
    # removing the tags leaves behind are not blank lines in the SMS.
    assert markdown_to_text("<p>a</p><p>b</p>") == "a\nb"


def test_script_and_style_are_hidden_whatever_their_case() -> None:
    assert markdown_to_text("<SCRIPT>alert(1)</SCRIPT>\n\nafter") == "after"
    assert markdown_to_text("<div>\n<Style>p{}</Style>\ntext\n</div>") == "text"


def test_inline_html_at_the_end_of_a_line_leaves_no_trailing_space() -> None:
    assert markdown_to_text("hello <!-- note -->\nworld") == "hello\nworld"
    assert markdown_to_text("```\na  \n```") == "a"


def test_table_row_of_empty_cells_is_skipped() -> None:
    md = "| a | b |\n|---|---|\n| x | 1 |\n|  |  |\n| y | 2 |"
    assert markdown_to_text(md) == "a: x; b: 1\na: y; b: 2"


def test_table_with_only_empty_body_rows_lists_its_headers() -> None:
    assert markdown_to_text("| a | b |\n|---|---|\n|  |  |") == "a | b"


def test_header_only_table_skips_empty_header_cells() -> None:
    assert markdown_to_text("| a |  | b |\n|---|---|---|") == "a | b"


def test_br_inside_a_table_cell_does_not_break_the_row() -> None:
    md = "| k | v |\n|---|---|\n| x | one<br>two |\n| y | 3 |"
    assert markdown_to_text(md) == "k: x; v: one two\nk: y; v: 3"


def test_image_whose_alt_is_its_url_shows_the_url_once() -> None:
    assert markdown_to_text("![https://i.com/c.png](https://i.com/c.png)") == "https://i.com/c.png"


def test_image_alt_is_trimmed() -> None:
    assert markdown_to_text("![ cat ](c.png)") == "cat (c.png)"
    assert markdown_to_text("x ![ ](c.png) y") == "x c.png y"


def test_image_and_link_without_destination_keep_only_their_text() -> None:
    assert markdown_to_text("![a cat]() and [a link]()") == "a cat and a link"


def test_www_words_are_urls_not_emphasis() -> None:
    assert markdown_to_text("see www.example.com/*star*/x") == "see www.example.com/*star*/x"


@pytest.mark.parametrize(
    ("md", "text"),
    [
        # A star pair is kept literally only when a letter/digit touches it on BOTH sides.
        ("foo*bar* baz", "foobar baz"),
        ("baz *bar*foo", "baz barfoo"),
        # The opener at the very start of the text has nothing before it.
        ("*a*2", "a2"),
    ],
)
def test_star_pair_touching_a_word_on_one_side_is_emphasis(md: str, text: str) -> None:
    assert markdown_to_text(md) == text


def test_escapes_after_a_literal_backslash_word_are_still_escapes() -> None:
    # "a\b" is path-like (a backslash that is no escape), but that ends with the word.
    assert markdown_to_text(r"a\b \*x\*") == r"a\b *x*"
    assert markdown_to_text(r"C:\temp\x.txt and \*not\*") == r"C:\temp\x.txt and *not*"


def test_path_without_drive_letter_keeps_its_escaped_backslashes() -> None:
    assert markdown_to_text(r"dir\sub\*.txt") == r"dir\sub\*.txt"


def test_entity_in_a_path_is_decoded_without_a_backslash() -> None:
    assert markdown_to_text(r"C:\dir\a&amp;b") == r"C:\dir\a&b"


@pytest.mark.parametrize(
    "path", [r"C:\Program Files\_tools", r"D:\My Files\*.txt", r"C:\My Big\_Files\_x"]
)
def test_windows_path_with_a_space_keeps_every_backslash(path: str) -> None:
    assert markdown_to_text(f"Open {path} now") == f"Open {path} now"


@pytest.mark.parametrize(
    ("md", "text"),
    [
        (r"See C:\dir and snake\_case", r"See C:\dir and snake_case"),
        ("C:\\dir\nsnake\\_case", "C:\\dir\nsnake_case"),
    ],
)
def test_a_path_ends_at_a_word_without_a_backslash_or_at_a_line_end(md: str, text: str) -> None:
    assert markdown_to_text(md) == text


@pytest.mark.parametrize(
    "md", ["line one <br> line two", "line one<br>\nline two", "line one <br/>  \n line two"]
)
def test_html_br_gives_exactly_one_line_break(md: str) -> None:
    assert markdown_to_text(md) == "line one\nline two"
