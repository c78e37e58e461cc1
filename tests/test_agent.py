"""The agent layer against a real (fake) OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import copy
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from hermes_sms import __version__
from hermes_sms.agent import (
    AgentBadResponse,
    AgentError,
    AgentHTTPError,
    AgentTimeout,
    AgentUnreachable,
    ChatMessage,
    EchoAgent,
    OpenAICompatibleAgent,
    create_agent,
)
from hermes_sms.agent.openai_compat import session_id_for
from hermes_sms.config import AgentConfig
from hermes_sms.sandbox.fake_llm import FakeLLM

NUMBER = "+15550100002"
KEY = "sk-test-5ecret-value-0123456789"
PROMPT = "Answer briefly."
HISTORY: list[ChatMessage] = [
    {"role": "user", "content": "first question"},
    {"role": "assistant", "content": "first answer"},
    {"role": "user", "content": "second question"},
    {"role": "assistant", "content": "second answer"},
]


@pytest.fixture
async def fake() -> AsyncIterator[FakeLLM]:
    async with FakeLLM(models=["hermes-agent", "other-model"]) as server:
        yield server


def config_for(url: str, **overrides: Any) -> AgentConfig:
    values: dict[str, Any] = {"url": url, "system_prompt": PROMPT, "timeout": 5.0}
    values.update(overrides)
    return AgentConfig(**values)


def unused_port() -> int:
    # Bind then close: nothing listens there afterwards, so a connection is refused.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def assert_no_key(error: BaseException) -> None:
    assert KEY not in str(error)
    assert KEY not in repr(error)


async def failure(agent: OpenAICompatibleAgent, text: str = "hi") -> AgentError:
    """The AgentError a reply raises (fails the test if none)."""
    with pytest.raises(AgentError) as info:
        await agent.reply(NUMBER, HISTORY, text)
    assert_no_key(info.value)
    return info.value


# -- requests ----------------------------------------------------------------------------------


async def test_request_shape_and_headers(fake: FakeLLM) -> None:
    history = copy.deepcopy(HISTORY)
    async with OpenAICompatibleAgent(config_for(fake.url, model="hermes-agent")) as agent:
        answer = await agent.reply(NUMBER, history, "third question")

    assert answer == "You said: third question"
    assert history == HISTORY  # inputs are not mutated
    [request] = fake.requests
    assert request.method == "POST"
    assert request.path == "/v1/chat/completions"
    assert request.json["model"] == "hermes-agent"
    assert request.json["messages"] == [
        {"role": "system", "content": PROMPT},
        *HISTORY,
        {"role": "user", "content": "third question"},
    ]
    assert request.headers["X-Hermes-Session-Id"] == "sms-15550100002"
    assert request.headers["User-Agent"] == f"hermes-sms/{__version__}"
    assert "Authorization" not in request.headers


async def test_bearer_header_sent_when_key_set() -> None:
    async with (
        FakeLLM(api_key=KEY) as fake,
        OpenAICompatibleAgent(config_for(fake.url, api_key=KEY)) as agent,
    ):
        assert await agent.reply(NUMBER, [], "hello") == "You said: hello"
    assert fake.requests[0].headers["Authorization"] == f"Bearer {KEY}"
    assert KEY not in repr(agent)
    assert KEY not in agent.name


async def test_content_parts_are_joined(fake: FakeLLM) -> None:
    fake.responder = lambda messages: [
        {"type": "text", "text": "Hello "},
        {"type": "image_url", "image_url": {"url": "http://example.invalid/x.png"}},
        {"type": "text", "text": "there"},
    ]
    async with OpenAICompatibleAgent(config_for(fake.url)) as agent:
        assert await agent.reply(NUMBER, [], "hi") == "Hello there"


async def test_async_responder_and_empty_history(fake: FakeLLM) -> None:
    async def responder(messages: list[dict[str, Any]]) -> str:
        await asyncio.sleep(0)
        return f"{len(messages)} messages"

    fake.responder = responder
    async with OpenAICompatibleAgent(config_for(fake.url, system_prompt="")) as agent:
        # No system prompt configured: only the user message goes out.
        assert await agent.reply(NUMBER, [], "hi") == "1 messages"


async def test_one_session_reused_and_closed(fake: FakeLLM) -> None:
    agent = OpenAICompatibleAgent(config_for(fake.url))
    await agent.reply(NUMBER, [], "one")
    session = agent._session
    await agent.reply(NUMBER, [], "two")
    assert agent._session is session
    await agent.close()
    assert session is not None and session.closed
    await agent.close()  # twice is fine


async def test_borrowed_session_is_left_open(fake: FakeLLM) -> None:
    async with aiohttp.ClientSession() as session:
        agent = OpenAICompatibleAgent(config_for(fake.url), session=session)
        assert await agent.reply(NUMBER, [], "x") == "You said: x"
        await agent.close()
        assert not session.closed


def test_session_id_keeps_digits_only() -> None:
    assert session_id_for("+1 (555) 010-0002") == "sms-15550100002"


# -- reply errors ------------------------------------------------------------------------------


async def test_server_down() -> None:
    url = f"http://127.0.0.1:{unused_port()}/v1"
    async with OpenAICompatibleAgent(config_for(url, api_key=KEY)) as agent:
        error = await failure(agent)
    assert isinstance(error, AgentUnreachable)
    assert error.kind == "unreachable"
    assert "connection refused" in error.reason
    assert url in error.reason


async def test_slow_server_times_out(fake: FakeLLM) -> None:
    # Longer than the suite's per-test timeout: only the agent's own timeout can end the call.
    fake.delay = 3600
    async with OpenAICompatibleAgent(config_for(fake.url, api_key=KEY, timeout=0.3)) as agent:
        error = await failure(agent)
    assert isinstance(error, AgentTimeout)
    assert error.kind == "timeout"
    assert "timed out after 0.3s" in error.reason


async def test_server_error_status_and_message(fake: FakeLLM) -> None:
    fake.fail_with(500, count=1, message="the model is overloaded")
    async with OpenAICompatibleAgent(config_for(fake.url, api_key=KEY)) as agent:
        error = await failure(agent)
        assert isinstance(error, AgentHTTPError)
        assert (error.kind, error.status) == ("http", 500)
        assert "500 Internal Server Error" in error.reason
        assert "the model is overloaded" in error.reason
        # count=1: the next request is answered normally.
        assert await agent.reply(NUMBER, [], "again") == "You said: again"


async def test_long_error_message_is_truncated(fake: FakeLLM) -> None:
    fake.fail_with(502, message="x" * 5000)
    async with OpenAICompatibleAgent(config_for(fake.url)) as agent:
        error = await failure(agent)
    assert error.status == 502
    assert "x" * 150 in error.reason
    assert len(error.reason) < 400


async def test_wrong_key_is_401_and_never_shown(fake: FakeLLM) -> None:
    fake.api_key = "the-right-key"
    async with OpenAICompatibleAgent(config_for(fake.url, api_key=KEY)) as agent:
        error = await failure(agent)
    assert isinstance(error, AgentHTTPError)
    assert error.status == 401
    assert "Incorrect API key" in error.reason
    assert "SMS_AGENT_API_KEY" in error.reason


async def test_key_echoed_by_server_is_redacted(fake: FakeLLM) -> None:
    fake.fail_with(400, message=f"Invalid key {KEY} for this project")
    async with OpenAICompatibleAgent(config_for(fake.url, api_key=KEY)) as agent:
        error = await failure(agent)
    assert "[redacted]" in error.reason


async def test_missing_key_hint(fake: FakeLLM) -> None:
    fake.api_key = "needed"
    async with OpenAICompatibleAgent(config_for(fake.url)) as agent:
        error = await failure(agent)
    assert "set SMS_AGENT_API_KEY" in error.reason


async def test_not_json_is_bad_response(fake: FakeLLM) -> None:
    fake.garbage(1)
    async with OpenAICompatibleAgent(config_for(fake.url, api_key=KEY)) as agent:
        error = await failure(agent)
    assert isinstance(error, AgentBadResponse)
    assert error.kind == "bad_response"
    assert "not JSON" in error.reason
    assert "this is not JSON" in error.reason


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"choices": []}', "no choices"),
        ("[1, 2]", "expected a JSON object"),
        ('{"choices": [{"index": 0}]}', "message is missing"),
        ('{"choices": [{"message": {"content": 42}}]}', "not text"),
    ],
)
async def test_wrong_shape_is_bad_response(fake: FakeLLM, body: str, expected: str) -> None:
    fake.garbage(1, body=body)
    async with OpenAICompatibleAgent(config_for(fake.url)) as agent:
        error = await failure(agent)
    assert isinstance(error, AgentBadResponse)
    assert expected in error.reason


@pytest.mark.parametrize("content", ["", "   \n", None, []])
async def test_empty_content_is_bad_response(fake: FakeLLM, content: Any) -> None:
    fake.responder = lambda messages: content
    async with OpenAICompatibleAgent(config_for(fake.url, api_key=KEY)) as agent:
        error = await failure(agent)
    assert isinstance(error, AgentBadResponse)
    assert "empty" in error.reason
    assert "finish_reason: stop" in error.reason


def test_agent_error_pickles_with_status() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(AgentHTTPError("500 boom", status=500)))
    assert isinstance(error, AgentHTTPError)
    assert (error.reason, error.status, error.kind) == ("500 boom", 500, "http")


# -- check() -----------------------------------------------------------------------------------


async def test_check_ok_with_model_listed(fake: FakeLLM) -> None:
    fake.api_key = KEY
    async with OpenAICompatibleAgent(config_for(fake.url, api_key=KEY)) as agent:
        result = await agent.check()
    assert result.ok and result.model_listed
    assert result.models == ["hermes-agent", "other-model"]
    assert fake.requests[0].path == "/v1/models"
    assert fake.requests[0].headers["Authorization"] == f"Bearer {KEY}"


async def test_check_ok_but_model_not_listed(fake: FakeLLM) -> None:
    async with OpenAICompatibleAgent(config_for(fake.url, model="missing-model")) as agent:
        result = await agent.check()
    assert result.ok
    assert not result.model_listed
    assert "missing-model" in result.message
    assert "hermes-agent" in result.message


async def test_check_reports_401(fake: FakeLLM) -> None:
    fake.api_key = "the-right-key"
    async with OpenAICompatibleAgent(config_for(fake.url, api_key=KEY)) as agent:
        result = await agent.check()
    assert not result.ok
    assert result.models == []
    assert "401 Unauthorized" in result.message
    assert "check SMS_AGENT_API_KEY" in result.message
    assert KEY not in result.message
    assert KEY not in repr(result)


async def test_check_reports_unreachable() -> None:
    url = f"http://127.0.0.1:{unused_port()}/v1"
    async with OpenAICompatibleAgent(config_for(url)) as agent:
        result = await agent.check()
    assert not result.ok
    assert result.message == f"could not connect to {url}/models: connection refused"


async def test_check_reports_timeout(fake: FakeLLM) -> None:
    fake.delay = 3600  # only the check's own timeout can end it within the test's time
    async with OpenAICompatibleAgent(config_for(fake.url)) as agent:
        result = await agent.check(timeout=0.3)
    assert not result.ok
    assert "timed out after 0.3s" in result.message


async def test_check_reports_garbage(fake: FakeLLM) -> None:
    fake.garbage(1)
    async with OpenAICompatibleAgent(config_for(fake.url)) as agent:
        result = await agent.check()
    assert not result.ok
    assert "not an OpenAI model list" in result.message


# -- echo and the factory ----------------------------------------------------------------------


async def test_echo_agent_counts_turns() -> None:
    agent = EchoAgent()
    assert agent.name == "echo"
    assert await agent.reply(NUMBER, [], "hello") == "Echo: hello"
    assert await agent.reply(NUMBER, HISTORY, "again") == "Echo (turn 3): again"
    result = await agent.check()
    assert result.ok and result.model_listed
    await agent.close()


async def test_create_agent_picks_backend() -> None:
    echo = create_agent(AgentConfig(backend="echo"))
    assert isinstance(echo, EchoAgent)
    remote = create_agent(AgentConfig(backend="openai", url="http://127.0.0.1:8642/v1"))
    assert isinstance(remote, OpenAICompatibleAgent)
    assert remote.name == "openai-compatible http://127.0.0.1:8642/v1 model hermes-agent"
    await remote.close()
    with pytest.raises(ValueError, match="unknown agent backend"):
        create_agent(AgentConfig(backend="nope"))


async def test_refusal_is_passed_on(fake: FakeLLM) -> None:
    # Some models answer content null plus a refusal text: the user should see that text.
    fake.garbage(1, body='{"choices": [{"message": {"content": null, "refusal": "I cannot."}}]}')
    async with OpenAICompatibleAgent(config_for(fake.url)) as agent:
        assert await agent.reply(NUMBER, [], "hi") == "I cannot."


async def test_wrong_url_gets_a_hint(fake: FakeLLM) -> None:
    async with OpenAICompatibleAgent(config_for(fake.url + "/nope", api_key="k")) as agent:
        error = await failure(agent)
    assert error.status == 404
    assert "check SMS_AGENT_URL" in error.reason
