"""Can the gateway listen on a port? One answer for `setup` (a warning) and `doctor` (a check)."""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass
from enum import Enum


class PortState(Enum):
    FREE = "free"
    # Something accepts connections there (what it is, the doctor asks its /health).
    LISTENING = "listening"
    # Bound by a socket that does not accept connections, or on another address.
    IN_USE = "in use"
    # Ports below 1024 need administrator rights on most systems.
    NO_PERMISSION = "no permission"
    BAD_ADDRESS = "bad address"


@dataclass(frozen=True)
class PortProbe:
    state: PortState
    reason: str = ""


def bind_check(bind_host: str, port: int) -> PortProbe:
    """Try to listen on `bind_host:port` the way the gateway would, then let go at once."""
    host = bind_host.strip()
    host = "" if host == "*" else host
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        # create_server sets SO_REUSEADDR on POSIX, as the gateway's listener does, so a port
        # left in TIME_WAIT by a stopped gateway counts as free.
        server = socket.create_server((host, port), family=family)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return PortProbe(PortState.IN_USE, exc.strerror or "address already in use")
        if exc.errno in (errno.EACCES, errno.EPERM):
            return PortProbe(PortState.NO_PERMISSION, exc.strerror or "permission denied")
        return PortProbe(PortState.BAD_ADDRESS, exc.strerror or str(exc))
    server.close()
    return PortProbe(PortState.FREE)
