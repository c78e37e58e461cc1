"""`hermes-sms demo`: the product end to end on this machine, through the real CLI."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pexpect
from cli_helpers import base_env, run_cli

from hermes_sms.sandbox.demo import DemoSession
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


def _terminal_session(env: dict[str, str]) -> str:
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
        child.sendeof()  # Ctrl-D
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    return child.before or ""


async def test_terminal_phone_ends_on_ctrl_d(isolated_home: Path) -> None:
    env = base_env(isolated_home, SMS_AGENT_BACKEND="echo", TERM="dumb")
    await asyncio.to_thread(_terminal_session, env)


async def test_session_in_process_keeps_history(tmp_path: Path) -> None:
    async with DemoSession({"SMS_AGENT_BACKEND": "echo"}, home=tmp_path) as demo:
        assert demo.info is not None and not demo.info.agent_is_fallback
        first = await demo.text("a")
        second = await demo.text("b")
        await demo.text("/reset")
        third = await demo.text("c")
    assert [r.body for r in first + second + third] == ["Echo: a", "Echo (turn 2): b", "Echo: c"]
    assert (tmp_path / "sms.sqlite3").exists()
