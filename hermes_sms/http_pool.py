"""One aiohttp connection pool per client object, made on first use or borrowed.

The Twilio client and the agent both need the same rules: create the ClientSession lazily (so
the object can be built outside a running event loop), close only a session we created, and
make a fresh one if used again after close().
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

import aiohttp


class PooledHttpClient:
    """Base for clients that talk HTTP through one `aiohttp.ClientSession`."""

    _session: aiohttp.ClientSession | None = None
    _owns_session: bool = True

    def _use_session(self, session: aiohttp.ClientSession | None) -> None:
        """Borrow `session` (its owner closes it), or None to create our own when needed."""
        self._session = session
        self._owns_session = session is None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session

    async def close(self) -> None:
        """Close the connection pool if we created it. Safe to call more than once."""
        session, self._session = self._session, None
        if session is not None and self._owns_session and not session.closed:
            await session.close()
        # A borrowed session stays its owner's; if used again we make our own.
        self._owns_session = True

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
