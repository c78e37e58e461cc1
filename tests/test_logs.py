"""The gateway's log lines: one line per event, numbers redacted, secrets never shown."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from hermes_sms.logs import configure_logging, get_logger

TOKEN = "tok_0123456789abcdef"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    out = io.StringIO()
    configure_logging(out, secrets=[TOKEN])
    yield out
    # Leave the package logger as other tests expect to find it: no handler on a dead stream.
    for handler in list(logging.getLogger("hermes_sms").handlers):
        logging.getLogger("hermes_sms").removeHandler(handler)


def test_line_breaks_in_quoted_text_stay_on_one_line(stream: io.StringIO) -> None:
    get_logger("gateway").warning(
        "agent failed for %s: %s", "+15550100002", "HTTP 500\n[sms] replied to +15550100003\r\n"
    )
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("[sms] agent failed for +1555***0002: HTTP 500\\n[sms] replied")
    assert "+15550100003" not in lines[0] and "+1555***0003" in lines[0]


def test_secrets_and_numbers_in_messages_are_hidden(stream: io.StringIO) -> None:
    get_logger("gateway").info("key %s from (555) 010-0004", TOKEN)
    line = stream.getvalue()
    assert TOKEN not in line and "***" in line
    assert "010-0004" not in line
