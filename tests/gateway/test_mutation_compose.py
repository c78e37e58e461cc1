"""Replies through `compose` where a mutation audit found it unguarded: SMS_ENCODING reaches
the gateway's replies, and each part's segments are counted as planned."""

from __future__ import annotations

from harness import ALICE, StartGateway


async def test_unicode_encoding_keeps_the_reply_as_written(start_gateway: StartGateway) -> None:
    gw = await start_gateway(SMS_ENCODING="unicode")
    gw.llm.responder = lambda messages: "it\u2019s \u201cfine\u201d \u2014 really"
    await gw.text("how is it?")
    await gw.settle()
    assert gw.replies_to(ALICE) == ["it\u2019s \u201cfine\u201d \u2014 really"]


async def test_segments_of_each_part_are_counted(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    gw.llm.responder = lambda messages: "word " * 60  # 299 GSM-7 characters: two segments
    await gw.text("say a lot")
    await gw.settle()
    assert len(gw.replies_to(ALICE)) == 1
    assert "replied to +1555***0002: 1 part(s), 2 segment(s)" in gw.log
