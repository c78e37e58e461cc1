"""An agent behind any OpenAI-compatible Chat Completions endpoint (Hermes, vLLM, Ollama, ...).

Spoken with aiohttp directly instead of the openai package: we need two endpoints, and
aiohttp is already a dependency for the webhook server and the Twilio client.
"""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Sequence
from typing import Any

import aiohttp

from hermes_sms import __version__
from hermes_sms.agent.base import (
    AgentBadResponse,
    AgentCheck,
    AgentError,
    AgentHTTPError,
    AgentTimeout,
    AgentUnreachable,
    ChatMessage,
)
from hermes_sms.config import AgentConfig
from hermes_sms.http_pool import PooledHttpClient
from hermes_sms.masking import without_userinfo

__all__ = ["SESSION_HEADER", "USER_AGENT", "OpenAICompatibleAgent", "session_id_for"]

USER_AGENT = f"hermes-sms/{__version__}"
# Lets a Hermes agent keep per-sender memory and tools state across our stateless requests.
SESSION_HEADER = "X-Hermes-Session-Id"
DEFAULT_CHECK_TIMEOUT = 5.0
# Long enough to carry the server's explanation, short enough for one log line.
_SNIPPET_CHARS = 200
# How many model names a check message spells out before summarising.
_MODELS_SHOWN = 10
_NOT_DIGIT = re.compile(r"\D")


def session_id_for(number: str) -> str:
    """The session id sent for a sender: `sms-` and the digits of the number (`sms-1555...`).

    Digits only, because the "+" of E.164 is awkward in header values, file names and URLs
    on the agent side.
    """
    return "sms-" + _NOT_DIGIT.sub("", number)


class OpenAICompatibleAgent(PooledHttpClient):
    """Asks `POST {url}/chat/completions` for each reply; `check()` lists `GET {url}/models`.

    One `aiohttp.ClientSession` (one connection pool) per agent, created on first use so the
    agent can be built outside a running event loop, closed by `close()`. A session passed in
    is borrowed: its owner closes it.
    """

    def __init__(
        self, config: AgentConfig, *, session: aiohttp.ClientSession | None = None
    ) -> None:
        self.config = config
        self._base_url = config.url.rstrip("/")
        # For messages and logs: user:password@ in the URL would be a credential too.
        self._shown_url = without_userinfo(self._base_url)
        self.name = f"openai-compatible {self._shown_url} model {config.model}"
        self._use_session(session)

    def __repr__(self) -> str:
        key = "set" if self.config.api_key else "not set"
        return (
            f"OpenAICompatibleAgent(url={self._shown_url!r}, model={self.config.model!r}, "
            f"api_key={key})"
        )

    __str__ = __repr__

    # -- the agent interface -------------------------------------------------------------------

    async def reply(self, number: str, history: Sequence[ChatMessage], text: str) -> str:
        """Ask for the answer to `text`; raise AgentError when none usable comes back."""
        payload = {"model": self.config.model, "messages": self._messages(history, text)}
        endpoint = "/chat/completions"
        status, phrase, body = await self._request(
            "POST", endpoint, self.config.timeout, payload=payload, number=number
        )
        shown = self._shown_url + endpoint
        if not 200 <= status < 300:
            raise self._http_error(status, phrase, body, shown)
        try:
            data = json.loads(body)
        except ValueError as exc:
            snippet = self._scrub(_snippet(body))
            raise AgentBadResponse(f"answer from {shown} is not JSON: {snippet!r}") from exc
        try:
            return _reply_text(data)
        except ValueError as exc:
            raise AgentBadResponse(
                f"unusable answer from {shown}: {self._scrub(str(exc))}"
            ) from exc

    async def check(self, timeout: float = DEFAULT_CHECK_TIMEOUT) -> AgentCheck:
        """List the server's models within `timeout` seconds; problems go into the result."""
        endpoint = "/models"
        shown = self._shown_url + endpoint
        try:
            status, phrase, body = await self._request("GET", endpoint, timeout)
            if not 200 <= status < 300:
                raise self._http_error(status, phrase, body, shown)
            models = _model_ids(json.loads(body))
        except AgentError as exc:
            return AgentCheck(ok=False, message=exc.reason)
        except ValueError:
            return AgentCheck(
                ok=False, message=f"unexpected answer from {shown}: not an OpenAI model list"
            )
        model = self.config.model
        listed = model in models
        if listed:
            message = f"{self._shown_url} answers; model {model} is available"
        elif not models:
            message = f"{self._shown_url} answers but lists no models; {model} may still work"
        else:
            names = ", ".join(models[:_MODELS_SHOWN])
            if len(models) > _MODELS_SHOWN:
                names += f" and {len(models) - _MODELS_SHOWN} more"
            message = (
                f"{self._shown_url} answers, but model {model} is not listed "
                f"(check SMS_AGENT_MODEL; available: {names})"
            )
        return AgentCheck(ok=True, models=models, model_listed=listed, message=message)

    # -- transport -----------------------------------------------------------------------------

    def _messages(self, history: Sequence[ChatMessage], text: str) -> list[dict[str, str]]:
        # Fresh dicts: the caller's history must stay untouched, and extra keys a caller may
        # keep on its messages (timestamps, ids) are not the server's business.
        messages: list[dict[str, str]] = []
        if self.config.system_prompt:
            messages.append({"role": "system", "content": self.config.system_prompt})
        messages.extend({"role": m["role"], "content": m["content"]} for m in history)
        messages.append({"role": "user", "content": text})
        return messages

    def _headers(self, number: str | None) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        # No empty "Bearer " for keyless local servers: some reject a malformed header.
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        if number is not None:
            headers[SESSION_HEADER] = session_id_for(number)
        return headers

    async def _request(
        self,
        method: str,
        endpoint: str,
        timeout: float,
        *,
        payload: dict[str, Any] | None = None,
        number: str | None = None,
    ) -> tuple[int, str, bytes]:
        """One HTTP exchange as (status, reason phrase, body); no answer at all is AgentError."""
        shown = self._shown_url + endpoint
        try:
            async with self._get_session().request(
                method,
                self._base_url + endpoint,
                json=payload,
                headers=self._headers(number),
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as resp:
                # Reading the body inside the block keeps it under the same total timeout.
                body = await resp.read()
                return resp.status, resp.reason or "", body
        except TimeoutError as exc:
            # Caught before ClientError: aiohttp's own timeout errors subclass both.
            raise AgentTimeout(f"timed out after {timeout:g}s waiting for {shown}") from exc
        except aiohttp.ClientConnectorError as exc:
            reason = self._scrub(_connect_reason(exc))
            raise AgentUnreachable(f"could not connect to {shown}: {reason}") from exc
        except aiohttp.ClientResponseError as exc:
            # Its repr carries the request headers (our Authorization), so only name it.
            reason = f"{type(exc).__name__} {exc.status}"
            raise AgentUnreachable(f"request to {shown} failed: {reason}") from exc
        except aiohttp.ClientError as exc:
            reason = self._scrub(str(exc) or type(exc).__name__)
            raise AgentUnreachable(f"request to {shown} failed: {reason}") from exc

    def _http_error(self, status: int, phrase: str, body: bytes, shown: str) -> AgentHTTPError:
        head = f"{status} {phrase}".strip()
        reason = f"{head} from {shown}"
        detail = self._scrub(_error_detail(body))
        # aiohttp-style default bodies ("404: Not Found") only repeat the status line.
        if detail and detail not in (phrase, head, f"{status}: {phrase}"):
            reason += f": {detail}"
        if status in (401, 403):
            hint = (
                "check SMS_AGENT_API_KEY"
                if self.config.api_key
                else "the server wants an API key: set SMS_AGENT_API_KEY"
            )
        elif status == 404:
            hint = "check SMS_AGENT_URL (the base URL, usually ending in /v1) and SMS_AGENT_MODEL"
        else:
            hint = ""
        if hint:
            reason += f" ({hint})"
        return AgentHTTPError(reason, status=status)

    def _scrub(self, text: str) -> str:
        """Hide the API key in text that came from the server or the network stack.

        Servers sometimes echo the key they rejected; it must never reach a log line. Our own
        wording is not scrubbed, so a very short test key cannot mangle the hints.
        """
        key = self.config.api_key
        return text.replace(key, "[redacted]") if key else text


def _connect_reason(exc: aiohttp.ClientConnectorError) -> str:
    """A short cause such as "connection refused" instead of aiohttp's long sentence."""
    error = getattr(exc, "os_error", None)
    if isinstance(error, socket.gaierror):
        return f"cannot resolve the host name ({error.strerror})"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, OSError) and error.errno:
        text = os.strerror(error.errno)
        return text[:1].lower() + text[1:]
    return str(error or exc) or type(exc).__name__


def _snippet(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = " ".join(text.split())
    if len(text) > _SNIPPET_CHARS:
        text = text[: _SNIPPET_CHARS - 1] + "…"
    return text


def _error_detail(body: bytes) -> str:
    """The server's own explanation from an error body, if it gave a readable one."""
    try:
        data = json.loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace").strip()
        # An HTML error page from a proxy is noise in a log line; plain text is kept.
        return "" if text.startswith("<") else _snippet(text)
    message: object = None
    if isinstance(data, dict):
        error = data.get("error")
        # OpenAI: {"error": {"message": ...}}; others: {"error": "..."}, FastAPI: {"detail": ...}.
        message = error.get("message") if isinstance(error, dict) else error
        if not message:
            message = data.get("message") or data.get("detail")
    if not message:
        return ""
    return _snippet(message if isinstance(message, str) else json.dumps(message))


def _reply_text(data: object) -> str:
    """`choices[0].message.content` as text; ValueError says what is wrong with the shape."""
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        raise ValueError("no choices in the answer")
    choice = choices[0]
    message = choice.get("message") if isinstance(choice, dict) else None
    if not isinstance(message, dict):
        raise ValueError("choices[0].message is missing")
    content = message.get("content")
    if isinstance(content, list):
        content = "".join(_part_text(part) for part in content)
    elif content is None:
        content = ""
    elif not isinstance(content, str):
        raise ValueError(f"choices[0].message.content is a {type(content).__name__}, not text")
    content = content.strip()
    if content:
        return content
    # A refusal is a real answer the user should see rather than a generic failure.
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal.strip():
        return refusal.strip()
    finish = choice.get("finish_reason")
    suffix = f" (finish_reason: {finish})" if isinstance(finish, str) and finish else ""
    raise ValueError(f"the reply is empty{suffix}")


def _part_text(part: object) -> str:
    # Content parts: keep text, skip images, audio and anything else an SMS cannot carry.
    if isinstance(part, str):
        return part
    if isinstance(part, dict) and part.get("type", "text") in ("text", "output_text"):
        text = part.get("text")
        if isinstance(text, str):
            return text
    return ""


def _model_ids(data: object) -> list[str]:
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise ValueError("not a model list")
    return [
        item["id"]
        for item in data["data"]
        if isinstance(item, dict) and isinstance(item.get("id"), str)
    ]
