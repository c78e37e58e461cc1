import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import as_ordinary_user, base_env, run_cli

from hermes_sms.config import ConfigError, RateLimit, load_settings, read_environment
from hermes_sms.home import ensure_private_dir, env_file, hermes_home

SID = "AC" + "0123456789abcdef" * 2
GOOD = {
    "TWILIO_ACCOUNT_SID": SID,
    "TWILIO_AUTH_TOKEN": "secret-token-value",
    "TWILIO_PHONE_NUMBER": "+1 555 010 0001",
}


def env(home: Path, **values: str) -> dict[str, str]:
    return {"HERMES_HOME": str(home), **values}


def write_env(home: Path, text: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / ".env"
    path.write_text(text)
    return path


def test_home_defaults_to_dot_hermes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert hermes_home({}) == tmp_path / ".hermes"
    assert env_file({"HERMES_HOME": "/x/y"}) == Path("/x/y/.env")


def test_hermes_home_from_process_environment(isolated_home: Path) -> None:
    assert hermes_home() == isolated_home
    assert os.environ["HERMES_HOME"] == str(isolated_home)


def test_loads_from_env_file(isolated_home: Path) -> None:
    write_env(
        isolated_home,
        f"# my settings\nTWILIO_ACCOUNT_SID={SID}\nTWILIO_AUTH_TOKEN='tok en'\n"
        'TWILIO_PHONE_NUMBER="+1 (555) 010-0001"\nSMS_ALLOWED_USERS=+1 555 010 0002,+15550100003\n',
    )
    settings = load_settings(env(isolated_home))
    assert settings.twilio is not None
    assert settings.twilio.account_sid == SID
    assert settings.twilio.auth_token == "tok en"
    assert settings.twilio.phone_number == "+15550100001"
    assert settings.allowed_users == ("+15550100002", "+15550100003")
    assert settings.env_file == isolated_home / ".env"


def test_environment_wins_over_file(isolated_home: Path) -> None:
    write_env(isolated_home, "SMS_WEBHOOK_PORT=9000\nSMS_HOME_CHANNEL_NAME=File\n")
    values = read_environment(env(isolated_home, SMS_WEBHOOK_PORT="9100"))
    assert values["SMS_WEBHOOK_PORT"] == "9100"
    assert values["SMS_HOME_CHANNEL_NAME"] == "File"
    settings = load_settings(env(isolated_home, SMS_WEBHOOK_PORT="9100", **GOOD))
    assert settings.webhook_port == 9100
    assert settings.home_channel_name == "File"


def test_empty_environment_value_does_not_hide_file_value(isolated_home: Path) -> None:
    write_env(isolated_home, "SMS_HOME_CHANNEL=+15550100002\n")
    settings = load_settings(env(isolated_home, SMS_HOME_CHANNEL="", **GOOD))
    assert settings.home_channel == "+15550100002"


def test_defaults(isolated_home: Path) -> None:
    settings = load_settings(env(isolated_home, **GOOD))
    assert settings.twilio is not None
    assert settings.twilio.api_base_url == "https://api.twilio.com"
    assert settings.twilio.messaging_service_sid is None
    assert (settings.webhook_host, settings.webhook_port) == ("0.0.0.0", 8080)
    assert settings.webhook_url is None
    assert settings.allowed_users == ()
    assert settings.allow_all_users is False
    assert settings.home_channel is None
    assert settings.home_channel_name == "Home"
    assert settings.encoding == "smart"
    assert settings.rate_limit == RateLimit(20, 600.0)
    assert settings.agent.url == "http://127.0.0.1:8642/v1"
    assert settings.agent.history_turns == 20


def test_optional_values_parse(isolated_home: Path) -> None:
    settings = load_settings(
        env(
            isolated_home,
            TWILIO_MESSAGING_SERVICE_SID="MG" + "ab" * 16,
            TWILIO_API_BASE_URL="http://127.0.0.1:9999/",
            SMS_WEBHOOK_URL="https://example.com/webhooks/twilio",
            SMS_ALLOW_ALL_USERS="TRUE",
            SMS_HOME_CHANNEL="+1-555-010-0009",
            SMS_ENCODING="Unicode",
            SMS_RATE_LIMIT="5/60",
            SMS_AGENT_BACKEND="echo",
            SMS_AGENT_HISTORY_TURNS="0",
            **GOOD,
        )
    )
    assert settings.twilio is not None
    assert settings.twilio.messaging_service_sid == "MG" + "ab" * 16
    assert settings.twilio.api_base_url == "http://127.0.0.1:9999"
    assert settings.webhook_url == "https://example.com/webhooks/twilio"
    assert settings.allow_all_users is True
    assert settings.home_channel == "+15550100009"
    assert settings.encoding == "unicode"
    assert settings.rate_limit == RateLimit(5, 60.0)
    assert settings.agent.backend == "echo"
    assert settings.agent.history_turns == 0
    assert load_settings(env(isolated_home, SMS_RATE_LIMIT="off", **GOOD)).rate_limit is None


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("TWILIO_ACCOUNT_SID", "AC123", "TWILIO_ACCOUNT_SID must be AC followed by 32 hex"),
        ("TWILIO_PHONE_NUMBER", "5550100001", "TWILIO_PHONE_NUMBER must be a phone number"),
        ("TWILIO_MESSAGING_SERVICE_SID", "XY12", "TWILIO_MESSAGING_SERVICE_SID must be MG"),
        ("TWILIO_API_BASE_URL", "api.twilio.com", "TWILIO_API_BASE_URL must be an http(s) URL"),
        ("SMS_WEBHOOK_PORT", "eighty", "SMS_WEBHOOK_PORT must be a port number"),
        ("SMS_WEBHOOK_PORT", "70000", "SMS_WEBHOOK_PORT must be a port number"),
        ("SMS_WEBHOOK_URL", "example.com/hook", "SMS_WEBHOOK_URL must be an http(s) URL"),
        ("SMS_WEBHOOK_HOST", "http://0.0.0.0", "SMS_WEBHOOK_HOST must be an address to listen on"),
        ("SMS_WEBHOOK_HOST", "0.0.0.0:8080", "SMS_WEBHOOK_HOST must be an address to listen on"),
        ("SMS_ALLOWED_USERS", "+15550100002,abc", "SMS_ALLOWED_USERS must be comma-separated"),
        ("SMS_ALLOW_ALL_USERS", "maybe", "SMS_ALLOW_ALL_USERS must be true or false"),
        ("SMS_HOME_CHANNEL", "0100002", "SMS_HOME_CHANNEL must be a phone number"),
        ("SMS_ENCODING", "utf-8", "SMS_ENCODING must be smart or unicode"),
        ("SMS_RATE_LIMIT", "20", "SMS_RATE_LIMIT must be COUNT/SECONDS"),
        ("SMS_RATE_LIMIT", "0/60", "SMS_RATE_LIMIT must be COUNT/SECONDS"),
        ("SMS_DEBOUNCE_SECONDS", "-1", "SMS_DEBOUNCE_SECONDS must be a number of seconds"),
        ("SMS_MAX_CONCURRENCY", "0", "SMS_MAX_CONCURRENCY must be a whole number"),
        ("SMS_AGENT_TIMEOUT", "nan", "SMS_AGENT_TIMEOUT must be a number of seconds"),
        ("SMS_AGENT_HISTORY_TURNS", "-2", "SMS_AGENT_HISTORY_TURNS must be a whole number"),
        ("SMS_AGENT_BACKEND", "gpt", "SMS_AGENT_BACKEND must be openai or echo"),
        ("SMS_INSECURE_NO_SIGNATURE", "sure", "SMS_INSECURE_NO_SIGNATURE must be true or false"),
    ],
)
def test_bad_value_names_variable_and_expectation(
    isolated_home: Path, name: str, value: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env(isolated_home, **{**GOOD, name: value}))
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith(expected)


@pytest.mark.parametrize(("value", "seconds"), [("2", 2.0), ("0.5", 0.5), (".5", 0.5), ("3.", 3.0)])
def test_plain_decimals_are_seconds(isolated_home: Path, value: str, seconds: float) -> None:
    settings = load_settings(env(isolated_home, **{**GOOD, "SMS_DEBOUNCE_SECONDS": value}))
    assert settings.debounce_seconds == seconds


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SMS_WEBHOOK_PORT", "eighty"),
        ("SMS_WEBHOOK_PORT", "8_080"),
        ("SMS_WEBHOOK_PORT", "٨٠٨٠"),  # Arabic-Indic digits: int() would take them
        ("SMS_MAX_CONCURRENCY", "four"),
        ("SMS_AGENT_HISTORY_TURNS", "1.5"),
        ("SMS_DEBOUNCE_SECONDS", "two"),
        # float() would take these: ten, a thousand, and Arabic-Indic ten.
        ("SMS_DEBOUNCE_SECONDS", "1_0"),
        ("SMS_AGENT_TIMEOUT", "1e3"),
        ("SMS_AGENT_TIMEOUT", "١٠"),
        ("SMS_RATE_LIMIT", "20/6_0"),
        ("SMS_RATE_LIMIT", "x/60"),
    ],
)
def test_non_numbers_get_the_expected_form_not_python_wording(
    isolated_home: Path, name: str, value: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env(isolated_home, **{**GOOD, name: value}))
    [problem] = info.value.problems
    assert problem.startswith(f"{name} must be ")
    assert "literal" not in problem and "could not convert" not in problem
    assert problem.endswith(f"got {value!r}.")


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        # A bad port in a URL used to pass and then fail as a network error, retried in vain.
        ("TWILIO_API_BASE_URL", "http://127.0.0.1:99999", "port must be a number from 1 to 65535"),
        ("TWILIO_API_BASE_URL", "http://127.0.0.1:abc", "port must be a number from 1 to 65535"),
        ("SMS_WEBHOOK_URL", "https://example.com:0/webhooks/twilio", "port must be a number"),
        ("SMS_AGENT_URL", "http://127.0.0.1:70000/v1", "port must be a number"),
        ("SMS_WEBHOOK_URL", "https://exa mple.com/hook", "contains a space"),
        # Paths are appended to base URLs: a query or fragment would land in the middle.
        ("TWILIO_API_BASE_URL", "http://127.0.0.1:9?x=1", "without a ?query or #fragment"),
        ("SMS_AGENT_URL", "http://127.0.0.1:8642/v1#chat", "without a ?query or #fragment"),
        ("TWILIO_API_BASE_URL", "https://api.twilio.com/2010-04-01", "without the /2010-04-01"),
    ],
)
def test_bad_url_says_what_is_wrong(
    isolated_home: Path, name: str, value: str, reason: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env(isolated_home, **{**GOOD, name: value}))
    (problem,) = info.value.problems
    assert problem.startswith(f"{name} must be an http(s) URL")
    assert reason in problem


def test_urls_with_ports_paths_and_webhook_queries_are_accepted(isolated_home: Path) -> None:
    settings = load_settings(
        env(
            isolated_home,
            TWILIO_API_BASE_URL="https://proxy.example.com:8443/twilio/",
            SMS_WEBHOOK_URL="https://example.com/webhooks/twilio?site=1",
            SMS_AGENT_URL="http://[::1]:8642/v1/",
            **GOOD,
        )
    )
    assert settings.twilio is not None
    assert settings.twilio.api_base_url == "https://proxy.example.com:8443/twilio"
    assert settings.webhook_url == "https://example.com/webhooks/twilio?site=1"
    assert settings.agent.url == "http://[::1]:8642/v1"


@pytest.mark.parametrize("host", ["0.0.0.0", "127.0.0.1", "::", "::1", "localhost", "gw.lan"])
def test_listen_hosts_are_accepted(isolated_home: Path, host: str) -> None:
    assert load_settings(env(isolated_home, SMS_WEBHOOK_HOST=host, **GOOD)).webhook_host == host


def test_all_problems_listed_at_once(isolated_home: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env(isolated_home, SMS_WEBHOOK_PORT="x", SMS_ENCODING="y"))
    text = str(info.value)
    assert "5 problems" in text
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER"):
        assert f"{name} is not set" in text
    assert "SMS_WEBHOOK_PORT" in text and "SMS_ENCODING" in text


def test_auth_token_never_in_messages_or_repr(isolated_home: Path) -> None:
    settings = load_settings(env(isolated_home, **GOOD))
    assert "secret-token-value" not in repr(settings)
    with pytest.raises(ConfigError) as info:
        load_settings(env(isolated_home, **{**GOOD, "TWILIO_ACCOUNT_SID": "bad"}))
    assert "secret-token-value" not in str(info.value)


def test_twilio_optional_when_not_required(isolated_home: Path) -> None:
    settings = load_settings(env(isolated_home, TWILIO_ACCOUNT_SID="bad"), require_twilio=False)
    assert settings.twilio is None
    # Problems outside Twilio still count.
    with pytest.raises(ConfigError):
        load_settings(env(isolated_home, SMS_ENCODING="x"), require_twilio=False)


def test_ensure_private_dir_tightens_mode(tmp_path: Path) -> None:
    target = tmp_path / "a" / "home"
    target.mkdir(parents=True, mode=0o755)
    target.chmod(0o755)
    ensure_private_dir(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    fresh = tmp_path / "fresh"
    ensure_private_dir(fresh)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700


def test_malformed_twilio_is_none_when_not_required(isolated_home: Path) -> None:
    settings = load_settings(
        env(isolated_home, **{**GOOD, "TWILIO_ACCOUNT_SID": "AC-not-hex"}), require_twilio=False
    )
    assert settings.twilio is None


def test_parse_settings_without_reading_files(tmp_path: Path) -> None:
    from hermes_sms.config import parse_settings

    write_env(tmp_path, "SMS_WEBHOOK_PORT=not-read\n")
    settings = parse_settings(
        {**GOOD, "SMS_WEBHOOK_PORT": "9001"}, home=tmp_path, env_path=tmp_path / ".env"
    )
    assert settings.webhook_port == 9001
    assert settings.env_file == tmp_path / ".env"


def test_env_file_not_utf8_is_a_config_error(isolated_home: Path) -> None:
    isolated_home.mkdir(parents=True)
    (isolated_home / ".env").write_bytes(b"TWILIO_AUTH_TOKEN=\xff\xfe\n")
    with pytest.raises(ConfigError, match=r"cannot read .*not UTF-8"):
        load_settings(env(isolated_home))


def test_values_are_read_as_written_without_interpolation(isolated_home: Path) -> None:
    write_env(isolated_home, "TWILIO_AUTH_TOKEN='x${HOME}y'\nSMS_AGENT_API_KEY=a${USER}b\n")
    values = read_environment(env(isolated_home, HOME="/root", USER="me"))
    assert values["TWILIO_AUTH_TOKEN"] == "x${HOME}y"
    assert values["SMS_AGENT_API_KEY"] == "a${USER}b"


def test_password_in_a_bad_url_is_not_echoed(isolated_home: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env(isolated_home, SMS_AGENT_URL="ftp://al:AGENTPASS@h/v1", **GOOD))
    assert "AGENTPASS" not in str(info.value)
    assert "SMS_AGENT_URL" in str(info.value)


def test_twilio_base_url_with_credentials_is_refused(isolated_home: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(
            env(isolated_home, TWILIO_API_BASE_URL="https://me:SECRETPW@proxy.example", **GOOD)
        )
    text = str(info.value)
    assert "TWILIO_API_BASE_URL must be an http(s) URL" in text
    assert "without a user name or password" in text
    assert "SECRETPW" not in text


# --- a HERMES_HOME that cannot be read, an .env that does not parse -------------------------


@pytest.fixture
def locked_home(isolated_home: Path) -> Iterator[Path]:
    """A HERMES_HOME folder with mode 000, holding a perfectly good .env."""
    write_env(isolated_home, "".join(f"{key}={value}\n" for key, value in GOOD.items()))
    isolated_home.chmod(0)
    yield isolated_home
    isolated_home.chmod(0o700)  # so pytest can remove it


COMMANDS = {
    "send": ("send", "--dry-run", "--to", "+15550100002", "hi"),
    "gateway": ("gateway",),
    "setup": ("setup", "--non-interactive", "--no-verify"),
    "demo": ("demo", "--script", "hi"),
}


@pytest.mark.parametrize("name", COMMANDS)
async def test_unreadable_home_folder_is_a_configuration_error(
    locked_home: Path, name: str
) -> None:
    env = base_env(locked_home, SMS_AGENT_BACKEND="echo", SMS_WEBHOOK_HOST="127.0.0.1")
    result = await run_cli(*COMMANDS[name], env=env, timeout=30, preexec_fn=as_ordinary_user())
    assert result.code == 2, result.output
    assert f"cannot read HERMES_HOME {locked_home}: Permission denied" in result.stderr
    assert "Traceback" not in result.output


async def test_unreadable_home_folder_is_a_failed_doctor_check(locked_home: Path) -> None:
    env = base_env(locked_home)
    result = await run_cli(
        "doctor", "--offline", env=env, timeout=30, preexec_fn=as_ordinary_user()
    )
    assert result.code == 1, result.output
    assert f"cannot read HERMES_HOME {locked_home}: Permission denied" in result.stdout
    assert "Traceback" not in result.output


def test_env_file_syntax_error_names_file_and_line(isolated_home: Path) -> None:
    path = write_env(
        isolated_home,
        f"TWILIO_ACCOUNT_SID={SID}\nTWILIO_PHONE_NUMBER=+15550100001\n"
        'TWILIO_AUTH_TOKEN="unterminated\nSMS_HOME_CHANNEL=+15550100002\n',
    )
    with pytest.raises(ConfigError) as info:
        read_environment(env(isolated_home))
    assert info.value.env_path == path
    assert info.value.problems == [
        f"{path}, line 3: not a NAME=value setting (an unclosed quote?); fix or remove it."
    ]


def test_every_line_that_does_not_parse_is_listed(isolated_home: Path) -> None:
    path = write_env(isolated_home, "A=1\nnot a setting\nB=2\nC='x\n")
    with pytest.raises(ConfigError) as info:
        read_environment(env(isolated_home))
    assert [p.split(":")[0] for p in info.value.problems] == [f"{path}, line 2", f"{path}, line 4"]


async def test_env_file_syntax_error_exits_2_without_dotenv_warning(isolated_home: Path) -> None:
    path = write_env(isolated_home, "TWILIO_ACCOUNT_SID=x\nB=2\nTWILIO_AUTH_TOKEN='abc\n")
    result = await run_cli(
        "send", "--dry-run", "--to", "+15550100002", "hi", env=base_env(isolated_home)
    )
    assert result.code == 2, result.output
    assert f"{path}, line 3: not a NAME=value setting" in result.stderr
    assert "python-dotenv" not in result.output
    assert "is not set" not in result.output


def test_home_that_is_a_file_is_a_config_error(tmp_path: Path) -> None:
    home = tmp_path / "x"
    home.write_text("")
    with pytest.raises(ConfigError) as info:
        read_environment(env(home))
    assert info.value.problems == [f"HERMES_HOME {home} is not a directory."]
