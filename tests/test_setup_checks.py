"""The live checks of setup against the Twilio emulator and the pretend agent on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest

from hermes_sms.ports import PortState, bind_check
from hermes_sms.sandbox.fake_llm import FakeLLM
from hermes_sms.setup_wizard.checks import (
    CredentialStatus,
    check_agent,
    check_credentials,
    find_number,
    set_sms_webhook,
    webhook_is_set,
)
from hermes_sms.twilio.errors import TwilioError

URL = "https://abc.trycloudflare.com/webhooks/twilio"


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_good_credentials_list_the_numbers(emulator_factory, twilio_creds) -> None:
    emulator = await emulator_factory(phone_numbers=("+15550100001", "+15550100009"))
    emulator.numbers[1]["capabilities"]["sms"] = False
    check = await check_credentials(*twilio_creds, base_url=emulator.base_url)
    assert check.status is CredentialStatus.OK
    assert check.account is not None and not check.account.is_trial
    assert [n.phone_number for n in check.numbers] == ["+15550100001", "+15550100009"]
    assert [n.phone_number for n in check.sms_numbers] == ["+15550100001"]
    assert find_number(check.numbers, "+15550100009") is not None
    assert find_number(check.numbers, "+15550100002") is None


async def test_trial_account_is_reported(emulator_factory, twilio_creds) -> None:
    emulator = await emulator_factory(account_type="Trial")
    check = await check_credentials(*twilio_creds, base_url=emulator.base_url)
    assert check.status is CredentialStatus.OK
    assert check.account is not None and check.account.is_trial


async def test_wrong_token_is_rejected_without_echoing_it(emulator, twilio_creds) -> None:
    wrong = "wrong-token-" + "0" * 20
    check = await check_credentials(twilio_creds.account_sid, wrong, base_url=emulator.base_url)
    assert check.status is CredentialStatus.REJECTED
    assert "20003" in check.message
    assert wrong not in check.message and wrong not in repr(check)
    # One request: a rejection is final, not retried.
    assert len(emulator.requests) == 1


async def test_unreachable_api(twilio_creds) -> None:
    base_url = f"http://127.0.0.1:{unused_port()}"
    check = await check_credentials(*twilio_creds, base_url=base_url)
    assert check.status is CredentialStatus.UNREACHABLE
    assert base_url in check.message
    assert twilio_creds.auth_token not in check.message


async def test_server_error_is_failed_not_rejected(emulator, twilio_creds) -> None:
    emulator.inject_fault(503, path_contains=".json")
    check = await check_credentials(*twilio_creds, base_url=emulator.base_url)
    assert check.status is CredentialStatus.FAILED


async def test_numbers_error_keeps_credentials_ok(emulator, twilio_creds) -> None:
    emulator.inject_fault(500, path_contains="/IncomingPhoneNumbers")
    check = await check_credentials(*twilio_creds, base_url=emulator.base_url)
    assert check.status is CredentialStatus.OK
    assert check.numbers == [] and "500" in check.numbers_error


async def test_set_sms_webhook(emulator, twilio_creds) -> None:
    updated = await set_sms_webhook(
        *twilio_creds, base_url=emulator.base_url, phone_number="+15550100001", url=URL
    )
    assert (emulator.numbers[0]["sms_url"], emulator.numbers[0]["sms_method"]) == (URL, "POST")
    assert webhook_is_set(updated, URL)
    assert not webhook_is_set(updated, URL + "/other")


async def test_set_sms_webhook_unknown_number(emulator, twilio_creds) -> None:
    with pytest.raises(LookupError):
        await set_sms_webhook(
            *twilio_creds, base_url=emulator.base_url, phone_number="+15550100077", url=URL
        )
    assert emulator.numbers[0]["sms_url"] == ""


async def test_set_sms_webhook_wrong_token(emulator, twilio_creds) -> None:
    with pytest.raises(TwilioError) as info:
        await set_sms_webhook(
            twilio_creds.account_sid,
            "not-the-token-at-all",
            base_url=emulator.base_url,
            phone_number="+15550100001",
            url=URL,
        )
    assert info.value.code == 20003


async def test_agent_check() -> None:
    async with FakeLLM(models=["hermes-agent"], api_key="sk-agent-key-5678") as fake:
        good = await check_agent(fake.url, "hermes-agent", "sk-agent-key-5678")
        other = await check_agent(fake.url, "missing-model", "sk-agent-key-5678")
        refused = await check_agent(fake.url, "hermes-agent", "sk-wrong-key-0000")
    assert good.ok and good.model_listed
    assert other.ok and not other.model_listed and "missing-model" in other.message
    assert not refused.ok and "sk-wrong-key-0000" not in refused.message
    assert [r.path for r in fake.requests] == ["/v1/models"] * 3


async def test_agent_check_unreachable() -> None:
    result = await check_agent(f"http://127.0.0.1:{unused_port()}/v1", "m", None, timeout=2)
    assert not result.ok


def test_port_status() -> None:
    with socket.socket() as listener:
        listener.bind(("0.0.0.0", 0))
        listener.listen()
        busy = listener.getsockname()[1]
        assert bind_check("0.0.0.0", busy).state is PortState.IN_USE
    assert bind_check("0.0.0.0", unused_port()).state is PortState.FREE
