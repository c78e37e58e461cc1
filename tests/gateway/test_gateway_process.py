"""`hermes-sms gateway` as a real process: start-up messages, exit codes, signals, crashes."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from pathlib import Path

import pytest
from harness import ALICE, OUR_NUMBER, GatewayProcess, free_port, spawn

from hermes_sms.sandbox import post_inbound
from hermes_sms.sandbox.fake_llm import FakeLLM

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cli_helpers import base_env, run_cli


@pytest.fixture
async def llm():
    async with FakeLLM() as fake:
        yield fake


@pytest.fixture
def gateway_env(isolated_home: Path, emulator, twilio_creds, llm) -> dict[str, str]:
    return base_env(
        isolated_home,
        TWILIO_ACCOUNT_SID=twilio_creds.account_sid,
        TWILIO_AUTH_TOKEN=twilio_creds.auth_token,
        TWILIO_PHONE_NUMBER=OUR_NUMBER,
        TWILIO_API_BASE_URL=emulator.base_url,
        SMS_WEBHOOK_HOST="127.0.0.1",
        SMS_WEBHOOK_PORT=str(free_port()),
        SMS_ALLOWED_USERS=ALICE,
        SMS_DEBOUNCE_SECONDS="0",
        SMS_AGENT_URL=llm.url,
        SMS_AGENT_TIMEOUT="30",
        PYTHONUNBUFFERED="1",
    )


async def text(gw: GatewayProcess, twilio_creds, body: str, sid: str | None = None):
    return await post_inbound(
        gw.url,
        auth_token=twilio_creds.auth_token,
        account_sid=twilio_creds.account_sid,
        from_=ALICE,
        to=OUR_NUMBER,
        body=body,
        message_sid=sid,
    )


async def test_start_line_and_clean_sigterm(gateway_env, emulator, twilio_creds) -> None:
    gw = await spawn(gateway_env)
    port = gateway_env["SMS_WEBHOOK_PORT"]
    line = await gw.wait_for("listening")
    assert line == f"[sms] Twilio webhook server listening on port {port}, from: +1555***0001"
    result = await text(gw, twilio_creds, "hello process")
    assert result.status == 200
    await emulator.wait_for_messages(1, timeout=20)
    await gw.wait_for("replied to +1555***0002")
    assert await gw.stop(signal.SIGTERM) == 0
    output = "\n".join(gw.lines)
    assert "stopped" in output
    assert twilio_creds.auth_token not in output
    assert ALICE not in output
    assert "Traceback" not in output


async def test_sigint_stops_cleanly(gateway_env) -> None:
    gw = await spawn(gateway_env)
    await gw.wait_for("listening")
    assert await gw.stop(signal.SIGINT) == 0


async def test_port_in_use_exit_2(gateway_env) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        result = await run_cli("gateway", env={**gateway_env, "SMS_WEBHOOK_PORT": str(port)})
    assert result.code == 2
    assert f"port {port} is already in use" in result.stderr
    assert "SMS_WEBHOOK_PORT" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("http://127.0.0.1", "'http://127.0.0.1'"),
        ("0.0.0.0:8080", "'0.0.0.0:8080'"),
        ("localhost/", "'localhost/'"),
        ("http://user:s3cret@127.0.0.1", "'http://…@127.0.0.1'"),
    ],
)
async def test_bad_host_option_exit_2_names_the_option(gateway_env, value, shown) -> None:
    result = await run_cli("gateway", "--host", value, env=gateway_env)
    assert result.code == 2
    assert result.stderr.startswith("--host must be an address to listen on, such as 0.0.0.0, ")
    assert f"got {shown} (just the address, without a scheme, port or path)." in result.stderr
    # The option is at fault, not the variable (which is valid here).
    assert "SMS_WEBHOOK_HOST" not in result.stderr
    assert "s3cret" not in result.output
    assert "listening" not in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("value", ["70000", "0", "-5"])
async def test_bad_port_option_exit_2_names_the_option(gateway_env, value) -> None:
    result = await run_cli("gateway", "--port", value, "--host", "127.0.0.1", env=gateway_env)
    assert result.code == 2, result.output
    assert f"--port must be a port number (1-65535), got '{value}'." in result.stderr
    assert "Traceback" not in result.output
    assert "listening" not in result.output


async def test_good_host_option_is_used(gateway_env) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hermes_sms",
        "gateway",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        env={**gateway_env, "SMS_WEBHOOK_HOST": "::1"},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    gw = GatewayProcess(process, port)
    assert f"listening on port {port}" in await gw.wait_for("listening")
    with socket.create_connection(("127.0.0.1", port), timeout=10):
        pass
    assert await gw.stop(signal.SIGTERM) == 0


async def test_bad_configuration_exit_2_lists_everything(isolated_home) -> None:
    env = base_env(isolated_home, SMS_WEBHOOK_PORT="http", TWILIO_ACCOUNT_SID="AC12")
    result = await run_cli("gateway", env=env)
    assert result.code == 2
    for text_ in ("TWILIO_ACCOUNT_SID must be", "TWILIO_AUTH_TOKEN is not set", "SMS_WEBHOOK_PORT"):
        assert text_ in result.stderr
    assert "Traceback" not in result.output


async def test_insecure_mode_warns_loudly(gateway_env) -> None:
    gw = await spawn({**gateway_env, "SMS_INSECURE_NO_SIGNATURE": "true"})
    await gw.wait_for("listening")
    line = await gw.wait_for("SMS_INSECURE_NO_SIGNATURE")
    assert "WARNING" in line and "NOT checked" in line
    await gw.stop()


@pytest.mark.parametrize(
    ("webhook_url", "warned"),
    [
        ("https://abc.trycloudflare.com", True),  # a tunnel's bare URL, pasted as it is
        ("https://example.com/sms", True),
        ("https://abc.trycloudflare.com/webhooks/twilio", False),
        ("https://example.com/base/webhooks/twilio/", False),
    ],
)
async def test_webhook_url_path_that_misses_the_route_is_a_start_warning(
    gateway_env, webhook_url: str, warned: bool
) -> None:
    gw = await spawn({**gateway_env, "SMS_WEBHOOK_URL": webhook_url})
    await gw.wait_for("listening")
    await gw.stop()  # everything said at start is in the output once it has stopped
    said = [line for line in gw.lines if "does not end in /webhooks/twilio" in line]
    assert bool(said) is warned, gw.lines


async def test_home_that_is_a_file_fails_at_start(gateway_env, tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("")
    result = await run_cli("gateway", env={**gateway_env, "HERMES_HOME": str(blocker)})
    assert result.code == 2
    assert f"HERMES_HOME {blocker} is not a directory." in result.stderr
    # Nothing `setup` could fix, and not a permissions problem either.
    assert "hermes-sms setup" not in result.stderr
    assert "writable" not in result.stderr.replace(str(blocker), "")
    assert "Traceback" not in result.output


async def test_shared_home_is_refused_untouched(gateway_env, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    result = await run_cli("gateway", env={**gateway_env, "HERMES_HOME": str(shared)})
    assert result.code == 2
    assert "shared with other users" in result.stderr
    assert "writable" not in result.stderr  # a refusal, not a permissions failure
    assert (shared.stat().st_mode & 0o7777) == 0o1777


async def test_loose_home_is_tightened_and_said(gateway_env, tmp_path: Path) -> None:
    home = tmp_path / "loose"
    home.mkdir()
    home.chmod(0o755)
    gw = await spawn({**gateway_env, "HERMES_HOME": str(home)})
    line = await gw.wait_for("tightened")
    await gw.stop()
    assert f"tightened HERMES_HOME {home} from 0755 to 0700" in line
    assert (home.stat().st_mode & 0o777) == 0o700


async def test_sigkill_after_ack_reply_arrives_exactly_once(
    gateway_env, emulator, twilio_creds, llm
) -> None:
    llm.delay = 60  # the first process never gets its answer
    first = await spawn(gateway_env)
    await first.wait_for("listening")
    result = await text(first, twilio_creds, "survive this")
    assert result.status == 200
    await first.wait_for("received")
    first.process.kill()  # SIGKILL: no shutdown code runs
    await first.process.wait()
    assert emulator.messages == []

    llm.delay = 0
    second = await spawn(gateway_env)
    await second.wait_for("listening")
    await second.wait_for("resuming work left from the last run for 1 sender")
    await emulator.wait_for_messages(1, timeout=20)
    await second.wait_for("replied to +1555***0002")
    # A repeated delivery of the same message after the restart is not answered again.
    again = await text(second, twilio_creds, "survive this", sid=result.message_sid)
    assert again.status == 200
    assert await second.stop() == 0
    assert [m["body"] for m in emulator.messages] == ["You said: survive this"]


async def test_second_gateway_on_the_same_home_is_refused_until_the_first_dies(
    gateway_env, emulator, twilio_creds, isolated_home: Path
) -> None:
    """Two gateways on one database would answer every message twice. The second one exits 2
    naming the first; once the first is gone, even by SIGKILL, a new one starts."""
    first = await spawn(gateway_env)
    await first.wait_for("listening")
    other_port = str(free_port())
    second = await run_cli("gateway", "--port", other_port, env=gateway_env)
    assert second.code == 2, second.output
    assert f"another hermes-sms gateway (pid {first.process.pid}) is already running" in (
        second.stderr
    )
    assert str(isolated_home) in second.stderr
    assert "listening" not in second.output and "Traceback" not in second.output
    # The first one is unaffected and still the only one answering.
    assert (await text(first, twilio_creds, "still one")).status == 200
    await emulator.wait_for_messages(1, timeout=20)

    first.process.kill()  # no shutdown code runs: the kernel drops the lock
    await first.process.wait()
    third = await spawn({**gateway_env, "SMS_WEBHOOK_PORT": other_port})
    await third.wait_for("listening")
    assert await third.stop() == 0
    assert [m["body"] for m in emulator.messages] == ["You said: still one"]
