"""`hermes-sms send` through the real CLI against the Twilio emulator."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from pathlib import Path
from typing import IO

import pytest
from cli_helpers import base_env, free_port, run_cli, run_in_process

from hermes_sms.cli.app import main
from hermes_sms.cli.environment import Environment

OUR = "+15550100001"
ALICE = "+15550100002"


@pytest.fixture
def send_env(isolated_home: Path, emulator, twilio_creds) -> dict[str, str]:
    return base_env(
        isolated_home,
        TWILIO_ACCOUNT_SID=twilio_creds.account_sid,
        TWILIO_AUTH_TOKEN=twilio_creds.auth_token,
        TWILIO_PHONE_NUMBER=OUR,
        TWILIO_API_BASE_URL=emulator.base_url,
    )


async def test_send_success(send_env, emulator, twilio_creds) -> None:
    result = await run_cli("send", "--to", "+1 (555) 010-0002", "Hello **there**", env=send_env)
    assert result.code == 0, result.output
    (message,) = emulator.messages
    assert (message["to"], message["from"], message["body"]) == (ALICE, OUR, "Hello there")
    assert message["sid"] in result.stdout
    assert "GSM-7" in result.stdout
    assert "+1555***0002" in result.stdout
    assert twilio_creds.auth_token not in result.output


async def test_send_long_message_in_order_with_markers(send_env, emulator) -> None:
    text = "\n\n".join(f"Paragraph {i}. " + "words and more words " * 30 for i in range(6))
    result = await run_cli("send", "--to", ALICE, "--json", text, env=send_env)
    assert result.code == 0, result.output
    document = json.loads(result.stdout)
    bodies = [m["body"] for m in emulator.messages]
    assert len(bodies) == len(document["parts"]) >= 3
    assert all(len(b) <= 1600 for b in bodies)
    assert [b.split(" ", 1)[0] for b in bodies] == [
        f"({i}/{len(bodies)})" for i in range(1, len(bodies) + 1)
    ]
    assert [p["sid"] for p in document["parts"]] == [m["sid"] for m in emulator.messages]
    assert document["total_segments"] == sum(p["segments"] for p in document["parts"])


async def test_send_reads_stdin(send_env, emulator) -> None:
    result = await run_cli("send", "--to", ALICE, "-", env=send_env, stdin="from a pipe\n")
    assert result.code == 0, result.output
    assert emulator.messages[0]["body"] == "from a pipe"


async def test_send_defaults_to_home_channel(send_env, emulator, isolated_home) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / ".env").write_text(f"SMS_HOME_CHANNEL={ALICE}\n")
    result = await run_cli("send", "to home", env=send_env)
    assert result.code == 0, result.output
    assert emulator.messages[0]["to"] == ALICE


async def test_send_retries_after_429(send_env, emulator) -> None:
    emulator.inject_fault(429, count=2, retry_after=0)
    result = await run_cli("send", "--to", ALICE, "patience", env=send_env)
    assert result.code == 0, result.output
    assert len(emulator.messages) == 1
    assert "retry" in result.stderr


async def test_send_invalid_number_exit_1_with_explanation(send_env, emulator) -> None:
    emulator.inject_fault(400, code=21211, count=1)
    result = await run_cli("send", "--to", ALICE, "hi", env=send_env)
    assert result.code == 1
    assert "21211" in result.stderr
    assert "not a valid phone number" in result.stderr
    assert "Traceback" not in result.output


async def test_send_stops_at_first_refused_part(send_env, emulator) -> None:
    text = "\n\n".join("word " * 300 for _ in range(3))
    emulator.opt_out(ALICE)
    result = await run_cli("send", "--to", ALICE, text, env=send_env)
    assert result.code == 1
    assert "21610" in result.stderr
    assert "part 1 of" in result.stderr
    assert emulator.messages == []


async def test_send_missing_variables_exit_2(isolated_home) -> None:
    result = await run_cli("send", "--to", ALICE, "hi", env=base_env(isolated_home))
    assert result.code == 2
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER"):
        assert f"{name} is not set" in result.stderr
    assert "hermes-sms setup" in result.stderr
    assert "Traceback" not in result.output


async def test_dry_run_needs_no_credentials_or_network(isolated_home) -> None:
    result = await run_cli(
        "send",
        "--dry-run",
        "--to",
        ALICE,
        "It\u2019s \u201cfine\u201d \u2014 really",
        env=base_env(isolated_home, TWILIO_API_BASE_URL="http://127.0.0.1:9"),
    )
    assert result.code == 0, result.output
    assert 'It\'s "fine" - really' in result.stdout
    assert "GSM-7" in result.stdout


def test_dry_run_json_unicode_mode(isolated_home) -> None:
    result = run_in_process(
        "send",
        "--dry-run",
        "--json",
        "--encoding",
        "unicode",
        "caf\u00e9 \u2014 ok",
        env=base_env(isolated_home),
    )
    assert result.code == 0, result.output
    document = json.loads(result.stdout)
    assert document["dry_run"] is True
    assert document["parts"][0]["encoding"] == "UCS-2"
    assert document["parts"][0]["body"] == "caf\u00e9 \u2014 ok"


def test_bad_recipient_exit_2(isolated_home) -> None:
    result = run_in_process(
        "send", "--dry-run", "--to", "555 0100", "x", env=base_env(isolated_home)
    )
    assert result.code == 2
    assert "--to must be a phone number" in result.stderr
    assert "country code" in result.stderr


def test_no_recipient_exit_2(send_env) -> None:
    result = run_in_process("send", "hi", env=send_env)
    assert result.code == 2
    assert "No recipient" in result.stderr


def test_no_message_from_terminal_exit_2(send_env) -> None:
    result = run_in_process("send", "--to", ALICE, env=send_env, stdin_isatty=True)
    assert result.code == 2
    assert "No message" in result.stderr


def test_empty_message_exit_2(send_env) -> None:
    result = run_in_process("send", "--to", ALICE, "-", env=send_env, stdin="  \n\n")
    assert result.code == 2
    assert "empty" in result.stderr


async def test_token_never_printed_even_on_auth_failure(send_env, twilio_creds) -> None:
    env = {**send_env, "TWILIO_AUTH_TOKEN": "wrong-but-secret-token-42"}
    result = await run_cli("send", "--to", ALICE, "hi", env=env)
    assert result.code == 1
    assert "20003" in result.stderr
    assert "wrong-but-secret-token-42" not in result.output
    assert twilio_creds.auth_token not in result.output


async def test_non_utf8_input_is_a_usage_error(isolated_home) -> None:
    env = {**base_env(isolated_home), "LC_ALL": "C", "PYTHONIOENCODING": "utf-8:surrogateescape"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hermes_sms",
        "send",
        "--dry-run",
        "--to",
        ALICE,
        "-",
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate(b"\xff\xfe hi")
    assert process.returncode == 2
    assert b"not UTF-8" in err
    assert b"Traceback" not in err + out


def test_non_utf8_env_file_is_a_usage_error(isolated_home) -> None:
    isolated_home.mkdir(parents=True)
    (isolated_home / ".env").write_bytes(b"X=\xff\n")
    result = run_in_process("send", "--dry-run", "hi", env=base_env(isolated_home))
    assert result.code == 2
    assert "not UTF-8" in result.stderr


async def test_send_reads_piped_stdin_without_dash(send_env, emulator) -> None:
    result = await run_cli("send", "--to", ALICE, env=send_env, stdin="no dash needed\n")
    assert result.code == 0, result.output
    assert [m["body"] for m in emulator.messages] == ["no dash needed"]


async def test_send_uses_messaging_service_instead_of_from(send_env, emulator) -> None:
    service = "MG" + "0123456789abcdef" * 2
    env = {**send_env, "TWILIO_MESSAGING_SERVICE_SID": service}
    result = await run_cli("send", "--to", ALICE, "via the service", env=env)
    assert result.code == 0, result.output
    (request,) = [r for r in emulator.requests if r.method == "POST"]
    assert request.form["MessagingServiceSid"] == service
    assert "From" not in request.form


async def test_server_errors_outlasting_retries_exit_1_with_code_and_meaning(
    send_env, emulator
) -> None:
    emulator.inject_fault(503, retry_after=0)
    result = await run_cli("send", "--to", ALICE, "hello?", env=send_env)
    assert result.code == 1
    posts = [r for r in emulator.requests if r.method == "POST"]
    assert len(posts) == 4  # the first attempt and three retries, then it gives up
    assert emulator.messages == []
    assert result.stderr.count("; retry ") == 3
    assert "20503" in result.stderr
    assert "temporarily unavailable" in result.stderr
    assert "Traceback" not in result.output


async def test_refusal_after_some_parts_reports_what_went_out(send_env, emulator) -> None:
    emulator.inject_fault(400, code=21610, after=1)
    text = "\n\n".join("word " * 300 for _ in range(3))
    result = await run_cli("send", "--to", ALICE, "--json", text, env=send_env)
    assert result.code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert document["error"]["part"] == 2
    assert document["error"]["code"] == 21610
    assert "opted out" in document["error"]["explanation"]
    (sent,) = emulator.messages
    assert document["parts"][0]["sid"] == sent["sid"]
    assert all("sid" not in part for part in document["parts"][1:])
    assert "part 2 of 3" in result.stderr
    assert "Parts 1 to 1 were sent" in result.stderr


async def test_dry_run_with_credentials_sends_nothing(send_env, emulator) -> None:
    result = await run_cli("send", "--dry-run", "--to", ALICE, "just looking", env=send_env)
    assert result.code == 0, result.output
    assert "just looking" in result.stdout
    assert emulator.requests == []


def _run_with_stdin(*args: str, env: dict[str, str], stdin: IO[str] | None) -> tuple[int, str]:
    """The CLI in-process with a given standard input stream (None: closed); (code, stderr)."""
    stderr = io.StringIO()
    environment = Environment(
        environ=env, stdin=stdin, stdout=io.StringIO(), stderr=stderr, color=False
    )
    return int(main(list(args), environment)), stderr.getvalue()


def test_closed_stdin_is_a_usage_error(send_env) -> None:
    code, stderr = _run_with_stdin("send", "--to", ALICE, env=send_env, stdin=None)
    assert code == 2
    assert "No message" in stderr


def test_strict_utf8_stdin_with_bad_bytes_is_a_usage_error(isolated_home) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"\xff\xfe hi"), encoding="utf-8", errors="strict")
    code, stderr = _run_with_stdin(
        "send", "--dry-run", "--to", ALICE, "-", env=base_env(isolated_home), stdin=stdin
    )
    assert code == 2
    assert "not UTF-8" in stderr


def test_unreadable_stdin_is_a_usage_error(isolated_home, tmp_path) -> None:
    with open(tmp_path / "write-only.txt", "w") as stdin:  # reading it raises an OSError
        code, stderr = _run_with_stdin(
            "send", "--dry-run", "--to", ALICE, "-", env=base_env(isolated_home), stdin=stdin
        )
    assert code == 2
    assert "Cannot read the message from standard input" in stderr


def test_reading_from_a_terminal_says_how_to_finish(isolated_home) -> None:
    result = run_in_process(
        "send",
        "--dry-run",
        "--to",
        ALICE,
        "-",
        env=base_env(isolated_home),
        stdin="typed at the prompt\n",
        stdin_isatty=True,
    )
    assert result.code == 0, result.output
    assert "Ctrl-D" in result.stderr
    assert "typed at the prompt" in result.stdout


def _opt_out(home: Path, number: str, reason: str) -> None:
    """What the gateway records when `number` texts STOP (or Twilio answers 21610)."""
    from hermes_sms.home import DATABASE_NAME
    from hermes_sms.store import Store

    store = Store.open(home / DATABASE_NAME)
    try:
        store.set_opted_out(number, True, reason)
    finally:
        store.close()


async def test_opted_out_recipient_gets_nothing_exit_1(send_env, emulator, isolated_home) -> None:
    _opt_out(isolated_home, ALICE, "STOP")
    result = await run_cli("send", "--to", ALICE, "are you there?", env=send_env)
    assert result.code == 1, result.output
    assert "+1555***0002 has opted out" in result.stderr
    assert "texted STOP on " in result.stderr and "START" in result.stderr
    assert emulator.requests == []
    assert ALICE not in result.output


async def test_opt_out_from_twilio_error_21610_is_named(send_env, emulator, isolated_home) -> None:
    _opt_out(isolated_home, ALICE, "21610")
    result = await run_cli("send", "--to", ALICE, "hello", env=send_env)
    assert result.code == 1
    assert "Twilio reported error 21610" in result.stderr
    assert emulator.requests == []


async def test_opted_back_in_recipient_is_sent_to(send_env, emulator, isolated_home) -> None:
    from hermes_sms.home import DATABASE_NAME
    from hermes_sms.store import Store

    _opt_out(isolated_home, ALICE, "STOP")
    store = Store.open(isolated_home / DATABASE_NAME)
    store.set_opted_out(ALICE, False)
    store.close()
    result = await run_cli("send", "--to", ALICE, "welcome back", env=send_env)
    assert result.code == 0, result.output
    assert [m["body"] for m in emulator.messages] == ["welcome back"]


def test_dry_run_notes_the_opt_out_and_exits_0(isolated_home) -> None:
    _opt_out(isolated_home, ALICE, "STOPALL")
    result = run_in_process("send", "--dry-run", "--to", ALICE, "hi", env=base_env(isolated_home))
    assert result.code == 0
    assert "+1555***0002 has opted out (texted STOPALL on " in result.stderr


async def test_opted_out_home_channel_gets_nothing(send_env, emulator, isolated_home) -> None:
    _opt_out(isolated_home, ALICE, "STOP")
    (isolated_home / ".env").write_text(f"SMS_HOME_CHANNEL={ALICE}\n")
    result = await run_cli("send", "to home", env=send_env)
    assert result.code == 1, result.output
    assert "+1555***0002 has opted out" in result.stderr
    assert emulator.requests == []


async def test_opted_out_recipient_written_another_way_gets_nothing(
    send_env, emulator, isolated_home
) -> None:
    _opt_out(isolated_home, ALICE, "STOP")
    result = await run_cli("send", "--to", "+1 (555) 010-0002", "hello", env=send_env)
    assert result.code == 1, result.output
    assert "+1555***0002 has opted out" in result.stderr
    assert emulator.requests == []


def test_dry_run_to_an_opted_out_home_channel_notes_it(isolated_home) -> None:
    _opt_out(isolated_home, ALICE, "STOP")
    (isolated_home / ".env").write_text(f"SMS_HOME_CHANNEL={ALICE}\n")
    result = run_in_process("send", "--dry-run", "hi", env=base_env(isolated_home))
    assert result.code == 0, result.output
    assert "+1555***0002 has opted out (texted STOP on " in result.stderr
    assert "to +1555***0002" in result.stdout


async def test_unreadable_gateway_database_does_not_block_send(
    send_env, emulator, isolated_home
) -> None:
    # Not a database: send cannot tell, so it sends (Twilio's own 21610 block still applies).
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "sms.sqlite3").write_bytes(b"this is not sqlite" * 100)
    result = await run_cli("send", "--to", ALICE, "hi", env=send_env)
    assert result.code == 0, result.output
    assert len(emulator.messages) == 1


def test_send_never_creates_the_gateway_database(isolated_home) -> None:
    run_in_process("send", "--dry-run", "--to", ALICE, "hi", env=base_env(isolated_home))
    assert not (isolated_home / "sms.sqlite3").exists()


async def test_unreachable_twilio_says_not_sent_in_plain_words(send_env) -> None:
    base_url = f"http://127.0.0.1:{free_port()}"
    result = await run_cli(
        "send", "--to", ALICE, "hi", env={**send_env, "TWILIO_API_BASE_URL": base_url}
    )
    assert result.code == 1
    assert (
        f"Part 1 of 1 was not sent: could not reach {base_url}: Connection refused" in result.stderr
    )
    # Never connected: not "Twilio did not accept", no aiohttp internals, no doubt about it.
    assert "did not accept" not in result.stderr and "ssl:default" not in result.stderr
    assert "may have received" not in result.stderr


async def test_dropped_connection_warns_the_part_may_have_been_sent(send_env) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)  # the request arrived; the answer never leaves
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    base_url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    env = {**send_env, "TWILIO_API_BASE_URL": base_url}
    try:
        result = await run_cli("send", "--to", ALICE, "hi", env=env)
        as_json = await run_cli("send", "--json", "--to", ALICE, "hi", env=env)
    finally:
        server.close()
        await server.wait_closed()
    assert result.code == 1
    assert (
        f"Part 1 of 1 may or may not have reached Twilio: lost the connection to {base_url}"
        in result.stderr
    )
    assert "was not sent" not in result.stderr
    assert "Twilio may have received part 1" in result.stderr
    assert json.loads(as_json.stdout)["error"]["in_doubt"] is True


async def test_twilio_error_text_shows_numbers_redacted(send_env, emulator) -> None:
    emulator.account_type = "Trial"
    result = await run_cli("send", "--to", ALICE, "hi", env=send_env)
    assert result.code == 1
    assert "The number +1555***0002 is unverified" in result.stderr
    assert ALICE not in result.stderr


async def test_sending_to_our_own_number_is_refused_with_the_reason(send_env, emulator) -> None:
    result = await run_cli("send", "--to", OUR, "hi me", env=send_env)
    assert result.code == 1
    assert "21266" in result.stderr and "cannot text itself" in result.stderr
    assert emulator.messages == []


@pytest.mark.parametrize(
    ("args", "extra_env", "status", "text"),
    [
        (["--to", "123"], {}, 2, "--to must be a phone number"),
        (["--to", ALICE], {"TWILIO_ACCOUNT_SID": "bad"}, 2, "TWILIO_ACCOUNT_SID must be"),
    ],
)
def test_json_mode_reports_early_errors_as_json(send_env, args, extra_env, status, text) -> None:
    result = run_in_process("send", "--json", *args, "hi", env={**send_env, **extra_env})
    assert result.code == status
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert document["error"]["exit_status"] == status
    assert text in document["error"]["message"]
    assert text in result.stderr  # people reading the terminal still see it
