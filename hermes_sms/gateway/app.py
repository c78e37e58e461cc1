"""aiohttp routes, kept thin: read the request, verify it, hand it to the core, answer TwiML.

Every answer to Twilio is decided here: 200 with an empty `<Response/>` for anything we
accept or deliberately ignore, 403 for a bad signature, 400/413 for bad input, 503 when the
database cannot take the message (so the failure shows in Twilio's console instead of a
silent loss). Bad input never produces a 5xx.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable

from aiohttp import web
from multidict import MultiDict

from hermes_sms import __version__, messages
from hermes_sms.config import Settings
from hermes_sms.gateway.inbound import InboundHandler, MalformedWebhook, parse_form
from hermes_sms.gateway.paths import HEALTH_PATH, SERVICE_NAME, STATUS_PATH, WEBHOOK_PATH
from hermes_sms.gateway.urlencoded import parse_form_body
from hermes_sms.gateway.verify import public_url
from hermes_sms.phone import redact
from hermes_sms.store import Store
from hermes_sms.twilio.signature import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    is_valid_signature,
)

MAX_BODY_BYTES = 64 * 1024
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
FORM_TYPE = "application/x-www-form-urlencoded"
OPTED_OUT_CODE = "21610"


def twiml() -> web.Response:
    return web.Response(text=EMPTY_TWIML, content_type="application/xml")


class WebhookRoutes:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        inbound: InboundHandler,
        log: logging.Logger,
    ) -> None:
        self._settings = settings
        self._twilio = settings.require_twilio()
        self._store = store
        self._inbound = inbound
        self._log = log

    async def _verified_form(
        self, request: web.Request, configured_url: str | None
    ) -> MultiDict[str]:
        """The form's fields once the request is proven to come from Twilio; else raise."""
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            raise web.HTTPRequestEntityTooLarge(
                max_size=MAX_BODY_BYTES, actual_size=request.content_length
            )
        if request.content_type != FORM_TYPE:
            raise web.HTTPBadRequest(text="expected application/x-www-form-urlencoded")
        raw = await request.read()  # bounded by client_max_size: 413 beyond it
        try:
            fields = parse_form_body(raw)
        except UnicodeDecodeError:
            raise web.HTTPBadRequest(text="undecodable form body") from None
        if not self._settings.insecure_no_signature:
            url = public_url(
                scheme=request.scheme,
                host=request.host,
                # raw_path: exactly as Twilio sent it; yarl's normalised form (%7E -> ~)
                # would be a different string and fail a valid signature.
                path_qs=request.raw_path,
                headers=request.headers,
                configured_url=configured_url,
            )
            signature = request.headers.get(SIGNATURE_HEADER)
            if not is_valid_signature(self._twilio.auth_token, url, fields, signature):
                why = "missing" if not signature else "invalid"
                hint = (
                    messages.SHARED_KEY_SIGNATURE
                    if signature and request.headers.get(SIGNATURE_SETTINGS_HEADER)
                    else ""
                )
                self._log.warning(
                    "rejected webhook: %s X-Twilio-Signature (for %s)%s", why, url, hint
                )
                raise web.HTTPForbidden(text="invalid signature")
        account = fields.get("AccountSid")
        if account != self._twilio.account_sid:
            self._log.warning("rejected webhook: AccountSid is not ours")
            raise web.HTTPForbidden(text="wrong account")
        return fields

    async def message(self, request: web.Request) -> web.Response:
        fields = await self._verified_form(request, self._settings.webhook_url)
        try:
            form = parse_form(fields)
        except MalformedWebhook as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        try:
            await self._inbound.handle(form)
        except sqlite3.Error as exc:
            # Not acknowledged, so Twilio records the failure and the user can see it.
            self._log.error("could not store message %s: %s", form.message_sid, exc)
            raise web.HTTPServiceUnavailable(text="storage unavailable") from None
        return twiml()

    async def status(self, request: web.Request) -> web.Response:
        configured = status_callback_url(self._settings.webhook_url)
        fields = await self._verified_form(request, configured)
        sid = fields.get("MessageSid") or fields.get("SmsSid") or ""
        status = fields.get("MessageStatus") or fields.get("SmsStatus") or ""
        if not sid or not status:
            raise web.HTTPBadRequest(text="MessageSid and MessageStatus are required")
        code_text = fields.get("ErrorCode") or ""
        # Twilio's codes are short ASCII numbers; anything else ("²", 40 digits) is not a code.
        code = int(code_text) if code_text.isascii() and code_text.isdigit() else None
        if code is not None and code > 2**31:
            code = None
        try:
            recipient = self._store.update_delivery(sid, status.lower(), code)
            if recipient and code_text == OPTED_OUT_CODE:
                self._store.set_opted_out(recipient, True, OPTED_OUT_CODE)
        except sqlite3.Error as exc:
            self._log.error("could not record status of %s: %s", sid, exc)
            raise web.HTTPServiceUnavailable(text="storage unavailable") from None
        if recipient is None:
            self._log.info("status %s for unknown message %s", status, sid)
        elif code is not None or status.lower() in ("failed", "undelivered"):
            self._log.warning(
                "delivery to %s %s: %s (%s)", redact(recipient), sid, status, _meaning(code)
            )
        else:
            self._log.info("delivery to %s %s: %s", redact(recipient), sid, status)
        return twiml()

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "service": SERVICE_NAME, "version": __version__})


def _meaning(code: int | None) -> str:
    """`error 30003: Delivery failed: ...`: the code and what it means, in one phrase."""
    from hermes_sms.twilio.errors import explain

    meaning = explain(code)
    return meaning if code is None or str(code) in meaning else f"error {code}: {meaning}"


def status_callback_url(webhook_url: str | None) -> str | None:
    """Where Twilio posts delivery statuses: the webhook URL plus `/status`.

    Derived rather than configured so that one public URL (one tunnel) serves both routes.
    """
    if not webhook_url:
        return None
    base, sep, query = webhook_url.partition("?")
    return base.rstrip("/") + "/status" + (sep + query if sep else "")


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _never_crash(handler: Handler) -> Handler:
    """A bug must not answer with a stack trace; log it (redacted) and answer 500.

    A wrapper around each route rather than an aiohttp middleware: a middleware adds its own
    per-request machinery to every webhook, measurably, for what is a try/except.
    """

    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception as exc:
            logging.getLogger("hermes_sms.gateway").error(
                "internal error on %s: %s: %s", request.path, type(exc).__name__, exc
            )
            return web.Response(status=500, text="internal error")

    return guarded


def create_app(routes: WebhookRoutes) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_post(WEBHOOK_PATH, _never_crash(routes.message))
    app.router.add_post(STATUS_PATH, _never_crash(routes.status))
    app.router.add_get(HEALTH_PATH, _never_crash(routes.health))
    return app
