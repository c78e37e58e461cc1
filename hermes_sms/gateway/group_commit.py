"""Group commit: the inbound messages that arrive in one event-loop turn share one transaction.

Why: in SQLite a commit costs several times what an insert does (WAL frames written for every
page touched). Under a burst, Twilio posts on many connections at once; each webhook still
waits until its own message is committed before it is acknowledged, so the durability promise
is unchanged, but the webhooks handled in the same turn of the loop wait for the same commit.

The batch is written by a callback scheduled on the loop, not by any one request's task, so a
request cancelled while it waits cannot stop the others' messages from being stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from hermes_sms.store import PENDING, NewInbound, Store


class InboundBatcher:
    """Writes inbound messages in batches; `on_stored(sender)` runs for each new pending one."""

    def __init__(self, store: Store, on_stored: Callable[[str], None]) -> None:
        self._store = store
        self._on_stored = on_stored
        self._batch: list[tuple[NewInbound, asyncio.Future[bool]]] = []

    async def record(self, message: NewInbound) -> bool:
        """Store `message` and return once it is committed: True if new, False if a repeat.

        Raises what the database raised when the commit failed (nothing was stored then)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        if not self._batch:
            # Runs after every callback already queued: the other requests whose data arrived
            # in this turn reach `record` first and join the batch.
            loop.call_soon(self._write)
        self._batch.append((message, future))
        return await future

    def _write(self) -> None:
        batch, self._batch = self._batch, []
        try:
            stored = self._store.record_inbound_batch([message for message, _ in batch])
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), new in zip(batch, stored, strict=True):
            if not future.done():
                future.set_result(new)
        for (message, _), new in zip(batch, stored, strict=True):
            if new and message.state == PENDING:
                self._on_stored(message.sender)
