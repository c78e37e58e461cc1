"""Settings found unguarded by a mutation audit of `hermes_sms.config`: the defaults nobody
asserted, the edges of every number and URL, the spellings of true and false and of "off",
and the empty and padded values of the .env file."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import as_ordinary_user, base_env, run_cli, run_in_process

from hermes_sms.config import (
    DEFAULT_AGENT_MODEL,
    DEFAULT_SYSTEM_PROMPT,
    ConfigError,
    load_settings,
    read_environment,
)

SID = "AC" + "0123456789abcdef" * 2
GOOD = {
    "TWILIO_ACCOUNT_SID": SID,
    "TWILIO_AUTH_TOKEN": "secret-token-value",
    "TWILIO_PHONE_NUMBER": "+15550100001",
}


def env(home: Path, **values: str) -> dict[str, str]:
    return {"HERMES_HOME": str(home), **GOOD, **values}


def write_env(home: Path, text: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / ".env"
    path.write_text(text)
    return path


def problem_for(home: Path, name: str, value: str) -> str:
    """The one problem `name=value` causes (fails the test if it is accepted)."""
    with pytest.raises(ConfigError) as info:
        load_settings(env(home, **{name: value}))
    [problem] = info.value.problems
    assert problem.startswith(f"{name} must be "), problem
    return problem


def test_defaults_nobody_else_asserts(isolated_home: Path) -> None:
    settings = load_settings(env(isolated_home))
    assert settings.debounce_seconds == 2.0
    assert settings.max_concurrency == 8
    assert settings.insecure_no_signature is False
    agent = settings.agent
    assert agent.backend == "openai"
    assert agent.model == DEFAULT_AGENT_MODEL == "hermes-agent"
    assert agent.api_key is None
    assert agent.timeout == 120.0
    assert agent.system_prompt == DEFAULT_SYSTEM_PROMPT


def test_agent_variables_are_read(isolated_home: Path) -> None:
    settings = load_settings(
        env(
            isolated_home,
            SMS_AGENT_MODEL="llama3:8b",
            SMS_AGENT_API_KEY="sk-local",
            SMS_AGENT_SYSTEM_PROMPT="Answer like a pirate.",
            SMS_AGENT_TIMEOUT="7.5",
            SMS_DEBOUNCE_SECONDS="0",
            SMS_MAX_CONCURRENCY="3",
        )
    )
    agent = settings.agent
    assert (agent.model, agent.api_key) == ("llama3:8b", "sk-local")
    assert agent.system_prompt == "Answer like a pirate."
    assert agent.timeout == 7.5
    assert (settings.debounce_seconds, settings.max_concurrency) == (0.0, 3)


@pytest.mark.parametrize("value", ["1", "true", "True", "yes", "YES", "on", "On"])
def test_every_spelling_of_true(isolated_home: Path, value: str) -> None:
    settings = load_settings(env(isolated_home, SMS_ALLOW_ALL_USERS=value))
    assert settings.allow_all_users is True


@pytest.mark.parametrize("value", ["0", "false", "FALSE", "no", "No", "off", "OFF"])
def test_every_spelling_of_false(isolated_home: Path, value: str) -> None:
    settings = load_settings(
        env(isolated_home, SMS_ALLOW_ALL_USERS=value, SMS_INSECURE_NO_SIGNATURE=value)
    )
    assert settings.allow_all_users is False
    assert settings.insecure_no_signature is False


@pytest.mark.parametrize("port", ["1", "65535"])
def test_port_range_ends_are_accepted(isolated_home: Path, port: str) -> None:
    assert load_settings(env(isolated_home, SMS_WEBHOOK_PORT=port)).webhook_port == int(port)


@pytest.mark.parametrize("port", ["0", "65536", "-1"])
def test_ports_just_outside_the_range_are_refused(isolated_home: Path, port: str) -> None:
    assert "a port number (1-65535)" in problem_for(isolated_home, "SMS_WEBHOOK_PORT", port)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SMS_AGENT_TIMEOUT", "0"),  # "above 0": a zero timeout would fail every reply
        ("SMS_AGENT_TIMEOUT", "inf"),
        ("SMS_DEBOUNCE_SECONDS", "inf"),
        ("SMS_RATE_LIMIT", "5/0"),
        ("SMS_RATE_LIMIT", "5/inf"),
        ("SMS_AGENT_HISTORY_TURNS", "-1"),
    ],
)
def test_numbers_at_the_edge_are_refused(isolated_home: Path, name: str, value: str) -> None:
    problem_for(isolated_home, name, value)


def test_zero_seconds_is_a_valid_debounce(isolated_home: Path) -> None:
    assert load_settings(env(isolated_home, SMS_DEBOUNCE_SECONDS="0")).debounce_seconds == 0


@pytest.mark.parametrize("value", ["off", "OFF", "Off", "0", "none", "None"])
def test_every_spelling_of_no_rate_limit(isolated_home: Path, value: str) -> None:
    assert load_settings(env(isolated_home, SMS_RATE_LIMIT=value)).rate_limit is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        # A scheme and nothing to connect to.
        ("SMS_WEBHOOK_URL", "https://"),
        ("SMS_WEBHOOK_URL", "https:///webhooks/twilio"),
        ("SMS_AGENT_URL", "http:///v1"),
        # An empty query or fragment is still one: paths would be appended after the ? or #.
        ("SMS_AGENT_URL", "http://127.0.0.1:8642/v1?"),
        ("SMS_AGENT_URL", "http://127.0.0.1:8642/v1#"),
        ("TWILIO_API_BASE_URL", "http://127.0.0.1:9999?"),
        # The API version behind a proxy's own path is still the version the client adds.
        ("TWILIO_API_BASE_URL", "https://proxy.example.com/twilio/2010-04-01"),
        ("TWILIO_API_BASE_URL", "https://proxy.example.com/twilio/2010-04-01/"),
    ],
)
def test_urls_that_cannot_work_are_refused(isolated_home: Path, name: str, value: str) -> None:
    assert "an http(s) URL" in problem_for(isolated_home, name, value)


@pytest.mark.parametrize(
    "host",
    [
        "-gw.lan",
        "gw-.lan",
        "gw.-lan",
        "a" * 64 + ".lan",  # a label is at most 63 characters
        ".".join(["a" * 63] * 4),  # 255 characters: longer than any host name
    ],
)
def test_host_names_that_are_not_host_names_are_refused(isolated_home: Path, host: str) -> None:
    assert "an address to listen on" in problem_for(isolated_home, "SMS_WEBHOOK_HOST", host)


def test_longest_host_name_is_accepted(isolated_home: Path) -> None:
    host = ".".join(["a" * 63] * 3 + ["b" * 61])  # 253 characters, the limit
    assert load_settings(env(isolated_home, SMS_WEBHOOK_HOST=host)).webhook_host == host


def test_empty_values_in_the_file_count_as_not_set(isolated_home: Path) -> None:
    # As setup writes an optional value it was told to skip; not "SMS_HOME_CHANNEL is empty".
    write_env(isolated_home, "SMS_HOME_CHANNEL=\nSMS_WEBHOOK_URL=''\nSMS_AGENT_MODEL=\n")
    settings = load_settings(env(isolated_home))
    assert settings.home_channel is None
    assert settings.webhook_url is None
    assert settings.agent.model == "hermes-agent"
    assert "SMS_HOME_CHANNEL" not in read_environment(env(isolated_home))


def test_values_are_trimmed_in_the_file_and_in_the_environment(isolated_home: Path) -> None:
    write_env(isolated_home, 'SMS_HOME_CHANNEL_NAME="  Front desk  "\n')
    values = read_environment(env(isolated_home, SMS_AGENT_MODEL="  llama3  "))
    assert values["SMS_HOME_CHANNEL_NAME"] == "Front desk"
    assert values["SMS_AGENT_MODEL"] == "llama3"


@pytest.mark.parametrize(
    "content", [b'TWILIO_AUTH_TOKEN="unterminated\n', b"TWILIO_AUTH_TOKEN=\xff\n"]
)
def test_a_file_setup_cannot_repair_gets_no_setup_hint(isolated_home: Path, content: bytes) -> None:
    isolated_home.mkdir(parents=True)
    (isolated_home / ".env").write_bytes(content)
    result = run_in_process("send", "--dry-run", "hi", env=base_env(isolated_home))
    assert result.code == 2
    assert str(isolated_home / ".env") in result.stderr
    assert "hermes-sms setup" not in result.stderr


def test_home_below_a_file_says_so(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("")
    home = tmp_path / "notes.txt" / "hermes"
    with pytest.raises(ConfigError) as info:
        read_environment({"HERMES_HOME": str(home)})
    assert info.value.problems == [
        f"HERMES_HOME {home} is not a directory (part of its path is a file)."
    ]
    assert info.value.setup_can_fix is False


async def test_unreadable_home_gets_no_setup_hint(isolated_home: Path) -> None:
    write_env(isolated_home, "".join(f"{key}={value}\n" for key, value in GOOD.items()))
    isolated_home.chmod(0)
    try:
        result = await run_cli(
            "send",
            "--dry-run",
            "hi",
            env=base_env(isolated_home),
            timeout=30,
            preexec_fn=as_ordinary_user(),
        )
    finally:
        isolated_home.chmod(0o700)
    assert result.code == 2, result.output
    assert f"cannot read HERMES_HOME {isolated_home}" in result.stderr
    assert "hermes-sms setup" not in result.stderr


def test_setup_hint_names_the_file_in_use(tmp_path: Path) -> None:
    home = tmp_path / "elsewhere"
    result = run_in_process("send", "--to", "+15550100002", "hi", env=base_env(home))
    assert result.code == 2
    assert "hermes-sms setup" in result.stderr
    assert f"set the variables in {home / '.env'}." in result.stderr


def test_env_path_that_is_a_directory_is_a_configuration_error(isolated_home: Path) -> None:
    (isolated_home / ".env").mkdir(parents=True)
    result = run_in_process("send", "--dry-run", "hi", env=base_env(isolated_home))
    assert result.code == 2, result.output
    assert str(isolated_home / ".env") in result.stderr
    assert "hermes-sms setup" not in result.stderr
    assert "is not a regular file: Replace" in result.stderr
