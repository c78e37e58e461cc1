"""A pretend OpenAI-compatible server: Chat Completions and model listing on 127.0.0.1.

Used by tests, the demo and benchmarks to run the agent layer without a real model. It records
every request and can be told to be slow, to fail, or to answer garbage.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from multidict import CIMultiDict

__all__ = ["Content", "FakeLLM", "RecordedRequest", "Responder", "default_responder"]

# What a responder may return as `message.content`: text, a list of content parts, or None.
Content = str | list[dict[str, Any]] | None
Responder = Callable[[list[dict[str, Any]]], Content | Awaitable[Content]]

_STATUS_TYPES = {429: "rate_limit_error"}


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it. `headers` looks names up case-insensitively."""

    method: str
    path: str
    headers: CIMultiDict[str]
    json: Any


def _text_of(content: object) -> str:
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def default_responder(messages: list[dict[str, Any]]) -> str:
    """Echo the last user message, so a test can see which text reached the model."""
    last = next((m for m in reversed(messages) if m.get("role") == "user"), None)
    return f"You said: {_text_of(last.get('content')) if last else ''}"


class FakeLLM:
    """`async with FakeLLM() as fake:` then point an agent at `fake.url`.

    Attributes may be changed between requests: `models`, `api_key`, `responder`, `delay`.
    """

    def __init__(
        self,
        *,
        models: list[str] | None = None,
        api_key: str | None = None,
        responder: Responder | None = None,
        delay: float = 0.0,
    ) -> None:
        self.models = list(models) if models is not None else ["hermes-agent"]
        self.api_key = api_key
        self.responder: Responder = responder or default_responder
        self.delay = delay
        self.requests: list[RecordedRequest] = []
        self.url = ""
        # Scripted answers, used in the order they were scripted, before normal answers.
        self._script: list[_Scripted] = []
        self._runner: web.AppRunner | None = None
        # Set on stop() so handlers sleeping out `delay` end at once instead of holding
        # shutdown for the whole delay.
        self._stopping = asyncio.Event()

    # -- scripting -----------------------------------------------------------------------------

    def fail_with(self, status: int, count: int | None = None, message: str | None = None) -> None:
        """Answer the next `count` requests (all of them if None) with an OpenAI error JSON."""
        if count is not None and count <= 0:
            return
        text = json.dumps(_error_body(status, message or f"simulated failure ({status})", None))
        self._script.append(_Scripted(count, status, text, "application/json"))

    def garbage(self, count: int | None = 1, body: str = "this is not JSON {") -> None:
        """Answer the next `count` requests (all if None) with status 200 and `body` as-is.

        The default is not JSON at all; pass e.g. `'{"choices": []}'` for the wrong shape.
        """
        if count is not None and count <= 0:
            return
        self._script.append(_Scripted(count, 200, body, "text/plain"))

    def reset(self) -> None:
        """Forget scripted answers and recorded requests (settings stay)."""
        self._script.clear()
        self.requests.clear()

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0 picks a free port); return the base URL ending in /v1."""
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/chat/completions", self._chat)
        # handler_cancellation: a client that gave up (timeout test) ends its handler too.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.url = f"http://{shown_host}:{bound_port}/v1"
        return self.url

    async def stop(self) -> None:
        self._stopping.set()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- handlers ------------------------------------------------------------------------------

    async def _models(self, request: web.Request) -> web.StreamResponse:
        early = await self._prelude(request, None)
        if early is not None:
            return early
        data = [{"id": m, "object": "model", "owned_by": "fake-llm"} for m in self.models]
        return web.json_response({"object": "list", "data": data})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            body = None
        early = await self._prelude(request, body)
        if early is not None:
            return early
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list):
            return _error(400, "'messages' must be a list", "invalid_request_error")
        content = self.responder(messages)
        if inspect.isawaitable(content):
            content = await content
        words = sum(len(_text_of(m.get("content")).split()) for m in messages)
        answer_words = len(_text_of(content).split())
        return web.json_response(
            {
                "id": f"chatcmpl-{uuid.uuid4().hex}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model") or (self.models[0] if self.models else "fake"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                # Word counts stand in for tokens: enough for code that sums usage.
                "usage": {
                    "prompt_tokens": words,
                    "completion_tokens": answer_words,
                    "total_tokens": words + answer_words,
                },
            }
        )

    async def _prelude(self, request: web.Request, body: Any) -> web.StreamResponse | None:
        """Record, wait out `delay`, then apply auth and scripted answers (None: go on)."""
        self.requests.append(
            RecordedRequest(request.method, request.path, CIMultiDict(request.headers), body)
        )
        if self.delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.delay)
        # Auth comes first, as on a real server: a bad key fails before anything else.
        expected = None if self.api_key is None else f"Bearer {self.api_key}"
        if expected is not None and request.headers.get("Authorization") != expected:
            return _error(401, "Incorrect API key provided.", "invalid_api_key")
        if self._script:
            scripted = self._script[0]
            if scripted.remaining is not None:
                scripted.remaining -= 1
                if scripted.remaining <= 0:
                    self._script.pop(0)
            return web.Response(
                status=scripted.status, text=scripted.body, content_type=scripted.content_type
            )
        return None


@dataclass
class _Scripted:
    remaining: int | None  # None: every request from now on
    status: int
    body: str
    content_type: str


def _error_body(status: int, message: str, code: str | None) -> dict[str, Any]:
    # The OpenAI error envelope, so clients parse fake failures as they would real ones.
    error_type = _STATUS_TYPES.get(
        status, "server_error" if status >= 500 else "invalid_request_error"
    )
    return {"error": {"message": message, "type": error_type, "code": code}}


def _error(status: int, message: str, code: str | None) -> web.Response:
    return web.json_response(_error_body(status, message, code), status=status)
