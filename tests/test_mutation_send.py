"""`hermes-sms send` where a mutation audit found it unguarded: SMS_ENCODING and --encoding,
--no-markdown, --to over the home channel, and the JSON a script reads."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pexpect
import pytest
from cli_helpers import base_env, run_in_process, run_in_thread

ALICE = "+15550100002"
BOB = "+15550100003"


def dry_run_json(home: Path, *args: str, **values: str) -> dict:
    result = run_in_process("send", "--dry-run", "--json", *args, env=base_env(home, **values))
    assert result.code == 0, result.output
    return json.loads(result.stdout)


def test_sms_encoding_from_the_configuration_is_used(isolated_home: Path) -> None:
    document = dry_run_json(isolated_home, "it\u2019s", SMS_ENCODING="unicode")
    [part] = document["parts"]
    assert (part["encoding"], part["body"]) == ("UCS-2", "it\u2019s")


def test_encoding_option_beats_the_configuration_in_any_case(isolated_home: Path) -> None:
    document = dry_run_json(
        isolated_home, "--encoding", "SMART", "it\u2019s", SMS_ENCODING="unicode"
    )
    [part] = document["parts"]
    assert (part["encoding"], part["body"]) == ("GSM-7", "it's")
    document = dry_run_json(isolated_home, "--encoding", "Unicode", "it\u2019s")
    assert document["parts"][0]["encoding"] == "UCS-2"


def test_unknown_encoding_option_is_a_usage_error(isolated_home: Path) -> None:
    result = run_in_process(
        "send", "--dry-run", "--encoding", "ucs2", "hi", env=base_env(isolated_home)
    )
    assert result.code == 2
    assert "--encoding must be smart or unicode, got 'ucs2'." in result.stderr
    assert "Traceback" not in result.output


def test_no_markdown_sends_the_text_as_given(isolated_home: Path) -> None:
    text = "**bold** and _this_"
    assert dry_run_json(isolated_home, text)["parts"][0]["body"] == "bold and this"
    assert dry_run_json(isolated_home, "--no-markdown", text)["parts"][0]["body"] == text


def test_to_option_beats_the_home_channel(isolated_home: Path) -> None:
    document = dry_run_json(isolated_home, "--to", BOB, "hi", SMS_HOME_CHANNEL=ALICE)
    assert document["to"] == BOB
    assert dry_run_json(isolated_home, "hi", SMS_HOME_CHANNEL=ALICE)["to"] == ALICE


def test_json_counts_characters_of_each_part(isolated_home: Path) -> None:
    text = "\n\n".join(f"Paragraph {i}. " + "words and more words " * 30 for i in range(4))
    document = dry_run_json(isolated_home, text)
    assert len(document["parts"]) >= 2
    for part in document["parts"]:
        assert part["characters"] == len(part["body"])
        assert part["segments"] < part["characters"]


def test_json_error_carries_the_exit_status_of_a_refusal(isolated_home: Path, send_env) -> None:
    from hermes_sms.home import DATABASE_NAME
    from hermes_sms.store import Store

    store = Store.open(isolated_home / DATABASE_NAME)
    try:
        store.set_opted_out(ALICE, True, "STOP")
    finally:
        store.close()
    result = run_in_process("send", "--json", "--to", ALICE, "hi", env=send_env)
    assert result.code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert document["error"]["exit_status"] == 1
    assert "has opted out" in document["error"]["message"]


@pytest.fixture
def send_env(isolated_home: Path, emulator, twilio_creds) -> dict[str, str]:
    return base_env(
        isolated_home,
        TWILIO_ACCOUNT_SID=twilio_creds.account_sid,
        TWILIO_AUTH_TOKEN=twilio_creds.auth_token,
        TWILIO_PHONE_NUMBER="+15550100001",
        TWILIO_API_BASE_URL=emulator.base_url,
    )


async def test_json_of_a_refused_send_names_the_recipient(send_env, emulator) -> None:
    emulator.inject_fault(400, code=21211, count=1)
    result = await run_in_thread("send", "--json", "--to", "+1 555 010 0002", "hi", env=send_env)
    assert result.code == 1
    document = json.loads(result.stdout)
    assert document["to"] == ALICE
    assert document["error"]["code"] == 21211
    assert document["dry_run"] is False


def _interrupt_while_typing(env: dict[str, str]) -> tuple[int | None, str]:
    """`send --to ALICE -` on a pseudo-terminal, Ctrl-C in the middle of typing the message."""
    child = pexpect.spawn(
        sys.executable,
        ["-m", "hermes_sms", "send", "--to", ALICE, "-"],
        env=env,
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 200),
    )
    try:
        child.expect("finish with Ctrl-D")
        child.send("half a thou")
        child.sendintr()
        child.expect(pexpect.EOF)
    finally:
        child.close()
    return child.exitstatus, child.before or ""


async def test_ctrl_c_while_typing_the_message_sends_nothing_exit_130(send_env, emulator) -> None:
    status, rest = await asyncio.to_thread(_interrupt_while_typing, {**send_env, "TERM": "dumb"})
    assert status == 130, rest
    assert "Traceback" not in rest
    assert emulator.requests == []
