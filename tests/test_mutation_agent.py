"""The agent layer where a mutation audit found it unguarded: what is sent, the API key in
server text, the error bodies of other servers (HTML pages, FastAPI, plain strings), content
parts, and the wording of `check()`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from hermes_sms.agent import (
    AgentBadResponse,
    AgentError,
    AgentHTTPError,
    ChatMessage,
    EchoAgent,
    OpenAICompatibleAgent,
)
from hermes_sms.config import AgentConfig
from hermes_sms.sandbox.fake_llm import FakeLLM

NUMBER = "+15550100002"
KEY = "sk-test-5ecret-value-0123456789"


def config_for(url: str, **overrides: Any) -> AgentConfig:
    values: dict[str, Any] = {"url": url, "system_prompt": "Be brief.", "timeout": 5.0}
    values.update(overrides)
    return AgentConfig(**values)


@pytest.fixture
async def fake() -> AsyncIterator[FakeLLM]:
    async with FakeLLM() as server:
        yield server


async def reply_error(url: str, **overrides: Any) -> AgentError:
    async with OpenAICompatibleAgent(config_for(url, **overrides)) as agent:
        with pytest.raises(AgentError) as info:
            await agent.reply(NUMBER, [], "hi")
    assert KEY not in str(info.value) and KEY not in repr(info.value)
    return info.value


Serve = Callable[..., Awaitable[str]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """`url = await serve(status, body, content_type)`: a server on 127.0.0.1 giving that one
    answer to every request (what proxies and non-OpenAI servers send back)."""
    runners: list[web.AppRunner] = []

    async def start(status: int, body: str, content_type: str = "application/json") -> str:
        async def answer(request: web.Request) -> web.Response:
            return web.Response(status=status, text=body, content_type=content_type)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", answer)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}/v1"

    yield start
    for runner in runners:
        await runner.cleanup()


# -- what is sent ------------------------------------------------------------------------------


async def test_only_role_and_content_of_history_reach_the_server(fake: FakeLLM) -> None:
    history: list[Any] = [
        {"role": "user", "content": "earlier", "at": 1700000000, "sid": "SM1"},
        {"role": "assistant", "content": "answer", "at": 1700000001},
    ]
    async with OpenAICompatibleAgent(config_for(fake.url)) as agent:
        await agent.reply(NUMBER, history, "now")
    assert fake.requests[0].json["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "earlier"},
        {"role": "assistant", "content": "answer"},
        {"role": "user", "content": "now"},
    ]


async def test_accept_header_asks_for_json(fake: FakeLLM) -> None:
    async with OpenAICompatibleAgent(config_for(fake.url)) as agent:
        await agent.reply(NUMBER, [], "hi")
        await agent.check()
    assert [r.headers["Accept"] for r in fake.requests] == ["application/json"] * 2
    # The models list is not a conversation: no session id on it.
    assert "X-Hermes-Session-Id" not in fake.requests[1].headers


async def test_base_url_with_a_trailing_slash(fake: FakeLLM) -> None:
    async with OpenAICompatibleAgent(config_for(fake.url + "/")) as agent:
        assert await agent.reply(NUMBER, [], "hi") == "You said: hi"
    assert fake.requests[0].path == "/v1/chat/completions"


def test_password_in_the_url_is_not_in_the_name() -> None:
    agent = OpenAICompatibleAgent(config_for("http://al:AGENTPASS@127.0.0.1:8642/v1"))
    assert "AGENTPASS" not in agent.name and "AGENTPASS" not in repr(agent)
    assert agent.name == "openai-compatible http://127.0.0.1:8642/v1 model hermes-agent"


async def test_a_reply_slower_than_the_check_timeout_still_arrives(fake: FakeLLM) -> None:
    # Models take their time: the reply waits as long as SMS_AGENT_TIMEOUT says, not the
    # 5 seconds a health check gets.
    fake.delay = 6
    async with OpenAICompatibleAgent(config_for(fake.url, timeout=60)) as agent:
        assert await agent.reply(NUMBER, [], "take your time") == "You said: take your time"


# -- the key in whatever the server says -------------------------------------------------------


async def test_key_in_a_body_that_is_not_json_is_hidden(fake: FakeLLM) -> None:
    fake.garbage(1, body=f"<no json> key={KEY}")
    error = await reply_error(fake.url, api_key=KEY)
    assert isinstance(error, AgentBadResponse)
    assert "key=[redacted]" in error.reason


async def test_key_in_a_finish_reason_is_hidden(fake: FakeLLM) -> None:
    body = {"choices": [{"message": {"content": ""}, "finish_reason": f"bad key {KEY}"}]}
    fake.garbage(1, body=json.dumps(body))
    error = await reply_error(fake.url, api_key=KEY)
    assert "finish_reason: bad key [redacted]" in error.reason


# -- error bodies ------------------------------------------------------------------------------


async def test_forbidden_gets_the_api_key_hint(fake: FakeLLM) -> None:
    fake.fail_with(403, message="this key may not use the model")
    error = await reply_error(fake.url, api_key=KEY)
    assert error.status == 403
    assert error.reason.endswith("this key may not use the model (check SMS_AGENT_API_KEY)")


async def test_default_404_body_is_not_repeated(fake: FakeLLM) -> None:
    error = await reply_error(fake.url + "/nope")
    # aiohttp answers "404: Not Found", which only repeats the status line.
    assert error.reason == (
        f"404 Not Found from {fake.url}/nope/chat/completions (check SMS_AGENT_URL (the base "
        "URL, usually ending in /v1) and SMS_AGENT_MODEL)"
    )


async def test_html_error_page_is_left_out(serve: Serve) -> None:
    url = await serve(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
    error = await reply_error(url)
    assert isinstance(error, AgentHTTPError)
    assert error.reason == f"502 Bad Gateway from {url}/chat/completions"


async def test_plain_text_error_is_kept_on_one_line(serve: Serve) -> None:
    url = await serve(503, "model is\n\n   loading,  try later", "text/plain")
    error = await reply_error(url)
    assert error.reason.endswith(": model is loading, try later")


@pytest.mark.parametrize(
    "body",
    [
        {"detail": "Model not loaded"},  # FastAPI
        {"error": "Model not loaded"},  # a bare string, as llama.cpp and others answer
        {"message": "Model not loaded"},
    ],
)
async def test_error_explanations_in_other_shapes(serve: Serve, body: dict[str, str]) -> None:
    url = await serve(500, json.dumps(body))
    error = await reply_error(url)
    assert (
        error.reason == f"500 Internal Server Error from {url}/chat/completions: Model not loaded"
    )


async def test_long_error_is_cut_with_an_ellipsis(fake: FakeLLM) -> None:
    fake.fail_with(500, message="y" * 1000)
    error = await reply_error(fake.url)
    assert error.reason.endswith(": " + "y" * 199 + "…")


async def test_a_redirect_answer_is_not_taken_for_a_reply(serve: Serve) -> None:
    answer = {"choices": [{"message": {"content": "looks fine"}}]}
    url = await serve(300, json.dumps(answer))
    error = await reply_error(url)
    assert isinstance(error, AgentHTTPError) and error.status == 300


# -- what comes back ---------------------------------------------------------------------------


async def test_content_parts_as_strings_and_output_text(fake: FakeLLM) -> None:
    fake.responder = lambda messages: [
        "Hello ",
        {"type": "output_text", "text": "there"},
        {"type": "refusal", "refusal": "hidden"},
        {"text": "!"},
    ]
    async with OpenAICompatibleAgent(config_for(fake.url)) as agent:
        assert await agent.reply(NUMBER, [], "hi") == "Hello there!"


async def test_blank_refusal_is_an_empty_reply(fake: FakeLLM) -> None:
    fake.garbage(1, body='{"choices": [{"message": {"content": null, "refusal": "  "}}]}')
    error = await reply_error(fake.url)
    assert isinstance(error, AgentBadResponse)
    assert "the reply is empty" in error.reason


# -- check() -----------------------------------------------------------------------------------


async def test_check_says_the_model_is_available(fake: FakeLLM) -> None:
    async with OpenAICompatibleAgent(config_for(fake.url)) as agent:
        result = await agent.check()
    assert result.message == f"{fake.url} answers; model hermes-agent is available"


async def test_check_with_an_empty_model_list() -> None:
    async with (
        FakeLLM(models=[]) as fake,
        OpenAICompatibleAgent(config_for(fake.url)) as agent,
    ):
        result = await agent.check()
    assert result.ok and not result.model_listed
    assert result.message == f"{fake.url} answers but lists no models; hermes-agent may still work"


async def test_check_names_ten_models_then_counts_the_rest() -> None:
    models = [f"model-{i:02d}" for i in range(13)]
    async with (
        FakeLLM(models=models) as fake,
        OpenAICompatibleAgent(config_for(fake.url)) as agent,
    ):
        result = await agent.check()
    assert not result.model_listed
    assert result.message.endswith(
        "(check SMS_AGENT_MODEL; available: " + ", ".join(models[:10]) + " and 3 more)"
    )


async def test_check_skips_models_without_a_text_id(serve: Serve) -> None:
    listing = {"data": [{"id": 7}, {"object": "model"}, "bare", {"id": "hermes-agent"}]}
    url = await serve(200, json.dumps(listing))
    async with OpenAICompatibleAgent(config_for(url)) as agent:
        result = await agent.check()
    assert result.ok and result.model_listed
    assert result.models == ["hermes-agent"]


# -- base types and the echo agent -------------------------------------------------------------


def test_agent_error_repr_shows_kind_and_status() -> None:
    assert repr(AgentHTTPError("502 Bad Gateway", status=502)) == (
        "AgentHTTPError(kind='http', status=502, reason='502 Bad Gateway')"
    )
    assert (
        repr(AgentBadResponse("empty")) == "AgentBadResponse(kind='bad_response', reason='empty')"
    )


async def test_echo_agent_lists_itself_as_its_model() -> None:
    history: list[ChatMessage] = [{"role": "assistant", "content": "hello from us"}]
    agent = EchoAgent()
    # Only the user's turns count: our own earlier message does not make this turn 2.
    assert await agent.reply(NUMBER, history, "hi") == "Echo: hi"
    result = await agent.check()
    assert result.models == ["echo"]
    assert result.model_listed
