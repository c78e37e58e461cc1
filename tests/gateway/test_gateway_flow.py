"""The main loop: a signed text from an allowed sender gets the agent's answer by SMS."""

from __future__ import annotations

import asyncio

from harness import ALICE, BOB, OUR_NUMBER, StartGateway

from hermes_sms.store import DONE


async def test_text_gets_agent_reply(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    result = await gw.text("What is the capital of France?")
    assert result.status == 200
    assert "<Response>" in result.text and "xml" in result.content_type
    await gw.settle()
    assert gw.replies_to(ALICE) == ["You said: What is the capital of France?"]
    sent = gw.emulator.messages[0]
    assert sent["from"] == OUR_NUMBER
    # The agent saw the system prompt, then the user text; and one session per phone.
    (request,) = gw.llm.chat_requests
    roles = [m["role"] for m in request.json["messages"]]
    assert roles == ["system", "user"]
    assert request.headers["X-Hermes-Session-Id"] == "sms-15550100002"
    assert gw.store.count("inbound", state=DONE) == 1
    assert "replied to +1555***0002: 1 part(s)" in gw.log


async def test_reply_goes_through_text_pipeline(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    gw.llm.responder = lambda messages: "**Paris** is the capital \u2014 it\u2019s lovely."
    await gw.text("capital?")
    await gw.settle()
    assert gw.replies_to(ALICE) == ["Paris is the capital - it's lovely."]


async def test_long_reply_split_into_marked_parts_in_order(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    paragraph = "This is a sentence that goes on for a while to fill space. " * 20
    gw.llm.responder = lambda messages: "\n\n".join([paragraph.strip()] * 3)
    await gw.text("tell me a lot")
    await gw.settle()
    bodies = gw.replies_to(ALICE)
    assert len(bodies) >= 3
    assert all(len(body) <= 1600 for body in bodies)
    assert [body.split(" ", 1)[0] for body in bodies] == [
        f"({i}/{len(bodies)})" for i in range(1, len(bodies) + 1)
    ]


async def test_history_is_sent_and_reset_clears_it(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    for text in ("first", "second"):
        await gw.text(text)
        await gw.settle()
    last = gw.llm.chat_requests[-1].json["messages"]
    assert [m["content"] for m in last[1:]] == [
        "first",
        "You said: first",
        "second",
    ]
    await gw.text("/reset")
    await gw.settle()
    assert gw.replies_to(ALICE)[-1].startswith("Conversation cleared")
    requests_before = len(gw.llm.chat_requests)
    await gw.text("third")
    await gw.settle()
    assert len(gw.llm.chat_requests) == requests_before + 1
    assert [m["content"] for m in gw.llm.chat_requests[-1].json["messages"][1:]] == ["third"]


async def test_help_command_never_reaches_agent(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    await gw.text("/help")
    await gw.settle()
    assert gw.llm.chat_requests == []
    assert "/reset" in gw.replies_to(ALICE)[0]


async def test_history_turns_zero_sends_none(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_AGENT_HISTORY_TURNS="0")
    await gw.text("one")
    await gw.settle()
    await gw.text("two")
    await gw.settle()
    assert [m["role"] for m in gw.llm.chat_requests[-1].json["messages"]] == ["system", "user"]


async def test_mms_media_reaches_agent_as_lines(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    await gw.text(
        "what is this?",
        media=[
            ("https://media.example/1.jpg", "image/jpeg"),
            ("https://media.example/a.ogg", "audio/ogg"),
        ],
    )
    await gw.settle()
    user = gw.llm.chat_requests[0].json["messages"][-1]["content"]
    assert user.splitlines() == [
        "what is this?",
        "[attachment 1: image/jpeg https://media.example/1.jpg]",
        "[attachment 2: audio/ogg https://media.example/a.ogg]",
    ]


async def test_debounce_merges_texts_sent_in_a_row(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_DEBOUNCE_SECONDS="0.5")
    for text in ("hey", "quick question", "what's 2+2?"):
        await gw.text(text)
    await gw.settle()
    (request,) = gw.llm.chat_requests
    assert request.json["messages"][-1]["content"] == "hey\nquick question\nwhat's 2+2?"
    assert len(gw.replies_to(ALICE)) == 1


async def wait_until(condition, timeout: float = 5.0) -> None:
    """Poll a condition without assuming how fast the machine is (bounded by `timeout`)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


async def test_texts_during_a_running_turn_join_the_next_turn(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    release = asyncio.Event()

    async def held_first(messages):
        if len(gw.llm.chat_requests) == 1:
            await release.wait()
        return "You said: " + messages[-1]["content"]

    gw.llm.responder = held_first
    await gw.text("first")
    await wait_until(lambda: len(gw.llm.chat_requests) == 1)  # first turn is at the agent
    await gw.text("second")
    await gw.text("third")
    release.set()
    await gw.settle()
    contents = [r.json["messages"][-1]["content"] for r in gw.llm.chat_requests]
    assert contents == ["first", "second\nthird"]
    assert gw.replies_to(ALICE) == ["You said: first", "You said: second\nthird"]


async def test_senders_run_concurrently(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_AGENT_TIMEOUT="5")
    both_waiting = asyncio.Event()

    async def rendezvous(messages):
        # Each answer waits for the other sender's request: only concurrent turns can finish.
        if len(gw.llm.chat_requests) >= 2:
            both_waiting.set()
        await asyncio.wait_for(both_waiting.wait(), timeout=4)
        return "You said: " + messages[-1]["content"]

    gw.llm.responder = rendezvous
    await asyncio.gather(gw.text("from alice"), gw.text("from bob", from_=BOB))
    await gw.settle()
    assert gw.replies_to(ALICE) == ["You said: from alice"]
    assert gw.replies_to(BOB) == ["You said: from bob"]


class TurnCounter:
    """An agent that answers like the default one and records how many turns ran at once."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most = 0

    async def __call__(self, messages: list[dict[str, str]]) -> str:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        await asyncio.sleep(0.05)  # long enough for a second turn to start if it could
        self.in_flight -= 1
        return "You said: " + messages[-1]["content"]


async def test_one_sender_is_handled_one_turn_at_a_time(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    turns = TurnCounter()
    gw.llm.responder = turns
    for text in ("a", "/help", "b", "/help", "c"):
        await gw.text(text)
    await gw.settle()
    assert turns.most == 1
    replies = gw.replies_to(ALICE)
    assert replies[0] == "You said: a"
    assert [r for r in replies if r.startswith("You said")][-1].endswith("c")


async def test_blank_message_gets_no_agent_call(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    await gw.text("   ")
    await gw.settle()
    assert gw.llm.chat_requests == []
    assert gw.emulator.messages == []
    assert gw.store.count("inbound", state="done") == 1


async def test_reply_the_formatter_cannot_parse_still_gets_answered(
    start_gateway: StartGateway,
) -> None:
    gw = await start_gateway()
    nasty = "*" * 500 + "a" + "*" * 500  # nesting deep enough to exhaust a tree walk
    gw.llm.responder = lambda messages: nasty
    await gw.text("quote me")
    await gw.settle()
    assert len(gw.llm.chat_requests) == 1  # asked once, not again and again
    assert gw.replies_to(ALICE) == [nasty]
    await gw.text("hello again")
    await gw.settle()
    assert len(gw.replies_to(ALICE)) == 2


async def test_new_is_an_alias_of_reset(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    await gw.text("remember this")
    await gw.settle()
    await gw.text(" /NEW ")
    await gw.settle()
    assert len(gw.llm.chat_requests) == 1  # the command never reached the agent
    assert gw.replies_to(ALICE)[-1].startswith("Conversation cleared")
    await gw.text("fresh start")
    await gw.settle()
    assert [m["content"] for m in gw.llm.chat_requests[-1].json["messages"][1:]] == ["fresh start"]


async def test_history_keeps_only_the_last_turns(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_AGENT_HISTORY_TURNS="1")
    for text in ("one", "two", "three"):
        await gw.text(text)
        await gw.settle()
    sent = [m["content"] for m in gw.llm.chat_requests[-1].json["messages"][1:]]
    assert sent == ["two", "You said: two", "three"]


async def test_max_concurrency_bounds_turns_across_senders(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_MAX_CONCURRENCY="1")
    turns = TurnCounter()
    gw.llm.responder = turns
    await asyncio.gather(gw.text("from alice"), gw.text("from bob", from_=BOB))
    await gw.settle()
    assert turns.most == 1
    assert gw.replies_to(ALICE) == ["You said: from alice"]
    assert gw.replies_to(BOB) == ["You said: from bob"]


async def test_built_in_echo_backend(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_AGENT_BACKEND="echo")
    await gw.text("ping")
    await gw.settle()
    await gw.text("pong")
    await gw.settle()
    assert gw.llm.chat_requests == []
    assert gw.replies_to(ALICE) == ["Echo: ping", "Echo (turn 2): pong"]
