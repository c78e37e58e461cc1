"""`hermes-sms demo`: the product end to end on this machine, through the real CLI."""

from __future__ import annotations

import asyncio
import socket
import stat
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pexpect
import pytest
from cli_helpers import base_env, run_cli, run_in_process

from hermes_sms.gateway.keywords import Keyword
from hermes_sms.sandbox import TwilioEmulator, post_inbound
from hermes_sms.sandbox.demo import (
    DEMO_ACCOUNT_SID,
    DEMO_AUTH_TOKEN,
    DEMO_GATEWAY_NUMBER,
    DEMO_PHONE_NUMBER,
    TWILIO_KEYWORD_REPLIES,
    DemoSession,
)
from hermes_sms.sandbox.fake_llm import FakeLLM

NOBODY = "http://127.0.0.1:9/v1"  # discard port: nothing answers


async def test_script_prints_conversation_and_exits_0(isolated_home: Path) -> None:
    env = base_env(isolated_home, SMS_AGENT_URL=NOBODY)
    result = await run_cli(
        "demo",
        "--script",
        "Hello!",
        "It\u2019s \u201csmart\u201d \u2014 ok\u2026",
        "/help",
        env=env,
    )
    assert result.code == 0, result.output
    out = result.stdout
    assert "signatures checked" in out
    assert "built-in echo agent" in out and "did not answer" in out
    assert "you › Hello!" in out
    assert "sms ‹ Echo: Hello!" in out
    assert 'sms ‹ Echo (turn 2): It\'s "smart" - ok...' in out
    assert out.count("GSM-7 · 1 segment") == 3
    assert "/reset (or /new)" in out


async def test_uses_configured_agent_when_it_answers(isolated_home: Path) -> None:
    async with FakeLLM() as llm:
        env = base_env(isolated_home, SMS_AGENT_URL=llm.url)
        result = await run_cli("demo", "--script", "ping", env=env)
        assert result.code == 0, result.output
        assert f"agent: openai-compatible {llm.url}" in result.stdout
        assert "SMS_AGENT_URL answered" in result.stdout
        assert "sms ‹ You said: ping" in result.stdout
        assert len(llm.chat_requests) == 1


async def test_emoji_reply_shows_ucs2_and_segments(isolated_home: Path) -> None:
    env = base_env(isolated_home, SMS_AGENT_BACKEND="echo")
    result = await run_cli("demo", "--script", "\U0001f600" * 40, env=env)
    assert result.code == 0, result.output
    assert "UCS-2 · 2 segments" in result.stdout


async def test_piped_lines_until_quit(isolated_home: Path) -> None:
    env = base_env(isolated_home, SMS_AGENT_BACKEND="echo")
    result = await run_cli("demo", env=env, stdin="one\n\ntwo\n/quit\nnever sent\n")
    assert result.code == 0, result.output
    assert "Echo: one" in result.stdout
    assert "Echo (turn 2): two" in result.stdout
    assert "never sent" not in result.stdout


async def test_script_without_texts_is_usage_error(isolated_home: Path) -> None:
    result = await run_cli("demo", "--script", env=base_env(isolated_home))
    assert result.code == 2


def _terminal_session(env: dict[str, str], leave: str) -> tuple[int | None, str]:
    """Type a text into `hermes-sms demo` on a pseudo-terminal, then leave by `leave`."""
    child = pexpect.spawn(
        sys.executable,
        ["-m", "hermes_sms", "demo"],
        env=env,
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 200),
    )
    try:
        child.expect("Ctrl-D to leave")
        child.expect("you › ")
        child.sendline("hello from a terminal")
        child.expect("Echo: hello from a terminal")
        child.expect("you › ")
        if leave == "ctrl-d":
            child.sendeof()
        elif leave == "ctrl-c":
            child.sendintr()
        else:
            child.sendline(leave)
        child.expect(pexpect.EOF)
    finally:
        child.close()
    return child.exitstatus, child.before or ""


@pytest.mark.parametrize(("leave", "code"), [("ctrl-d", 0), ("/quit", 0), ("ctrl-c", 130)])
async def test_terminal_phone_ends_cleanly(
    isolated_home: Path, tmp_path: Path, leave: str, code: int
) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = base_env(isolated_home, SMS_AGENT_BACKEND="echo", TERM="dumb", TMPDIR=str(tmp))
    status, rest = await asyncio.to_thread(_terminal_session, env, leave)
    assert status == code, rest
    assert "Traceback" not in rest and "Unclosed" not in rest
    # The temporary HERMES_HOME is gone: everything was stopped and cleaned up.
    assert list(tmp.iterdir()) == []


async def test_session_in_process_keeps_history(tmp_path: Path) -> None:
    async with DemoSession({"SMS_AGENT_BACKEND": "echo"}, home=tmp_path) as demo:
        assert demo.info is not None and not demo.info.agent_is_fallback
        first = await demo.text("a")
        second = await demo.text("b")
        await demo.text("/reset")
        third = await demo.text("c")
    assert [r.body for r in first + second + third] == ["Echo: a", "Echo (turn 2): b", "Echo: c"]
    assert (tmp_path / "sms.sqlite3").exists()


async def test_long_reply_comes_in_parts_each_with_its_segments(isolated_home: Path) -> None:
    env = base_env(isolated_home, SMS_AGENT_BACKEND="echo")
    long_text = " ".join(f"word{i}" for i in range(400))  # ~3,100 characters
    result = await run_cli("demo", "--script", long_text, env=env)
    assert result.code == 0, result.output
    out = result.stdout
    assert "sms ‹ (1/2) Echo: word0 word1" in out
    assert "sms ‹ (2/2) " in out
    assert out.count("GSM-7 · ") == 2
    assert "GSM-7 · 1 segment" not in out  # both parts are long, several segments each


async def test_stop_and_start_show_what_twilio_answers(isolated_home: Path) -> None:
    env = base_env(isolated_home, SMS_AGENT_BACKEND="echo")
    texts = ["hi", "STOP", "anyone there?", "START", "back"]
    result = await run_cli("demo", "--script", *texts, env=env)
    assert result.code == 0, result.output
    turns = result.stdout.split("you › ")[1:]
    assert "Echo: hi" in turns[0]
    assert "successfully been unsubscribed" in turns[1] and "sent by Twilio itself" in turns[1]
    assert "(no reply)" in turns[2]  # opted out: neither the gateway nor Twilio answers
    assert "successfully been re-subscribed" in turns[3] and "Echo" not in turns[3]
    assert "Echo (turn 2): back" in turns[4]


async def test_session_opts_out_at_twilio_like_a_real_number(tmp_path: Path) -> None:
    async with DemoSession({"SMS_AGENT_BACKEND": "echo"}, home=tmp_path) as demo:
        stop = await demo.text("stop")
        assert [(r.body, r.from_twilio) for r in stop] == [
            (TWILIO_KEYWORD_REPLIES[Keyword.OPT_OUT], True)
        ]
        assert demo._emulator is not None and DEMO_PHONE_NUMBER in demo._emulator.opted_out
        help_ = await demo.text("HELP")
        assert [r.from_twilio for r in help_] == [True]
        await demo.text("START")
        assert DEMO_PHONE_NUMBER not in demo._emulator.opted_out
        assert [r.body for r in await demo.text("ok")] == ["Echo: ok"]


def _refused(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=5):
            return False
    except ConnectionRefusedError:
        return True


async def test_signatures_are_checked_and_stop_frees_everything() -> None:
    demo = DemoSession({"SMS_AGENT_BACKEND": "echo"})
    info = await demo.start()
    assert demo._emulator is not None
    emulator_url = demo._emulator.base_url
    try:
        assert info.home_is_temporary and info.home.is_dir()
        for sign, token in ((False, DEMO_AUTH_TOKEN), (True, "not-the-demo-token")):
            result = await post_inbound(
                info.webhook_url,
                auth_token=token,
                account_sid=DEMO_ACCOUNT_SID,
                from_=DEMO_PHONE_NUMBER,
                to=DEMO_GATEWAY_NUMBER,
                body="forged",
                sign=sign,
            )
            assert result.status == 403
        assert [r.body for r in await demo.text("signed")] == ["Echo: signed"]
    finally:
        await demo.stop()
    assert _refused(info.webhook_url) and _refused(emulator_url)
    assert not info.home.exists()


async def test_unusable_home_is_a_clear_error(isolated_home: Path, tmp_path: Path) -> None:
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    env = base_env(isolated_home, SMS_AGENT_BACKEND="echo")
    result = await run_cli("demo", "--home", str(not_a_folder), "--script", "hi", env=env)
    assert result.code == 2, result.output
    assert f"The demo could not start: HERMES_HOME {not_a_folder} is not a directory." in (
        result.stderr
    )
    assert "Traceback" not in result.output and "Unclosed" not in result.output


async def test_home_of_a_running_gateway_is_refused(isolated_home: Path, tmp_path: Path) -> None:
    """`demo --home` on the folder of a running gateway would make two gateways answer from
    one database: refused like a second gateway, and the running one keeps its lock."""
    from hermes_sms.gateway.instance_lock import InstanceLock

    home = tmp_path / "live"
    home.mkdir(mode=0o700)
    running = InstanceLock.acquire(home / "gateway.lock")  # what a running gateway holds
    try:
        env = base_env(isolated_home, SMS_AGENT_BACKEND="echo")
        result = await run_cli("demo", "--home", str(home), "--script", "hi", env=env)
        assert result.code == 2, result.output
        assert "The demo could not start: another hermes-sms gateway (pid " in result.stderr
        assert "you ›" not in result.stdout and "Traceback" not in result.output
        assert running.held
    finally:
        running.release()


async def test_shared_home_is_refused_and_left_shared(isolated_home: Path, tmp_path: Path) -> None:
    # `--home /tmp` run as root used to chmod /tmp to 0700, locking every other user out.
    shared = tmp_path / "like-tmp"
    shared.mkdir()
    shared.chmod(0o1777)
    env = base_env(isolated_home, SMS_AGENT_BACKEND="echo")
    result = await run_cli("demo", "--home", str(shared), "--script", "hi", env=env)
    assert result.code == 2, result.output
    assert (
        f"The demo could not start: HERMES_HOME {shared} is shared with other users (mode 1777)"
    ) in result.stderr
    assert "point HERMES_HOME (or --home) at a private directory" in result.stderr
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert list(shared.iterdir()) == []


async def test_own_loose_home_is_tightened_and_said(isolated_home: Path, tmp_path: Path) -> None:
    loose = tmp_path / "loose"
    loose.mkdir()
    loose.chmod(0o755)
    env = base_env(isolated_home, SMS_AGENT_BACKEND="echo")
    result = await run_cli("demo", "--home", str(loose), "--script", "hi", env=env)
    assert result.code == 0, result.output
    assert f"Tightened {loose} from 0755 to 0700" in result.stdout
    assert stat.S_IMODE(loose.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    ("texts", "suggested"),
    [(["hello"], "hermes-sms demo --script hello"), (["hi there"], "--script 'hi there'")],
)
def test_texts_without_script_are_a_usage_error(
    isolated_home: Path, texts: list[str], suggested: str
) -> None:
    # Silently ignored before: the demo waited for input with the text already typed.
    result = run_in_process("demo", *texts, env=base_env(isolated_home))
    assert result.code == 2, result.output
    assert "only with --script" in result.stderr
    assert suggested in result.stderr
    assert result.stdout == ""


async def test_temporary_home_is_deleted_and_a_given_one_kept(
    isolated_home: Path, tmp_path: Path
) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = base_env(isolated_home, SMS_AGENT_BACKEND="echo", TMPDIR=str(tmp))
    result = await run_cli("demo", "--script", "hi", env=env)
    assert result.code == 0, result.output
    assert (
        f"HERMES_HOME: {tmp}" in result.stdout and "(temporary, deleted on exit)" in result.stdout
    )
    assert list(tmp.iterdir()) == []

    given = tmp_path / "given-home"
    result = await run_cli("demo", "--home", str(given), "--script", "hi", env=env)
    assert result.code == 0, result.output
    assert f"HERMES_HOME: {given} (kept)" in result.stdout
    assert (given / "sms.sqlite3").is_file()


async def test_never_uses_the_twilio_settings_of_the_real_home(
    isolated_home: Path, twilio_creds
) -> None:
    # A user's real configuration: credentials, webhook, allowlist. The demo must take only the
    # agent settings from it and keep every Twilio request on its own emulator.
    async with TwilioEmulator(*twilio_creds) as real_account:
        isolated_home.mkdir(parents=True)
        (isolated_home / ".env").write_text(
            f"TWILIO_ACCOUNT_SID={twilio_creds.account_sid}\n"
            f"TWILIO_AUTH_TOKEN={twilio_creds.auth_token}\n"
            "TWILIO_PHONE_NUMBER=+15557654321\n"
            f"TWILIO_API_BASE_URL={real_account.base_url}\n"
            "SMS_ALLOWED_USERS=+15557654322\n"
            "SMS_AGENT_BACKEND=echo\n"
        )
        result = await run_cli("demo", "--script", "hi", env=base_env(isolated_home))
        assert result.code == 0, result.output
        assert "sms ‹ Echo: hi" in result.stdout
        assert "chosen by SMS_AGENT_BACKEND=echo" in result.stdout
        assert real_account.requests == []
        assert twilio_creds.auth_token not in result.output


async def test_says_which_agent_and_why(isolated_home: Path) -> None:
    result = await run_cli(
        "demo", "--script", "hi", env=base_env(isolated_home, SMS_AGENT_URL=NOBODY)
    )
    assert f"because SMS_AGENT_URL {NOBODY} did not answer" in result.stdout
    # Without SMS_AGENT_URL the default address is tried, and the demo says it was the default.
    result = await run_cli("demo", "--script", "hi", env=base_env(isolated_home))
    assert result.code == 0, result.output
    assert "the default agent URL" in result.stdout


async def test_agent_url_password_is_never_shown(isolated_home: Path) -> None:
    url = "http://bob:hunter2pw@127.0.0.1:9/v1"
    result = await run_cli("demo", "--script", "hi", env=base_env(isolated_home, SMS_AGENT_URL=url))
    assert result.code == 0, result.output
    assert "hunter2pw" not in result.output
    assert "SMS_AGENT_URL http://…@127.0.0.1:9/v1 did not answer" in result.stdout
