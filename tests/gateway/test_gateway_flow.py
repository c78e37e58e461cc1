"""The main loop: a signed text from an allowed sender gets the agent's answer by SMS."""

from __future__ import annotations

import asyncio

from conftest import ALICE, BOB, OUR_NUMBER, StartGateway

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


async def test_texts_during_a_running_turn_join_the_next_turn(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    gw.llm.delay = 0.5
    await gw.text("first")
    await asyncio.sleep(0.2)  # the first turn is now waiting on the agent
    await gw.text("second")
    await gw.text("third")
    await gw.settle()
    contents = [r.json["messages"][-1]["content"] for r in gw.llm.chat_requests]
    assert contents == ["first", "second\nthird"]
    assert gw.replies_to(ALICE) == ["You said: first", "You said: second\nthird"]


async def test_senders_run_concurrently(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    gw.llm.delay = 0.5
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.gather(gw.text("from alice"), gw.text("from bob", from_=BOB))
    await gw.settle()
    # Both answered within one agent delay (plus slack), not two in a row.
    assert loop.time() - started < 0.95
    assert gw.replies_to(ALICE) and gw.replies_to(BOB)
