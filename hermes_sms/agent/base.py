"""What the gateway needs from an AI agent: one reply per user turn, a health check, a close.

Kept free of aiohttp so code that only names the types (the gateway, the CLI) imports nothing
heavy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol, TypedDict, runtime_checkable

__all__ = [
    "Agent",
    "AgentBadResponse",
    "AgentCheck",
    "AgentError",
    "AgentHTTPError",
    "AgentTimeout",
    "AgentUnreachable",
    "ChatMessage",
]


class ChatMessage(TypedDict):
    """One earlier turn, in the Chat Completions message shape."""

    role: str  # "user" or "assistant"
    content: str


class AgentError(Exception):
    """The agent gave no usable answer.

    `reason` is one short line meant for logs and for telling the user what went wrong; it
    never contains the API key. `kind` lets callers branch without isinstance chains:
    "timeout", "unreachable", "http" (then `status` is set) or "bad_response".
    """

    kind: ClassVar[str] = "error"

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        # Only `reason` goes into args so the default pickling (cls(*args) plus __dict__) works.
        super().__init__(reason)
        self.reason = reason
        self.status = status

    def __str__(self) -> str:
        return self.reason

    def __repr__(self) -> str:
        status = "" if self.status is None else f", status={self.status!r}"
        return f"{type(self).__name__}(kind={self.kind!r}{status}, reason={self.reason!r})"


class AgentTimeout(AgentError):
    """No complete answer within the configured timeout."""

    kind = "timeout"


class AgentUnreachable(AgentError):
    """No HTTP answer at all: connection refused, DNS failure, connection dropped."""

    kind = "unreachable"


class AgentHTTPError(AgentError):
    """The server answered with a non-2xx status (`status`)."""

    kind = "http"


class AgentBadResponse(AgentError):
    """A 2xx answer we cannot use: not JSON, not the Chat Completions shape, or empty."""

    kind = "bad_response"


@dataclass(frozen=True)
class AgentCheck:
    """Result of `Agent.check()`, for `doctor`-style diagnostics. Never raised, always returned.

    `ok` means the agent answered the check; `model_listed` whether the configured model is
    among `models` (some servers serve a model without listing it, so that is a warning only).
    """

    ok: bool
    models: list[str] = field(default_factory=list)
    model_listed: bool = False
    message: str = ""


@runtime_checkable
class Agent(Protocol):
    """An AI backend the gateway can ask for replies."""

    # Shown in log lines, e.g. "echo" or "openai-compatible http://... model hermes-agent".
    name: str

    async def reply(self, number: str, history: Sequence[ChatMessage], text: str) -> str:
        """Answer `text` from the E.164 `number`, given earlier turns oldest first.

        Raises AgentError when no usable answer comes back. Must not modify `history`.
        """
        ...

    async def check(self, timeout: float = 5.0) -> AgentCheck:
        """Probe the backend (list its models) within `timeout` seconds; never raises."""
        ...

    async def close(self) -> None:
        """Release connections. Safe to call more than once."""
        ...
