"""The interactive wizard, driven through a pseudo-terminal as a person would type.

Each test runs the real CLI (`python -m hermes_sms setup`) under pexpect in a worker thread,
so the Twilio emulator and the pretend agent keep serving on the test's event loop. Every
wait is bounded by a few seconds; the whole transcript is checked for secrets at the end.
"""

from __future__ import annotations

import asyncio
import io
import stat
import sys
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest
from cli_helpers import base_env
from dotenv import dotenv_values

from hermes_sms.sandbox.fake_llm import FakeLLM

ENTER = "\r"
DOWN = "\x1b[B"
ESC = "\x1b"
CTRL_C = "\x03"
# Emacs "unix-line-discard": clears a pre-filled answer before typing a new one.
CLEAR = "\x15"
WAIT = 8  # seconds per expected output; generous for slow CI, never reached when passing

OUR = "+15550100001"
SECOND = "+15550100009"
ALICE = "+15550100002"
AGENT_KEY = "sk-wizard-agent-key-4321"


class Terminal:
    """One run of the wizard in a pseudo-terminal, with everything it printed."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.transcript = io.StringIO()
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "hermes_sms", "setup", *args],
            env=env,
            dimensions=(40, 200),
            encoding="utf-8",
            timeout=WAIT,
        )
        self.child.logfile_read = self.transcript
        # pexpect pauses 50 ms before each send for programs that are not ready to read yet;
        # `answer` waits for each prompt instead, so the pause only slows the tests down.
        self.child.delaybeforesend = None

    def expect(self, text: str) -> None:
        self.child.expect_exact(text)

    def answer(self, prompt: str, keys: str) -> None:
        """Wait for `prompt` (so the keys reach the prompt, never the echoing terminal)."""
        self.expect(prompt)
        self.child.send(keys)

    def finish(self) -> int:
        self.child.expect(pexpect.EOF)
        self.child.close()
        return int(self.child.exitstatus if self.child.exitstatus is not None else -1)

    @property
    def output(self) -> str:
        return self.transcript.getvalue()


Script = Callable[[Terminal], None]


async def run_wizard(env: dict[str, str], script: Script, *args: str) -> tuple[int, str]:
    def drive() -> tuple[int, str]:
        terminal = Terminal(env, *args)
        try:
            script(terminal)
            return terminal.finish(), terminal.output
        except pexpect.ExceptionPexpect as exc:
            terminal.child.terminate(force=True)
            raise AssertionError(f"{exc}\n--- transcript ---\n{terminal.output}") from None

    return await asyncio.to_thread(drive)


def wizard_env(home: Path, base_url: str) -> dict[str, str]:
    # No CPR: pexpect does not answer prompt_toolkit's cursor-position query.
    return base_env(home, TWILIO_API_BASE_URL=base_url, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
async def agent():
    async with FakeLLM(models=["hermes-agent"], api_key=AGENT_KEY) as fake:
        yield fake


def existing_file(home: Path, twilio_creds, agent_url: str, token: str | None = None) -> str:
    """A complete configuration as a first run would leave it, plus a user's own lines."""
    text = (
        "# my Hermes settings\n"
        "OTHER_TOOL_KEY=keep-me\n"
        f"TWILIO_ACCOUNT_SID={twilio_creds.account_sid}\n"
        f"TWILIO_AUTH_TOKEN={token or twilio_creds.auth_token}\n"
        f"TWILIO_PHONE_NUMBER={OUR}\n"
        f"SMS_ALLOWED_USERS={ALICE}\n"
        "SMS_ALLOW_ALL_USERS=false\n"
        f"SMS_HOME_CHANNEL={ALICE}\n"
        "SMS_WEBHOOK_PORT=8080\n"
        "SMS_WEBHOOK_URL=https://abc.trycloudflare.com/webhooks/twilio\n"
        f"SMS_AGENT_URL={agent_url}\n"
        "SMS_AGENT_MODEL=hermes-agent\n"
        f"SMS_AGENT_API_KEY={AGENT_KEY}\n"
    )
    home.mkdir(parents=True, exist_ok=True)
    (home / ".env").write_text(text)
    return text


async def test_first_run_from_nothing(
    isolated_home: Path, emulator_factory, twilio_creds, agent
) -> None:
    emulator = await emulator_factory(phone_numbers=(OUR, SECOND))

    def script(t: Terminal) -> None:
        t.answer("Twilio Account SID", twilio_creds.account_sid + ENTER)
        t.answer("Twilio Auth Token", twilio_creds.auth_token + ENTER)
        t.expect("Credentials work")
        # The account's numbers are offered as a list: pick the second one.
        t.expect(OUR)
        t.answer(SECOND, DOWN + ENTER)
        t.answer("Messaging Service SID", ENTER)
        t.answer("Who may text the agent?", "+1 555 010 0002, +1 555 010 0003" + ENTER)
        t.answer("Home channel", ENTER)
        t.answer("Port the gateway listens on", ENTER)
        t.expect("cloudflared tunnel --url http://localhost:8080")
        t.answer("Public https URL", "https://abc.trycloudflare.com" + ENTER)
        t.expect("Using https://abc.trycloudflare.com/webhooks/twilio")
        t.expect(f"messages to {SECOND} go to: (nothing set)")
        t.answer("point it at https://abc.trycloudflare.com/webhooks/twilio", "y")
        t.answer("Agent URL", CLEAR + agent.url + ENTER)
        t.answer("Agent model", ENTER)
        t.answer("Agent API key", AGENT_KEY + ENTER)
        t.answer("Send a test request", "y")
        t.expect("model hermes-agent is available")
        t.answer("Write these settings", "y")
        t.expect("Saved")
        t.expect(f"Twilio now sends messages to {SECOND}")

    code, output = await run_wizard(wizard_env(isolated_home, emulator.base_url), script)
    assert code == 0, output
    path = isolated_home / ".env"
    assert dotenv_values(path) == {
        "TWILIO_ACCOUNT_SID": twilio_creds.account_sid,
        "TWILIO_AUTH_TOKEN": twilio_creds.auth_token,
        "TWILIO_PHONE_NUMBER": SECOND,
        "SMS_ALLOWED_USERS": f"{ALICE},+15550100003",
        "SMS_ALLOW_ALL_USERS": "false",
        "SMS_HOME_CHANNEL": ALICE,
        "SMS_WEBHOOK_PORT": "8080",
        "SMS_WEBHOOK_URL": "https://abc.trycloudflare.com/webhooks/twilio",
        "SMS_AGENT_URL": agent.url,
        "SMS_AGENT_MODEL": "hermes-agent",
        "SMS_AGENT_API_KEY": AGENT_KEY,
    }
    assert mode(path) == 0o600 and mode(isolated_home) == 0o700
    assert not (isolated_home / ".env.bak").exists()
    assert emulator.numbers[1]["sms_url"] == "https://abc.trycloudflare.com/webhooks/twilio"
    assert emulator.numbers[0]["sms_url"] == ""
    assert "…" + twilio_creds.auth_token[-4:] in output
    assert twilio_creds.auth_token not in output and AGENT_KEY not in output


async def test_rerun_changes_one_value_and_keeps_the_rest(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    original = existing_file(isolated_home, twilio_creds, agent.url)
    (isolated_home / ".env").chmod(0o644)

    def script(t: Terminal) -> None:
        t.answer("Twilio Account SID", ENTER)
        t.answer(f"Enter keeps …{twilio_creds.auth_token[-4:]}", ENTER)
        t.expect("Credentials work")
        t.answer("Which of the account's numbers", ENTER)
        t.answer("Messaging Service SID", ENTER)
        t.answer("Who may text the agent?", ENTER)
        t.answer("Home channel", ENTER)
        t.answer("Port the gateway listens on", ENTER)
        t.answer("Public https URL", ENTER)
        t.expect(f"messages to {OUR} go to: (nothing set)")
        t.answer("point it at", "n")
        t.answer("Agent URL", ENTER)
        t.answer("Agent model", CLEAR + "bigger-model" + ENTER)
        t.answer(f"Enter keeps …{AGENT_KEY[-4:]}", ENTER)
        t.answer("Send a test request", "n")
        t.expect("changed")
        t.answer("Write these settings", ENTER)
        t.expect("The previous version is in")

    code, output = await run_wizard(wizard_env(isolated_home, emulator.base_url), script)
    assert code == 0, output
    path = isolated_home / ".env"
    assert path.read_text() == original.replace(
        "SMS_AGENT_MODEL=hermes-agent\n", "SMS_AGENT_MODEL='bigger-model'\n"
    )
    assert (isolated_home / ".env.bak").read_text() == original
    assert mode(path) == 0o600 and mode(isolated_home / ".env.bak") == 0o600
    assert f"Tightened {path} from 0644 to 0600" in output
    assert emulator.numbers[0]["sms_url"] == ""
    assert twilio_creds.auth_token not in output and AGENT_KEY not in output


async def test_wrong_token_then_right_one(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    wrong = "stale-token-" + "0" * 16 + "dead"
    existing_file(isolated_home, twilio_creds, agent.url, token=wrong)

    def script(t: Terminal) -> None:
        t.answer("Twilio Account SID", ENTER)
        t.answer("Enter keeps …dead", ENTER)
        t.expect("Twilio rejected this Account SID and Auth Token")
        t.answer("Twilio Account SID", ENTER)
        t.answer("Twilio Auth Token", twilio_creds.auth_token + ENTER)
        t.expect("Credentials work")
        # The rejected token was not offered again as "Enter keeps".
        second_ask = t.output.rsplit("Twilio rejected", 1)[1]
        assert "Enter keeps" not in second_ask
        t.answer("Which of the account's numbers", ENTER)
        t.answer("Messaging Service SID", ENTER)
        t.answer("Who may text the agent?", ENTER)
        t.answer("Home channel", ENTER)
        t.answer("Port the gateway listens on", ENTER)
        t.answer("Public https URL", ENTER)
        t.answer("point it at", "n")
        t.answer("Agent URL", ENTER)
        t.answer("Agent model", ENTER)
        t.answer("Agent API key", ENTER)
        t.answer("Send a test request", "n")
        t.answer("Write these settings", "y")
        t.expect("Saved")

    code, output = await run_wizard(wizard_env(isolated_home, emulator.base_url), script)
    assert code == 0, output
    assert dotenv_values(isolated_home / ".env")["TWILIO_AUTH_TOKEN"] == twilio_creds.auth_token
    assert dotenv_values(isolated_home / ".env.bak")["TWILIO_AUTH_TOKEN"] == wrong
    assert twilio_creds.auth_token not in output and wrong not in output


@pytest.mark.parametrize("key", [CTRL_C, ESC], ids=["ctrl-c", "esc"])
async def test_cancel_half_way_writes_nothing(
    isolated_home: Path, emulator, twilio_creds, key: str
) -> None:
    def script(t: Terminal) -> None:
        t.answer("Twilio Account SID", twilio_creds.account_sid + ENTER)
        t.answer("Twilio Auth Token", twilio_creds.auth_token + ENTER)
        t.expect("Credentials work")
        t.answer("Which of the account's numbers", ENTER)
        t.answer("Messaging Service SID", ENTER)
        t.answer("Who may text the agent?", key)
        t.expect("setup cancelled: nothing was written.")

    code, output = await run_wizard(wizard_env(isolated_home, emulator.base_url), script)
    assert code == 130, output
    assert not (isolated_home / ".env").exists()
    assert not (isolated_home / ".env.bak").exists()
    assert twilio_creds.auth_token not in output


async def test_cancel_keeps_an_existing_file_untouched(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    original = existing_file(isolated_home, twilio_creds, agent.url)

    def script(t: Terminal) -> None:
        t.answer("Twilio Account SID", ENTER)
        t.answer("Twilio Auth Token", ENTER)
        t.answer("Which of the account's numbers", ENTER)
        t.answer("Messaging Service SID", ENTER)
        t.answer("Who may text the agent?", CLEAR + "+15550100004" + ENTER)
        t.answer("Home channel", ESC)
        t.expect("setup cancelled")

    code, output = await run_wizard(wizard_env(isolated_home, emulator.base_url), script)
    assert code == 130, output
    assert (isolated_home / ".env").read_text() == original
    assert not (isolated_home / ".env.bak").exists()


async def test_unreachable_twilio_continue_and_allow_anyone(
    isolated_home: Path, twilio_creds
) -> None:
    from test_setup_checks import unused_port

    env = wizard_env(isolated_home, f"http://127.0.0.1:{unused_port()}")

    def script(t: Terminal) -> None:
        t.answer("Twilio Account SID", twilio_creds.account_sid + ENTER)
        t.answer("Twilio Auth Token", twilio_creds.auth_token + ENTER)
        t.expect("Could not check the credentials: could not reach")
        t.answer("Continue without checking", DOWN + DOWN + ENTER)
        # No list of numbers without the check: the number is typed (and normalised).
        t.answer("Twilio phone number", "+1 (555) 010-0001" + ENTER)
        t.answer("Messaging Service SID", "MG123" + ENTER)
        t.expect("Messaging Service SID must be MG followed by 32 hex characters")
        t.child.send(CLEAR + ENTER)
        t.answer("Who may text the agent?", ENTER)
        t.expect("Nobody yet (deny all")
        t.answer("Anyone who texts the number", DOWN + ENTER)
        t.expect("anyone who texts +15550100001 reaches your agent")
        t.answer("Home channel", ENTER)
        t.answer("Port the gateway listens on", ENTER)
        t.answer("Public https URL", ENTER)
        t.answer("Agent URL", ENTER)
        t.answer("Agent model", ENTER)
        t.answer("Agent API key", ENTER)
        t.answer("Send a test request", "n")
        t.answer("Write these settings", "y")
        t.expect("Saved")

    code, output = await run_wizard(env, script)
    assert code == 0, output
    assert dotenv_values(isolated_home / ".env") == {
        "TWILIO_ACCOUNT_SID": twilio_creds.account_sid,
        "TWILIO_AUTH_TOKEN": twilio_creds.auth_token,
        "TWILIO_PHONE_NUMBER": OUR,
        "SMS_ALLOW_ALL_USERS": "true",
        "SMS_WEBHOOK_PORT": "8080",
        "SMS_AGENT_URL": "http://127.0.0.1:8642/v1",
        "SMS_AGENT_MODEL": "hermes-agent",
    }
    assert twilio_creds.auth_token not in output


def test_command_module_is_cheap_to_import() -> None:
    """`hermes-sms --help` imports the setup command; the prompt and network libraries must
    wait until setup actually runs."""
    import subprocess

    heavy = ("questionary", "prompt_toolkit", "rich", "aiohttp", "dotenv")
    code = (
        f"import sys, hermes_sms.cli.app; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    assert out.stdout.strip() == "[]"


MG_SID = "MG" + "0123456789abcdef" * 2


async def test_sid_checked_while_typing_trial_busy_port_and_current_webhook(
    isolated_home: Path, emulator_factory, twilio_creds, agent
) -> None:
    """A trial account, a listed number whose webhook points elsewhere, a port in use, and
    --configure-webhook: the wizard says each, and updates the webhook without asking."""
    import socket

    emulator = await emulator_factory(account_type="Trial", phone_numbers=(OUR, SECOND))
    emulator.numbers[1]["sms_url"] = "https://old.example.net/webhooks/twilio"
    sid = twilio_creds.account_sid

    def script(t: Terminal) -> None:
        # No Enter yet: the check speaks while the SID is still being typed.
        t.answer("Twilio Account SID", sid[:6])
        t.expect("Account SID must be AC followed by 32 hex characters")
        t.child.send(sid[6:] + ENTER)
        t.answer("Twilio Auth Token", twilio_creds.auth_token + ENTER)
        t.expect("This is a trial account: it can only text numbers verified")
        t.expect(OUR)
        t.answer(SECOND, DOWN + ENTER)
        t.answer("Messaging Service SID", MG_SID + ENTER)
        t.answer("Who may text the agent?", ENTER)
        t.answer("Nobody yet (deny all", ENTER)
        t.answer("Home channel", ENTER)
        t.answer("Port the gateway listens on", CLEAR + str(busy) + ENTER)
        t.expect(f"port {busy} is in use right now")
        t.answer("Public https URL", "https://new.trycloudflare.com" + ENTER)
        t.expect(f"messages to {SECOND} go to: https://old.example.net/webhooks/twilio (POST)")
        # --configure-webhook: no question about the webhook, straight on to the agent.
        t.answer("Agent URL", CLEAR + agent.url + ENTER)
        t.answer("Agent model", ENTER)
        t.answer("Agent API key", ENTER)
        t.answer("Send a test request", "n")
        t.expect("TWILIO_MESSAGING_SERVICE_SID")
        t.answer("Write these settings", "y")
        t.expect("Saved")
        t.expect(f"Twilio now sends messages to {SECOND}")

    with socket.socket() as listener:
        listener.bind(("0.0.0.0", 0))
        listener.listen()
        busy = int(listener.getsockname()[1])
        env = wizard_env(isolated_home, emulator.base_url)
        code, output = await run_wizard(env, script, "--configure-webhook")
    assert code == 0, output
    assert "point it at" not in output
    assert dotenv_values(isolated_home / ".env") == {
        "TWILIO_ACCOUNT_SID": sid,
        "TWILIO_AUTH_TOKEN": twilio_creds.auth_token,
        "TWILIO_PHONE_NUMBER": SECOND,
        "TWILIO_MESSAGING_SERVICE_SID": MG_SID,
        "SMS_ALLOW_ALL_USERS": "false",
        "SMS_WEBHOOK_PORT": str(busy),
        "SMS_WEBHOOK_URL": "https://new.trycloudflare.com/webhooks/twilio",
        "SMS_AGENT_URL": agent.url,
        "SMS_AGENT_MODEL": "hermes-agent",
    }
    assert emulator.numbers[1]["sms_url"] == "https://new.trycloudflare.com/webhooks/twilio"
    assert emulator.numbers[1]["sms_method"] == "POST"
    assert twilio_creds.auth_token not in output


@pytest.mark.parametrize("stored", [SECOND, "+15550100077"], ids=["listed", "not-listed"])
async def test_rerun_keeps_the_stored_number_and_replaces_a_secret(
    isolated_home: Path, emulator_factory, twilio_creds, agent, stored: str
) -> None:
    """Enter at the number list keeps the stored number, even one that is not the first or
    not in the list at all; a new secret typed at "Enter keeps …" replaces the stored one
    rather than being added to it."""
    emulator = await emulator_factory(phone_numbers=(OUR, SECOND))
    original = existing_file(isolated_home, twilio_creds, agent.url)
    (isolated_home / ".env").write_text(
        original.replace(f"TWILIO_PHONE_NUMBER={OUR}", f"TWILIO_PHONE_NUMBER={stored}")
    )
    new_key = "sk-replaced-agent-key-8765"

    def script(t: Terminal) -> None:
        t.answer("Twilio Account SID", ENTER)
        t.answer("Twilio Auth Token", ENTER)
        t.answer("Which of the account's numbers", ENTER)
        if stored != SECOND:
            t.answer("Twilio phone number", ENTER)
            t.expect(f"{stored} is not one of this account's SMS numbers")
        t.answer("Messaging Service SID", ENTER)
        t.answer("Who may text the agent?", ENTER)
        t.answer("Home channel", ENTER)
        t.answer("Port the gateway listens on", ENTER)
        t.answer("Public https URL", ENTER)
        if stored == SECOND:
            t.answer("point it at", "n")
        t.answer("Agent URL", ENTER)
        t.answer("Agent model", ENTER)
        t.answer(f"Enter keeps …{AGENT_KEY[-4:]}", new_key + ENTER)
        t.answer("Send a test request", "n")
        t.answer("Write these settings", "y")
        t.expect("Saved")

    code, output = await run_wizard(wizard_env(isolated_home, emulator.base_url), script)
    assert code == 0, output
    values = dotenv_values(isolated_home / ".env")
    assert values["TWILIO_PHONE_NUMBER"] == stored
    assert values["SMS_AGENT_API_KEY"] == new_key
    assert AGENT_KEY not in output and new_key not in output


async def test_configure_webhook_with_a_number_not_in_the_account_changes_nothing(
    isolated_home: Path, emulator_factory, twilio_creds, agent
) -> None:
    """--configure-webhook and a typed number the account does not have: the update could
    only fail after saving, so the wizard says so before the summary and does not try it."""
    emulator = await emulator_factory(phone_numbers=(OUR, SECOND))
    existing_file(isolated_home, twilio_creds, agent.url)
    unlisted = "+15550100077"

    def script(t: Terminal) -> None:
        t.answer("Twilio Account SID", ENTER)
        t.answer("Twilio Auth Token", ENTER)
        t.answer("Which of the account's numbers", DOWN + DOWN + ENTER)
        t.answer("Twilio phone number", CLEAR + unlisted + ENTER)
        t.expect(f"{unlisted} is not one of this account's SMS numbers")
        t.answer("Messaging Service SID", ENTER)
        t.answer("Who may text the agent?", ENTER)
        t.answer("Home channel", ENTER)
        t.answer("Port the gateway listens on", ENTER)
        t.answer("Public https URL", CLEAR + "https://new.trycloudflare.com" + ENTER)
        t.expect(f"{unlisted} is not a number of this Twilio account; webhook not changed")
        t.answer("Agent URL", ENTER)
        t.answer("Agent model", ENTER)
        t.answer("Agent API key", ENTER)
        t.answer("Send a test request", "n")
        t.answer("Write these settings", "y")
        t.expect("Saved")

    env = wizard_env(isolated_home, emulator.base_url)
    code, output = await run_wizard(env, script, "--configure-webhook")
    assert code == 0, output
    assert dotenv_values(isolated_home / ".env")["TWILIO_PHONE_NUMBER"] == unlisted
    assert "Pointing the webhook" not in output
    assert not [
        r for r in emulator.requests if r.method == "POST" and "IncomingPhoneNumbers" in r.path
    ]
    assert all(n["sms_url"] in (None, "") for n in emulator.numbers)


async def test_non_interactive_in_a_terminal_never_prompts(
    isolated_home: Path, twilio_creds
) -> None:
    env = wizard_env(isolated_home, "http://127.0.0.1:9")
    env["TWILIO_AUTH_TOKEN"] = twilio_creds.auth_token

    def script(t: Terminal) -> None:
        t.expect("Missing required values")

    code, output = await run_wizard(env, script, "--non-interactive", "--phone-number", OUR)
    assert code == 2, output
    assert "TWILIO_ACCOUNT_SID (--account-sid)" in output
    assert "?" not in output.split("Missing required values")[0]
    assert "in a terminal" not in output
    assert not (isolated_home / ".env").exists()
    assert twilio_creds.auth_token not in output


async def test_no_at_the_last_question_writes_nothing_and_leaves_twilio_alone(
    isolated_home: Path, emulator, twilio_creds, agent
) -> None:
    original = existing_file(isolated_home, twilio_creds, agent.url)

    def script(t: Terminal) -> None:
        t.answer("Twilio Account SID", ENTER)
        t.answer("Twilio Auth Token", ENTER)
        t.answer("Which of the account's numbers", ENTER)
        t.answer("Messaging Service SID", ENTER)
        t.answer("Who may text the agent?", ENTER)
        t.answer("Home channel", ENTER)
        t.answer("Port the gateway listens on", ENTER)
        t.answer("Public https URL", ENTER)
        # Yes to the webhook, but it is only changed once the settings are written.
        t.answer("point it at", "y")
        t.answer("Agent URL", ENTER)
        t.answer("Agent model", CLEAR + "other-model" + ENTER)
        t.answer("Agent API key", ENTER)
        t.answer("Send a test request", "n")
        t.answer("Write these settings", "n")
        t.expect("setup cancelled: nothing was written.")

    code, output = await run_wizard(wizard_env(isolated_home, emulator.base_url), script)
    assert code == 130, output
    assert (isolated_home / ".env").read_text() == original
    assert not (isolated_home / ".env.bak").exists()
    assert emulator.numbers[0]["sms_url"] == ""
    assert [r for r in emulator.requests if r.method == "POST"] == []
