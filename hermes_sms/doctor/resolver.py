"""Name lookups the doctor can walk away from: each on its own daemon thread, bounded in time.

aiohttp's default resolver runs `getaddrinfo` in the event loop's default executor. When a
deadline cancels a request the lookup thread keeps running, and `asyncio.run` joins the
executor on the way out, so a DNS server that never answers would hold the doctor long after
every check had reported its timeout. Here each lookup gets a daemon thread that nothing ever
joins: past its timeout the doctor stops waiting for it, and at exit it is simply dropped.

Imported only by `probes.probe_session`, so the doctor pays for aiohttp only when it probes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import sys
import threading
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult

_NUMERIC_FLAGS = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
_NAME_FLAGS = socket.NI_NUMERICHOST | socket.NI_NUMERICSERV
_ADDRCONFIG = socket.AI_ADDRCONFIG & getattr(socket, "AI_MASK", socket.AI_ADDRCONFIG)

Infos = list[tuple[Any, ...]]


class ResolveTimeout(TimeoutError):
    """The name lookup itself took longer than the probe's timeout."""

    def __init__(self, host: str, timeout: float) -> None:
        super().__init__(f"the host name {host} did not resolve within {timeout:g} s")
        self.host = host
        self.timeout = timeout


class DaemonThreadResolver(AbstractResolver):
    """Resolves like aiohttp's ThreadedResolver, but on a daemon thread per lookup, giving up
    after `timeout` seconds (ResolveTimeout). IP literals are answered without a thread."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        # Names whose lookup has not come back (yet, or ever): tells "the name did not
        # resolve" from "the server did not answer" when a request times out.
        self.unanswered: set[str] = set()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        literal = _ip_literal(host, port, family)
        if literal is not None:
            return literal
        loop = asyncio.get_running_loop()
        found: asyncio.Future[list[ResolveResult]] = loop.create_future()

        def settle(outcome: list[ResolveResult] | BaseException) -> None:
            # On the loop's thread. The doctor may have stopped waiting (the future is then
            # cancelled): a late answer is dropped.
            self.unanswered.discard(host)
            if found.done():
                return
            if isinstance(outcome, BaseException):
                found.set_exception(outcome)
            else:
                found.set_result(outcome)

        def work() -> None:
            outcome: list[ResolveResult] | BaseException
            try:
                outcome = _lookup(host, port, family)
            except Exception as exc:  # gaierror, UnicodeError for an unencodable name, ...
                outcome = exc
            # The loop may be closed by now (the doctor finished without this answer).
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, outcome)

        self.unanswered.add(host)
        threading.Thread(target=work, name=f"resolve {host}", daemon=True).start()
        try:
            return await asyncio.wait_for(found, self.timeout)
        except TimeoutError:
            raise ResolveTimeout(host, self.timeout) from None

    async def close(self) -> None:
        """Nothing to release: a lookup still running ends with its thread."""


def _ip_literal(host: str, port: int, family: socket.AddressFamily) -> list[ResolveResult] | None:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    found = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    if family not in (socket.AF_UNSPEC, found):
        return []
    return [
        ResolveResult(
            hostname=host,
            host=str(address),
            port=port,
            family=found,
            proto=0,
            flags=_NUMERIC_FLAGS,
        )
    ]


def _lookup(host: str, port: int, family: socket.AddressFamily) -> list[ResolveResult]:
    """Blocking: `getaddrinfo` turned into aiohttp's results (on the lookup's own thread)."""
    try:
        infos: Infos = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, family=family, flags=_ADDRCONFIG
        )
    except socket.gaierror:
        # Windows without a network refuses `localhost` under AI_ADDRCONFIG.
        if not (sys.platform == "win32" and host.rstrip(".").casefold() == "localhost"):
            raise
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, family=family)
    results: list[ResolveResult] = []
    for found, _type, proto, _name, address in infos:
        if found == socket.AF_INET6:
            if len(address) < 3:
                # Python built without IPv6 support.
                continue
            if address[3]:
                # A scope id (link-local address): getnameinfo spells it `fe80::1%eth0`.
                resolved, service = socket.getnameinfo(address, _NAME_FLAGS)
                results.append(_result(host, resolved, int(service), found, proto))
                continue
        results.append(_result(host, address[0], address[1], found, proto))
    return results


def _result(host: str, resolved: str, port: int, family: int, proto: int) -> ResolveResult:
    return ResolveResult(
        hostname=host, host=resolved, port=port, family=family, proto=proto, flags=_NUMERIC_FLAGS
    )
