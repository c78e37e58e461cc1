"""Logging that cannot leak: every line passes through phone-number and secret redaction.

Redacting the formatted line, rather than trusting each call site, also covers numbers that
arrive inside message text, agent errors or library messages.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import IO

from hermes_sms.phone import redact_text

LOGGER_NAME = "hermes_sms"


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then redacts phone numbers and replaces known secrets with `***`."""

    def __init__(self, fmt: str, secrets: Iterable[str] = ()) -> None:
        super().__init__(fmt)
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        for secret in self._secrets:
            line = line.replace(secret, "***")
        # One event, one line: text quoted from an agent or Twilio error may hold line breaks,
        # which would make a forged-looking second "[sms]" line or split a grep.
        return redact_text(line).replace("\r", "\\r").replace("\n", "\\n")


def configure_logging(
    stream: IO[str], *, secrets: Iterable[str] = (), level: int = logging.INFO
) -> logging.Logger:
    """Send the package's log lines to `stream` as `[sms] ...`, one line per event."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("[sms] %(message)s", secrets))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return logger


def skip_unused_record_fields() -> None:
    """Stop the logging module collecting what "[sms] %(message)s" never shows, process-wide.

    Each record otherwise looks up its caller's file and line (walking the stack), thread,
    process id and process name: about a third of a log line's cost, on every webhook. These
    are the switches the logging HOWTO's "Optimization" section documents. For a process that
    owns its logging (the gateway command), not for a library to call.
    """
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None  # documented there: skips sys._getframe() in findCaller


def get_logger(name: str) -> logging.Logger:
    """A child of the package logger (`hermes_sms.gateway`, ...)."""
    return logging.getLogger(f"{LOGGER_NAME}.{name}")
