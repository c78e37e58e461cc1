"""Network probes for the webhook checks: is a local port free, and what does a URL answer.

Each probe has its own timeout and turns every network failure into `ProbeError` with a short
reason, so a check never waits longer than it was told to and never shows a traceback. Every
HTTP request of the doctor goes through `probe_session`, whose name lookups run on daemon
threads (see `resolver`): a DNS server that never answers cannot keep the process alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hermes_sms import __version__
from hermes_sms.ports import PortProbe, PortState, bind_check

if TYPE_CHECKING:
    import aiohttp

    from hermes_sms.doctor.resolver import DaemonThreadResolver

USER_AGENT = f"hermes-sms-doctor/{__version__}"
_SNIPPET_CHARS = 120
_WILDCARDS = ("", "0.0.0.0", "::", "*")


class ProbeError(Exception):
    """No HTTP answer: `reason` is one short phrase; `timed_out` when nothing came back in time;
    `unresolved` when the host name did not resolve (a tunnel that is gone, or a typo)."""

    def __init__(self, reason: str, *, timed_out: bool = False, unresolved: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.timed_out = timed_out
        self.unresolved = unresolved


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    text: str
    location: str | None = None

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        import json

        try:
            return json.loads(self.text)
        except ValueError:
            return None

    def snippet(self) -> str:
        text = " ".join(self.text.split())
        return text if len(text) <= _SNIPPET_CHARS else text[: _SNIPPET_CHARS - 1] + "…"


def probe_session(
    timeout: float, resolver: DaemonThreadResolver | None = None
) -> aiohttp.ClientSession:
    """A session for the doctor's requests (the Twilio client and the agent borrow it too):
    its name lookups run on daemon threads (`resolver`, by default a new one), each given up
    after `timeout` seconds."""
    import aiohttp

    from hermes_sms.doctor.resolver import DaemonThreadResolver

    connector = aiohttp.TCPConnector(resolver=resolver or DaemonThreadResolver(timeout))
    return aiohttp.ClientSession(connector=connector)


async def http_request(
    method: str,
    url: str,
    timeout: float,
    *,
    form: Sequence[tuple[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> HttpAnswer:
    """One HTTP exchange within `timeout` seconds (connecting, sending and reading included).

    Redirects are not followed: Twilio posts to the exact URL configured, so a redirect is
    something to report, not to hide.
    """
    import aiohttp

    from hermes_sms.doctor.resolver import DaemonThreadResolver, ResolveTimeout

    all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    resolver = DaemonThreadResolver(timeout)
    try:
        async with (
            probe_session(timeout, resolver) as session,
            session.request(
                method,
                url,
                data=form,
                headers=all_headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as resp,
        ):
            text = await resp.text(errors="replace")
            return HttpAnswer(resp.status, text, resp.headers.get("Location"))
    except TimeoutError as exc:
        if resolver.unanswered:
            raise ProbeError(
                f"the host name did not resolve within {timeout:g} s",
                timed_out=True,
                unresolved=True,
            ) from exc
        raise ProbeError(f"no answer within {timeout:g} s", timed_out=True) from exc
    except aiohttp.ClientConnectorError as exc:
        unresolved = isinstance(getattr(exc, "os_error", None), socket.gaierror | ResolveTimeout)
        raise ProbeError(_connect_reason(exc), unresolved=unresolved) from exc
    except aiohttp.ClientError as exc:
        raise ProbeError(str(exc) or type(exc).__name__) from exc


def _connect_reason(exc: Exception) -> str:
    error = getattr(exc, "os_error", None)
    if isinstance(error, socket.gaierror):
        return f"cannot resolve the host name ({error.strerror})"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused (nothing listens there)"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror[:1].lower() + error.strerror[1:]
    return str(error or exc) or type(exc).__name__


def probe_host(bind_host: str) -> str:
    """Where to knock for a server bound to `bind_host`: loopback for the wildcard addresses."""
    return "127.0.0.1" if bind_host.strip() in _WILDCARDS else bind_host.strip()


async def probe_port(bind_host: str, port: int, timeout: float) -> PortProbe:
    """Would the gateway be able to listen on `bind_host:port`, and if not, why not."""
    first = bind_check(bind_host, port)
    if first.state is PortState.BAD_ADDRESS:
        # Not an address of this machine (SMS_WEBHOOK_HOST set to another host, or to an
        # address this machine had once): knocking there would ask another machine.
        return first
    host = probe_host(bind_host)
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, TimeoutError):
        # Nobody accepted; binding ourselves tells free from held-but-not-listening.
        return bind_check(bind_host, port)
    writer.close()
    with contextlib.suppress(OSError, TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), timeout)
    return PortProbe(PortState.LISTENING)
