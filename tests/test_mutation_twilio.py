"""TwilioClient retry and look-up details the other tests left open (found by mutating
twilio/client.py): exact backoff ceilings, Retry-After at the limit, answers without a SID,
and the time filter of the message-log look-up that crash recovery relies on."""

from __future__ import annotations

import random

import pytest
from aiohttp import web

from hermes_sms.sandbox import TwilioEmulator
from hermes_sms.twilio.client import TwilioClient
from hermes_sms.twilio.errors import TwilioError

OUR_NUMBER = "+15550100001"
TO = "+15557654321"


class SleepRecorder:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


class HighestJitter(random.Random):
    """Always draws the top of the jitter range, so the ceilings themselves are visible."""

    def uniform(self, a: float, b: float) -> float:
        return b


def client_for(emulator: TwilioEmulator, **kwargs: object) -> TwilioClient:
    return TwilioClient(
        emulator.account_sid,
        emulator.auth_token,
        base_url=emulator.base_url,
        **kwargs,  # type: ignore[arg-type]
    )


async def serve(handler) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def test_backoff_ceiling_doubles_from_base_and_is_capped(emulator: TwilioEmulator):
    emulator.inject_fault(500, count=4)
    sleep = SleepRecorder()
    async with client_for(
        emulator,
        sleep=sleep,
        rng=HighestJitter(),
        max_attempts=5,
        backoff_base=0.5,
        backoff_max=1.5,
    ) as client:
        await client.create_message(to=TO, from_=OUR_NUMBER, body="x")
    assert sleep.delays == [0.5, 1.0, 1.5, 1.5]
    assert len(emulator.messages) == 1


async def test_retry_after_equal_to_the_limit_is_still_waited_for(emulator: TwilioEmulator):
    emulator.inject_fault(429, count=1, retry_after=30)
    sleep = SleepRecorder()
    async with client_for(emulator, sleep=sleep, retry_after_max=30.0) as client:
        sent = await client.create_message(to=TO, from_=OUR_NUMBER, body="x")
    assert sleep.delays == [30.0]
    assert [m["sid"] for m in emulator.messages] == [sent.sid]


async def test_a_negative_retry_after_is_ignored_for_the_normal_backoff(emulator: TwilioEmulator):
    emulator.inject_fault(503, count=1, retry_after=-5)
    sleep = SleepRecorder()
    async with client_for(emulator, sleep=sleep, rng=HighestJitter(), backoff_base=0.25) as client:
        await client.create_message(to=TO, from_=OUR_NUMBER, body="x")
    assert sleep.delays == [0.25]  # the jittered backoff, not an immediate retry


@pytest.mark.parametrize("answer", [{}, {"messages": []}, {"sid": "PN" + "0" * 32}])
async def test_a_success_without_a_message_sid_is_not_taken_for_a_sent_message(answer):
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(answer, status=201)

    runner, base_url = await serve(handler)
    try:
        async with TwilioClient("AC" + "0" * 32, "tok", base_url=base_url) as client:
            with pytest.raises(TwilioError, match="no message SID"):
                await client.create_message(to=TO, from_=OUR_NUMBER, body="x")
    finally:
        await runner.cleanup()


async def test_time_filter_allows_for_whole_second_stamps(twilio_client, emulator) -> None:
    sent = await twilio_client.create_message(to=TO, from_=OUR_NUMBER, body="x")
    (record,) = await twilio_client.list_messages(to=TO)
    assert record.created_at is not None and record.created_at == int(record.created_at)
    # Twilio stamps whole seconds: a message created at t+0.9 is listed as t.
    later_in_that_second = record.created_at + 0.9
    listed = await twilio_client.list_messages(to=TO, sent_after=later_in_that_second)
    assert [r.sid for r in listed] == [sent.sid]
    assert await twilio_client.list_messages(to=TO, sent_after=record.created_at + 1) == []


async def test_records_without_a_readable_date_are_kept_by_the_time_filter() -> None:
    """Unknown is not "too old": dropping such a record would make recovery resend a part
    that Twilio already has."""
    messages = [
        {"sid": "SM" + "1" * 32, "to": TO, "body": "a", "direction": "outbound-api"},
        {"sid": "SM" + "2" * 32, "to": TO, "body": "b", "direction": "outbound-api",
         "date_created": "not a date"},
        {"sid": "SM" + "3" * 32, "to": TO, "body": "c", "direction": "outbound-api",
         "date_created": "Mon, 01 Jan 2001 00:00:00 +0000"},
    ]  # fmt: skip

    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"messages": messages})

    runner, base_url = await serve(handler)
    try:
        async with TwilioClient("AC" + "0" * 32, "tok", base_url=base_url) as client:
            listed = await client.list_messages(to=TO, sent_after=1_700_000_000.0)
    finally:
        await runner.cleanup()
    assert [r.body for r in listed] == ["a", "b"]
