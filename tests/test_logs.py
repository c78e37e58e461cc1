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


def test_lean_records_log_the_same_lines() -> None:
    """The gateway's process-wide logging switches change nothing a line shows. In a child
    process, because they are process-wide."""
    import subprocess
    import sys

    script = (
        "import io, logging\n"
        "from hermes_sms.logs import configure_logging, get_logger, skip_unused_record_fields\n"
        "skip_unused_record_fields()\n"
        f"out = io.StringIO(); configure_logging(out, secrets=[{TOKEN!r}])\n"
        f"get_logger('gateway').info('received SM1 from +15550100002 with %s', {TOKEN!r})\n"
        "get_logger('gateway').warning('two\\nlines')\n"
        "assert logging.getLogger('x').makeRecord('x', 20, None, 0, 'm', (), None).thread is None\n"
        "print(out.getvalue(), end='')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout == "[sms] received SM1 from +1555***0002 with ***\n[sms] two\\nlines\n"
