"""The AI side of the gateway: turn a user's text (plus history) into a reply."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hermes_sms.agent.base import (
    Agent,
    AgentBadResponse,
    AgentCheck,
    AgentError,
    AgentHTTPError,
    AgentTimeout,
    AgentUnreachable,
    ChatMessage,
)
from hermes_sms.agent.echo import EchoAgent

if TYPE_CHECKING:
    from hermes_sms.agent.openai_compat import OpenAICompatibleAgent
    from hermes_sms.config import AgentConfig

__all__ = [
    "Agent",
    "AgentBadResponse",
    "AgentCheck",
    "AgentError",
    "AgentHTTPError",
    "AgentTimeout",
    "AgentUnreachable",
    "ChatMessage",
    "EchoAgent",
    "OpenAICompatibleAgent",
    "create_agent",
]


def create_agent(config: AgentConfig) -> Agent:
    """The agent `config.backend` names: "echo" or "openai" (any OpenAI-compatible server)."""
    if config.backend == "echo":
        return EchoAgent()
    if config.backend == "openai":
        from hermes_sms.agent.openai_compat import OpenAICompatibleAgent

        return OpenAICompatibleAgent(config)
    raise ValueError(f"unknown agent backend {config.backend!r} (expected openai or echo)")


def __getattr__(name: str) -> object:
    # Lazy so `from hermes_sms.agent import EchoAgent` does not pay for importing aiohttp.
    if name == "OpenAICompatibleAgent":
        from hermes_sms.agent.openai_compat import OpenAICompatibleAgent

        return OpenAICompatibleAgent
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
