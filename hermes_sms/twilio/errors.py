"""Twilio errors: one exception type, a table of plain-language explanations, and the retry policy.

Kept free of third-party imports so the CLI can explain an error code without paying for aiohttp.
"""

from __future__ import annotations

__all__ = ["TwilioError", "explain", "is_retryable"]

_DOCS_URL = "https://www.twilio.com/docs/errors/{code}"

# One line each: what the user should understand (and usually do), not Twilio's full wording.
_EXPLANATIONS: dict[int, str] = {
    11200: "Twilio could not reach your webhook URL (or it answered too slowly or with an error).",
    20003: "Authentication failed: check the Account SID and Auth Token.",
    20404: "The requested Twilio resource was not found (wrong SID or account?).",
    20429: "Too many concurrent requests to Twilio; back off and retry.",
    20500: "Twilio had an internal error; trying again later usually works.",
    20503: "Twilio is temporarily unavailable; trying again later usually works.",
    21211: "The 'To' number is not a valid phone number.",
    21266: "The 'To' number is the 'From' number: a number cannot text itself.",
    21408: "Sending SMS to this region is not enabled in the Twilio geo-permissions.",
    21602: "The message body is empty and there is no media to send.",
    21603: "A 'From' number or Messaging Service SID is required.",
    21604: "A 'To' number is required.",
    21606: "The 'From' number is not an SMS-capable number of this account.",
    21608: "Trial account: the 'To' number must be verified in the Twilio console first.",
    21610: "The recipient replied STOP and has opted out; they must text START to opt back in.",
    21611: "The sender's message queue is full; try again later.",
    21612: "Twilio cannot route a message from this 'From' number to this 'To' number.",
    21614: "The 'To' number is not a mobile number that can receive SMS.",
    21617: "The message body is longer than 1600 characters.",
    30003: "Delivery failed: the destination handset is unreachable.",
    30005: "Delivery failed: the destination number is unknown or no longer exists.",
    30006: "Delivery failed: the destination is a landline or cannot receive SMS.",
    30007: "Delivery failed: the carrier filtered the message (spam or content rules).",
    30008: "Delivery failed for an unknown reason reported by the carrier.",
    30032: "Toll-free: the sending number is not verified, so carriers block its messages.",
    30034: "US 10DLC: the sending number is not registered to an approved A2P campaign.",
}

# Codes that will fail the same way however often they are retried.
_PERMANENT_CODES = frozenset(
    {
        20003,
        20404,
        21211,
        21266,
        21408,
        21603,
        21604,
        21606,
        21608,
        21610,
        21612,
        21614,
        21617,
    }
)
# Codes that mean "not now": Twilio never processed the request or will accept it later.
_TRANSIENT_CODES = frozenset({20429, 21611})


def explain(code: int | None) -> str:
    """Return a one-line, human explanation of a Twilio error code."""
    if code is None:
        return "No Twilio error code (network problem or unexpected response)."
    known = _EXPLANATIONS.get(code)
    if known is not None:
        return known
    return f"Twilio error {code}: see {_DOCS_URL.format(code=code)}"


def is_retryable(status: int | None, code: int | None) -> bool:
    """Decide whether retrying the same request later can succeed.

    ``status`` None means the request never got an HTTP answer (connection error, timeout).
    """
    if code in _TRANSIENT_CODES:
        return True
    if code in _PERMANENT_CODES:
        return False
    if status is None:
        return True
    # Any other 4xx (and anything unexpected) is a problem with the request itself.
    return status == 429 or status >= 500


class TwilioError(Exception):
    """A failed Twilio API call: an HTTP error answer, or no answer at all (``status`` None).

    Never carries credentials: the message comes from Twilio's answer or from the client, which
    only ever mentions the base URL.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        more_info: str | None = None,
        in_doubt: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.more_info = more_info
        # The request may have reached Twilio but no answer came back (a timeout, a dropped
        # connection): a message may have been created. Never true for an HTTP answer.
        self.in_doubt = in_doubt

    @property
    def explanation(self) -> str:
        """One-line human meaning of :attr:`code`."""
        return explain(self.code)

    @property
    def retryable(self) -> bool:
        """True when the same request may succeed if tried again later."""
        return is_retryable(self.status, self.code)

    def __str__(self) -> str:
        if self.status is None and self.code is None:
            # No answer at all: the message says what happened ("could not reach …"); calling
            # it a "Twilio error" would suggest Twilio refused something.
            return self.message
        head = "Twilio error" if self.code is None else f"Twilio error {self.code}"
        if self.status is not None:
            head += f" (HTTP {self.status})"
        text = f"{head}: {self.message}"
        # The generic fallback just repeats the code, so only add explanations that say something.
        if self.code is not None and self.code in _EXPLANATIONS:
            text += f" — {self.explanation}"
        return text

    def __repr__(self) -> str:
        return f"TwilioError(status={self.status!r}, code={self.code!r}, message={self.message!r})"

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only constructor arguments need help to survive pickling (multiprocessing, etc.).
        return (_rebuild, (self.message, self.status, self.code, self.more_info, self.in_doubt))


def _rebuild(
    message: str,
    status: int | None,
    code: int | None,
    more_info: str | None,
    in_doubt: bool = False,
) -> TwilioError:
    return TwilioError(message, status=status, code=code, more_info=more_info, in_doubt=in_doubt)
