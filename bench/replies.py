"""Know when the gateway's reply reaches "Twilio": a timestamping front on the emulator.

The emulator records requests but not when they arrived, and polling its message list would
add the polling interval to every latency. So the bench adds one aiohttp middleware of its
own to the emulator's app (before it starts, while the middleware list is still open) that
stamps each create-message request on arrival and hands the stamp to whoever waits for that
recipient. The emulator itself is not modified.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable

from aiohttp import web

from hermes_sms.sandbox import TwilioEmulator

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ReplyWatch:
    def __init__(self) -> None:
        self._arrivals: defaultdict[str, asyncio.Queue[float]] = defaultdict(asyncio.Queue)
        self.total = 0

    def install(self, emulator: TwilioEmulator) -> None:
        """Call before `emulator.start()`; runs ahead of the emulator's own middleware."""
        emulator.app.middlewares.insert(0, self._stamp)

    @web.middleware
    async def _stamp(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "POST" and request.path.endswith("/Messages.json"):
            arrived = time.perf_counter()  # before reading the body: arrival, not parsing
            form = await request.post()  # cached by aiohttp, so the emulator reads it free
            self.total += 1
            self._arrivals[str(form.get("To", ""))].put_nowait(arrived)
        return await handler(request)

    async def next_reply(self, recipient: str, timeout: float) -> float | None:
        """perf_counter() at which the next message to `recipient` arrived; None on timeout."""
        try:
            return await asyncio.wait_for(self._arrivals[recipient].get(), timeout)
        except TimeoutError:
            return None
