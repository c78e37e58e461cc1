"""A pretend phone: posts signed webhooks exactly as Twilio would deliver them.

Used by tests, the demo and benchmarks to drive the gateway without Twilio or a real handset.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import aiohttp

from hermes_sms.sandbox._segments import count_segments
from hermes_sms.twilio.signature import SIGNATURE_HEADER, compute_signature

__all__ = ["InboundResult", "new_message_sid", "post_inbound", "post_status_callback"]

API_VERSION = "2010-04-01"
# What Twilio's webhook fetcher identifies itself as; some apps log or branch on it.
TWILIO_USER_AGENT = "TwilioProxy/1.1"
# Twilio's own budget for a webhook answer before it gives up (error 11200).
DEFAULT_WEBHOOK_TIMEOUT = 15.0


@dataclass(frozen=True)
class InboundResult:
    """What the webhook answered, plus exactly what was posted (to re-check signatures)."""

    status: int
    text: str
    message_sid: str
    # Posted form in order; a dict is enough because Twilio never repeats a webhook parameter.
    params: dict[str, str] = field(repr=False)
    content_type: str = ""


def new_message_sid(prefix: str = "SM") -> str:
    """A Twilio-shaped SID: two-letter prefix and 32 lowercase hex digits."""
    return prefix + uuid.uuid4().hex


def _country(number: str) -> str:
    # Twilio fills geo fields from its number database; "US" for +1 is close enough for tests.
    return "US" if number.startswith("+1") else ""


def _inbound_params(
    *,
    account_sid: str,
    from_: str,
    to: str,
    body: str,
    message_sid: str,
    media: Sequence[tuple[str, str]],
    extra: Mapping[str, str] | None,
) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = [
        ("ToCountry", _country(to)),
        ("ToState", ""),
        ("SmsMessageSid", message_sid),
        ("NumMedia", str(len(media))),
        ("ToCity", ""),
        ("FromZip", ""),
        ("SmsSid", message_sid),
        ("FromState", ""),
        ("SmsStatus", "received"),
        ("FromCity", ""),
        ("Body", body),
        ("FromCountry", _country(from_)),
        ("To", to),
        ("ToZip", ""),
        ("NumSegments", str(count_segments(body))),
        ("MessageSid", message_sid),
        ("AccountSid", account_sid),
        ("From", from_),
        ("ApiVersion", API_VERSION),
    ]
    for index, (media_url, content_type) in enumerate(media):
        params.append((f"MediaContentType{index}", content_type))
        params.append((f"MediaUrl{index}", media_url))
    if extra:
        # Extra parameters replace same-named defaults so callers can override anything.
        overridden = set(extra)
        params = [(k, v) for k, v in params if k not in overridden]
        params.extend(extra.items())
    return params


async def _post_signed(
    url: str,
    params: list[tuple[str, str]],
    *,
    auth_token: str,
    session: aiohttp.ClientSession | None,
    sign: bool,
    signature_url: str | None,
    headers: Mapping[str, str] | None,
    timeout: float,
) -> tuple[int, str, str]:
    all_headers = {
        "User-Agent": TWILIO_USER_AGENT,
        # Twilio sends one per delivery attempt; apps may use it to drop retried duplicates.
        "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
    }
    if sign:
        all_headers[SIGNATURE_HEADER] = compute_signature(auth_token, signature_url or url, params)
    if headers:
        all_headers.update(headers)
    own_session = session is None
    session = session or aiohttp.ClientSession()
    try:
        async with session.post(
            url,
            data=params,
            headers=all_headers,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as resp:
            return resp.status, await resp.text(errors="replace"), resp.content_type
    finally:
        if own_session:
            await session.close()


async def post_inbound(
    url: str,
    *,
    auth_token: str,
    account_sid: str,
    from_: str,
    to: str,
    body: str,
    message_sid: str | None = None,
    media: Sequence[tuple[str, str]] = (),
    extra: Mapping[str, str] | None = None,
    session: aiohttp.ClientSession | None = None,
    sign: bool = True,
    signature_url: str | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_WEBHOOK_TIMEOUT,
) -> InboundResult:
    """Deliver an incoming SMS/MMS to ``url`` the way Twilio does: a signed form POST.

    ``media`` is a sequence of (url, content type). ``signature_url`` is the public URL Twilio
    would have signed when ``url`` is a local address behind a tunnel or proxy. ``sign=False``
    sends no signature header, to test that the app rejects unsigned requests. Connection errors
    propagate as aiohttp exceptions.
    """
    sid = message_sid or new_message_sid("MM" if media else "SM")
    params = _inbound_params(
        account_sid=account_sid,
        from_=from_,
        to=to,
        body=body,
        message_sid=sid,
        media=media,
        extra=extra,
    )
    status, text, content_type = await _post_signed(
        url,
        params,
        auth_token=auth_token,
        session=session,
        sign=sign,
        signature_url=signature_url,
        headers=headers,
        timeout=timeout,
    )
    return InboundResult(status, text, sid, dict(params), content_type)


async def post_status_callback(
    url: str,
    *,
    auth_token: str,
    account_sid: str,
    message_sid: str,
    message_status: str,
    from_: str,
    to: str,
    error_code: int | None = None,
    extra: Mapping[str, str] | None = None,
    session: aiohttp.ClientSession | None = None,
    sign: bool = True,
    signature_url: str | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_WEBHOOK_TIMEOUT,
) -> InboundResult:
    """Deliver a message status callback (sent, delivered, undelivered, failed, ...)."""
    params: list[tuple[str, str]] = [
        ("SmsSid", message_sid),
        ("SmsStatus", message_status),
        ("MessageStatus", message_status),
        ("To", to),
        ("MessageSid", message_sid),
        ("AccountSid", account_sid),
        ("From", from_),
        ("ApiVersion", API_VERSION),
    ]
    if error_code is not None:
        params.append(("ErrorCode", str(error_code)))
    if extra:
        overridden = set(extra)
        params = [(k, v) for k, v in params if k not in overridden]
        params.extend(extra.items())
    status, text, content_type = await _post_signed(
        url,
        params,
        auth_token=auth_token,
        session=session,
        sign=sign,
        signature_url=signature_url,
        headers=headers,
        timeout=timeout,
    )
    return InboundResult(status, text, message_sid, dict(params), content_type)
