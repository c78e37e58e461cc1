"""`hermes-sms doctor` as a command: output, JSON schema, exit codes, secrets, subprocess."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_doctor_support import (
    ALICE,
    OUR_NUMBER,
    environ_for,
    free_port,
    no_secret_in,
    run_cli,
    silent_server,
    subprocess_env,
    write_env_file,
)

from hermes_sms.doctor.catalog import CHECKS, SECTIONS
from hermes_sms.sandbox import TwilioEmulator

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "cli-test-auth-token-00000000" + "9f3a"
STATUSES = {"pass", "warn", "fail", "skip"}
ANSI = re.compile(r"\x1b\[")


def offline_environ(home: Path, **values: str) -> dict[str, str]:
    """A clean configuration; with --offline its only warning is the loopback webhook URL."""
    return {
        "HERMES_HOME": str(home),
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_PHONE_NUMBER": OUR_NUMBER,
        "SMS_ALLOWED_USERS": ALICE,
        "SMS_WEBHOOK_URL": f"http://127.0.0.1:{free_port()}/webhooks/twilio",
        "SMS_WEBHOOK_PORT": str(free_port()),
        "SMS_AGENT_BACKEND": "echo",
        **values,
    }


def test_json_schema_is_stable(isolated_home: Path) -> None:
    write_env_file(isolated_home, {"TWILIO_AUTH_TOKEN": TOKEN})
    run = run_cli(["doctor", "--offline", "--json"], offline_environ(isolated_home), color=True)
    assert not ANSI.search(run.stdout)
    document = run.json()
    assert set(document) == {"version", "ok", "checks"}
    assert document["version"] == 1
    assert isinstance(document["ok"], bool)
    for check in document["checks"]:
        assert set(check) == {"id", "section", "status", "message", "detail", "fix"}
        assert check["status"] in STATUSES
        assert check["section"] in SECTIONS
        assert isinstance(check["message"], str) and check["message"]
        assert check["detail"] is None or isinstance(check["detail"], str)
        assert check["fix"] is None or isinstance(check["fix"], str)
        if check["status"] in ("warn", "fail"):
            assert check["fix"], check
    # Every catalogued check, once, in catalogue order.
    assert [c["id"] for c in document["checks"]] == [spec.id for spec in CHECKS]


def test_text_output_groups_sections_with_marks_and_summary(isolated_home: Path) -> None:
    environ = offline_environ(isolated_home, SMS_ALLOWED_USERS="")
    run = run_cli(["doctor", "--offline"], environ)
    assert run.code == 0
    lines = run.stdout.splitlines()
    headers = [line for line in lines if line in SECTIONS]
    assert headers == list(SECTIONS)
    assert "  ⚠ nobody is allowed to chat: the gateway ignores every sender" in lines
    assert any(line.startswith("    → fix: Set SMS_ALLOWED_USERS") for line in lines)
    assert any(line.startswith("  – credentials not checked: --offline") for line in lines)
    assert any(line.startswith("  ✓ ") for line in lines)
    assert re.fullmatch(r"\d+ passed, 3 warnings, 0 failed, 9 skipped", lines[-1])


def test_failure_mark_and_exit_code(isolated_home: Path) -> None:
    run = run_cli(["doctor", "--offline"], offline_environ(isolated_home, SMS_HOME_CHANNEL="12"))
    assert run.code == 1
    assert "  ✗ SMS_HOME_CHANNEL" in run.stdout
    assert ", 1 failed" in run.stdout


def test_unset_webhook_url_is_a_warning_only(isolated_home: Path) -> None:
    run = run_cli(["doctor", "--offline"], offline_environ(isolated_home, SMS_WEBHOOK_URL=""))
    assert run.code == 0, run.stdout
    assert "  ⚠ SMS_WEBHOOK_URL is not set" in run.stdout


def test_strict_turns_warnings_into_failure(isolated_home: Path) -> None:
    environ = offline_environ(isolated_home)
    relaxed = run_cli(["doctor", "--offline", "--json"], environ)
    assert relaxed.code == 0 and relaxed.json()["ok"] is True
    assert [c["id"] for c in relaxed.json()["checks"] if c["status"] == "warn"] == [
        "config.env_file",
        "webhook.url",
    ]
    strict = run_cli(["doctor", "--offline", "--strict", "--json"], environ)
    assert strict.code == 1 and strict.json()["ok"] is False


def test_strict_passes_without_warnings(isolated_home: Path) -> None:
    # A public https URL (never contacted: --offline) and a private .env leave nothing to warn.
    environ = offline_environ(
        isolated_home, SMS_WEBHOOK_URL="https://sms.example.com/webhooks/twilio"
    )
    write_env_file(isolated_home, {k: v for k, v in environ.items() if k != "HERMES_HOME"})
    run = run_cli(["doctor", "--offline", "--strict"], {"HERMES_HOME": str(isolated_home)})
    assert run.code == 0, run.stdout
    assert "0 warnings, 0 failed" in run.stdout


def test_secrets_never_printed(isolated_home: Path) -> None:
    key = "sk-agent-key-" + "7" * 20
    environ = offline_environ(
        isolated_home,
        SMS_AGENT_API_KEY=key,
        SMS_WEBHOOK_URL="https://user:hunter2-password@sms.example.com/webhooks/twilio",
        SMS_RATE_LIMIT=TOKEN,  # a malformed value that would be quoted back in the problem
    )
    for argv in (["doctor", "--offline"], ["doctor", "--offline", "--json"]):
        run = run_cli(argv, environ)
        output = run.stdout + run.stderr
        assert no_secret_in(output, TOKEN, key, "hunter2-password"), output
    assert "…9f3a" in run_cli(["doctor", "--offline", "--json"], environ).stdout


def test_usage_errors(isolated_home: Path) -> None:
    environ = offline_environ(isolated_home)
    yes_alone = run_cli(["doctor", "--yes"], environ)
    assert yes_alone.code == 2 and "--fix" in yes_alone.stderr
    offline_fix = run_cli(["doctor", "--fix", "--offline"], environ)
    assert offline_fix.code == 2 and "--offline" in offline_fix.stderr
    unknown = run_cli(["doctor", "--frobnicate"], environ)
    assert unknown.code == 2


def test_help_lists_doctor(isolated_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Click prints help on the real stdout, not through the injected Environment.
    assert run_cli(["--help"], {"HERMES_HOME": str(isolated_home)}).code == 0
    assert "doctor" in capsys.readouterr().out
    assert run_cli(["doctor", "--help"], {"HERMES_HOME": str(isolated_home)}).code == 0
    text = capsys.readouterr().out
    for option in ("--json", "--offline", "--strict", "--fix", "--yes"):
        assert option in text


def test_cli_module_imports_no_network_library() -> None:
    code = (
        "import sys, hermes_sms.cli.doctor; "
        "print(sorted(m for m in ('aiohttp', 'twilio', 'hermes_sms.doctor.runner') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    assert out.stdout.strip() == "[]"


async def test_real_command_in_a_subprocess(isolated_home: Path, emulator: TwilioEmulator) -> None:
    environ = environ_for(
        isolated_home,
        account_sid=emulator.account_sid,
        auth_token=emulator.auth_token,
        api_base_url=emulator.base_url,
        SMS_WEBHOOK_URL=f"http://127.0.0.1:{free_port()}/webhooks/twilio",
    )
    write_env_file(isolated_home, {k: v for k, v in environ.items() if k != "HERMES_HOME"})
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hermes_sms",
        "doctor",
        "--json",
        env=subprocess_env({"HERMES_HOME": str(isolated_home)}),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=20)
    document = json.loads(stdout)
    checks = {check["id"]: check for check in document["checks"]}
    assert checks["twilio.credentials"]["status"] == "pass"
    assert checks["number.webhook_url"]["status"] == "fail"  # the emulator's number has none
    assert checks["webhook.health"]["status"] == "fail"  # no gateway is running
    assert proc.returncode == 1 and document["ok"] is False
    assert no_secret_in(stdout.decode() + stderr.decode(), emulator.auth_token)


async def test_silent_hosts_with_default_timeouts_finish_within_15_s(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    # The user-facing promise, measured on the real command with its real defaults: Twilio
    # answers the account but never the number lookup, and the webhook URL and the agent
    # accept connections and never answer.
    emulator.inject_fault(None, latency=60, path_contains="/IncomingPhoneNumbers")
    async with silent_server() as port:
        environ = environ_for(
            isolated_home,
            account_sid=emulator.account_sid,
            auth_token=emulator.auth_token,
            api_base_url=emulator.base_url,
            SMS_WEBHOOK_URL=f"http://127.0.0.1:{port}/webhooks/twilio",
            SMS_AGENT_BACKEND="openai",
            SMS_AGENT_URL=f"http://127.0.0.1:{port}/v1",
        )
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "hermes_sms",
            "doctor",
            "--json",
            env=subprocess_env(environ),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, _ = await asyncio.wait_for(proc.communicate(), timeout=30)
        elapsed = time.monotonic() - started
    assert elapsed < 15
    checks = {check["id"]: check for check in json.loads(stdout)["checks"]}
    assert checks["twilio.credentials"]["status"] == "pass"
    for check_id in ("number.owned", "webhook.health", "agent.reachable"):
        assert checks[check_id]["status"] == "fail", checks[check_id]
