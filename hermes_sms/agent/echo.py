"""The built-in echo agent: answers instantly without a network, for demos and tests."""

from __future__ import annotations

from collections.abc import Sequence

from hermes_sms.agent.base import AgentCheck, ChatMessage

__all__ = ["EchoAgent"]


class EchoAgent:
    """Replies `Echo: <text>` to a first message and `Echo (turn N): <text>` afterwards.

    The turn number counts the user messages in `history` plus this one, so a demo or a test
    can see that the gateway keeps (and trims) conversation history.
    """

    name = "echo"

    async def reply(self, number: str, history: Sequence[ChatMessage], text: str) -> str:
        turn = sum(1 for message in history if message["role"] == "user") + 1
        if turn == 1:
            return f"Echo: {text}"
        return f"Echo (turn {turn}): {text}"

    async def check(self, timeout: float = 5.0) -> AgentCheck:
        return AgentCheck(
            ok=True,
            models=["echo"],
            model_listed=True,
            message="built-in echo agent (no network, no model)",
        )

    async def close(self) -> None:
        # Nothing to release; present so callers can treat every agent alike.
        return None

    def __repr__(self) -> str:
        return "EchoAgent()"
