"""Settings from the process environment and `$HERMES_HOME/.env` (the environment wins).

The variable names are a contract shared with other Hermes tools: never rename one. Every
problem is collected before raising, so a user sees the whole list at once, each naming the
variable and what it expects.
"""

from __future__ import annotations

import io
import ipaddress
import os
import re
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from hermes_sms import messages
from hermes_sms.home import env_file, hermes_home
from hermes_sms.masking import display_url, has_userinfo
from hermes_sms.phone import PhoneNumberError, normalize_e164, parse_number_list

T = TypeVar("T")

DEFAULT_API_BASE_URL = "https://api.twilio.com"
DEFAULT_AGENT_URL = "http://127.0.0.1:8642/v1"
DEFAULT_AGENT_MODEL = "hermes-agent"
DEFAULT_SYSTEM_PROMPT = (
    "You are answering by SMS text message. Reply in plain text: no markdown, no tables, no "
    "code fences. Keep answers short and direct, a few sentences unless the user asks for more. "
    "Do not use emoji unless the user asks for them: they make every message cost more."
)
ENCODINGS = ("smart", "unicode")
AGENT_BACKENDS = ("openai", "echo")

# What each required variable means, for "X is not set (...)" messages.
REQUIRED_TWILIO = {
    "TWILIO_ACCOUNT_SID": "your Twilio Account SID, AC followed by 32 hex characters",
    "TWILIO_AUTH_TOKEN": "your Twilio auth token",
    "TWILIO_PHONE_NUMBER": "your Twilio phone number in E.164 form, e.g. +15550100001",
}

_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def is_account_sid(value: str) -> bool:
    """True for a Twilio Account SID: AC followed by 32 hex characters."""
    return bool(_ACCOUNT_SID.match(value))


def is_messaging_service_sid(value: str) -> bool:
    """True for a Twilio Messaging Service SID: MG followed by 32 hex characters."""
    return bool(_SERVICE_SID.match(value))


class ConfigError(Exception):
    """One or more configuration problems; `problems` lists each as a full sentence."""

    def __init__(
        self, problems: list[str], env_path: Path | None = None, *, setup_can_fix: bool = True
    ) -> None:
        self.problems = problems
        self.env_path = env_path
        # False when the folder or the file itself is unusable: setup would meet it too.
        self.setup_can_fix = setup_can_fix
        super().__init__(messages.config_problems(problems))


@dataclass(frozen=True)
class TwilioConfig:
    account_sid: str
    auth_token: str = field(repr=False)
    phone_number: str
    messaging_service_sid: str | None = None
    api_base_url: str = DEFAULT_API_BASE_URL


@dataclass(frozen=True)
class RateLimit:
    """At most `count` messages per sender within `window_seconds`."""

    count: int
    window_seconds: float


@dataclass(frozen=True)
class AgentConfig:
    backend: str = "openai"
    url: str = DEFAULT_AGENT_URL
    api_key: str | None = field(default=None, repr=False)
    model: str = DEFAULT_AGENT_MODEL
    timeout: float = 120.0
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    history_turns: int = 20


@dataclass(frozen=True)
class Settings:
    home: Path
    env_file: Path
    twilio: TwilioConfig | None
    webhook_host: str = "0.0.0.0"
    webhook_port: int = 8080
    webhook_url: str | None = None
    allowed_users: tuple[str, ...] = ()
    allow_all_users: bool = False
    home_channel: str | None = None
    home_channel_name: str = "Home"
    encoding: str = "smart"
    insecure_no_signature: bool = False
    rate_limit: RateLimit | None = RateLimit(20, 600.0)
    debounce_seconds: float = 2.0
    max_concurrency: int = 8
    agent: AgentConfig = field(default_factory=AgentConfig)

    def require_twilio(self) -> TwilioConfig:
        """The Twilio settings, for callers that were loaded with `require_twilio=True`."""
        if self.twilio is None:
            raise ConfigError(["the Twilio variables are not set"], self.env_file)
        return self.twilio


def read_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The merged configuration: `$HERMES_HOME/.env` overlaid by the process environment.

    Empty values count as unset, so `TWILIO_PHONE_NUMBER=` in the environment does not hide
    the value in the file. The process environment is never modified. A HERMES_HOME that is
    not a readable folder, or a file that is not readable text in .env syntax, is a
    ConfigError: a setting silently missing would be reported as "not set" instead.
    """
    env = dict(os.environ if environ is None else environ)
    merged: dict[str, str] = {}
    path = env_file(env)
    text = _read_env_text(hermes_home(env), path)
    if text is not None:
        for key, value in _parse_env_text(text, path).items():
            if value is not None and value.strip():
                merged[key] = value.strip()
    for key, value in env.items():
        if value.strip():
            merged[key] = value.strip()
    return merged


def _read_env_text(home: Path, path: Path) -> str | None:
    """The text of the .env file at `path` in `home`; None when there is none."""
    try:
        if not stat.S_ISDIR(home.stat().st_mode):
            raise ConfigError(
                [messages.HOME_NOT_A_DIRECTORY.format(home=home) + "."], path, setup_can_fix=False
            )
        info = path.stat()
    except FileNotFoundError:
        return None  # no folder yet, or no file in it: settings come from the environment
    except NotADirectoryError:
        # A file where a folder of the path should be ("HERMES_HOME=~/notes.txt/hermes").
        raise ConfigError(
            [messages.HOME_NOT_A_DIRECTORY.format(home=home) + " (part of its path is a file)."],
            path,
            setup_can_fix=False,
        ) from None
    except OSError as exc:
        # The folder itself: a file inside it that we cannot read fails at the read below.
        reason = exc.strerror or exc.__class__.__name__
        problem = messages.HOME_UNREADABLE.format(home=home, reason=reason) + "."
        raise ConfigError([problem], path, setup_can_fix=False) from None
    if not stat.S_ISREG(info.st_mode):
        # Skipping it would report every variable "not set" and send the user to setup, which
        # cannot write over a folder either.
        problem = f"{messages.ENV_NOT_A_FILE.format(path=path)}: " + (
            messages.ENV_NOT_A_FILE_FIX.format(path=path)
        )
        raise ConfigError([problem], path, setup_can_fix=False)
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise ConfigError([f"cannot read {path}: {reason}."], path, setup_can_fix=False) from None


def _parse_env_text(text: str, path: Path) -> dict[str, str | None]:
    """The keys of a .env file's `text`, literally (as `dotenv_values(interpolate=False)`).

    dotenv_values skips a line it cannot parse and only logs a warning that names neither the
    file nor the key, so the variable then reads as not set. Its parser reports such lines,
    and without the warning: each becomes a problem naming the file and the line.
    """
    # Imported here: python-dotenv is only needed when a file exists.
    from dotenv.parser import parse_stream

    values: dict[str, str | None] = {}
    problems = []
    # No interpolation: a token or password containing "${" must be read as written.
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            problems.append(
                messages.ENV_FILE_SYNTAX.format(path=path, line=binding.original.line) + "."
            )
        elif binding.key is not None:
            values[binding.key] = binding.value
    if problems:
        raise ConfigError(problems, path, setup_can_fix=False)
    return values


class _Reader:
    """Parses variables one by one, collecting problems instead of stopping at the first."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values
        self.problems: list[str] = []

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def parse(self, name: str, default: T, convert: Callable[[str], T], expected: str) -> T:
        raw = self.values.get(name)
        if raw is None:
            return default
        try:
            return convert(raw)
        except ValueError as exc:
            self.problems.append(bad_value(name, raw, expected, exc))
            return default

    def number(self, name: str) -> str | None:
        raw = self.values.get(name)
        if raw is None:
            return None
        try:
            return normalize_e164(raw)
        except PhoneNumberError as exc:
            self.problems.append(f"{name} must be a phone number in E.164 form: {exc}.")
            return None


def bad_value(name: str, raw: str, expected: str, error: ValueError) -> str:
    """The sentence for a value that does not parse: what `name` must be, what it got, and
    why when the parser said (a variable here, a command-line option in the CLI)."""
    detail = f" ({error})" if str(error) else ""
    # display_url: a password inside a URL must not reach the terminal.
    return f"{name} must be {expected}, got {display_url(raw)!r}{detail}."


def parse_boolean(raw: str) -> bool:
    """true/yes/on/1 or false/no/off/0, any case; else ValueError."""
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("")


def _whole_number(raw: str) -> int:
    # int() would also take "8_080" and non-ASCII digits, and its error message is Python's
    # wording ("invalid literal for int()"): the expected form already says what is wanted.
    text = raw.strip()
    if not (text.isascii() and text.removeprefix("-").isdigit()):
        raise ValueError("")
    return int(text)


# Plain decimals only, as a person writes seconds: float() would also take "1_0" (ten),
# "1e3", "nan" and non-ASCII digits, none of which anyone means in a .env file.
_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def _decimal(raw: str) -> float:
    text = raw.strip()
    if not _DECIMAL.fullmatch(text):
        raise ValueError("")
    return float(text)


PORT_EXPECTED = "a port number (1-65535)"


def parse_port(raw: str) -> int:
    """A TCP port number, 1 to 65535; else ValueError."""
    port = _whole_number(raw)
    if not 1 <= port <= 65535:
        raise ValueError("")
    return port


def _positive_int(raw: str) -> int:
    value = _whole_number(raw)
    if value < 1:
        raise ValueError("")
    return value


def _non_negative_int(raw: str) -> int:
    value = _whole_number(raw)
    if value < 0:
        raise ValueError("")
    return value


def _non_negative_float(raw: str) -> float:
    value = _decimal(raw)
    if not value >= 0 or value == float("inf"):
        raise ValueError("")
    return value


def _positive_float(raw: str) -> float:
    value = _non_negative_float(raw)
    if value == 0:
        raise ValueError("")
    return value


def parse_http_url(raw: str) -> str:
    """`raw` when it is an http(s) URL with a host (and a valid port, if one is given);
    else ValueError, whose message, when not empty, says what is wrong."""
    if any(ch.isspace() or not ch.isprintable() for ch in raw):
        raise ValueError("it contains a space or a control character")
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("")
    # urlsplit only checks the port when asked: "host:99999" or "host:abc" would otherwise
    # pass here and fail later as a network error that is retried in vain.
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError("the port must be a number from 1 to 65535")
    return raw


def parse_base_url(raw: str) -> str:
    """An http(s) URL that paths are appended to (SMS_AGENT_URL), without its trailing /;
    else ValueError, as `parse_http_url`, or because it has a ?query or #fragment."""
    # Paths are appended to a base URL, so a query or fragment would end up in the middle.
    parts = urlsplit(parse_http_url(raw))
    if parts.query or parts.fragment or raw.endswith(("?", "#")):
        raise ValueError("without a ?query or #fragment")
    return raw.rstrip("/")


# A host name (RFC 1123 labels) or an IPv4/IPv6 address: what a server can listen on.
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


LISTEN_HOST_EXPECTED = "an address to listen on, such as 0.0.0.0, 127.0.0.1 or ::"


def parse_listen_host(raw: str) -> str:
    """An address or host name to listen on (`0.0.0.0`, `127.0.0.1`, `::`, `localhost`);
    else ValueError (a URL or a `host:port` is the usual mistake)."""
    try:
        ipaddress.ip_address(raw)
        return raw
    except ValueError:
        pass
    labels = raw.removesuffix(".").split(".")
    if len(raw) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        raise ValueError("just the address, without a scheme, port or path")
    return raw


def _twilio_base_url(raw: str) -> str:
    # Twilio is reached with the Account SID and token; a user:password@ in the URL would
    # clash with that (and is a secret sitting in a URL).
    if has_userinfo(raw):
        raise ValueError("without a user name or password in it")
    base = parse_base_url(raw)
    if urlsplit(base).path.rstrip("/").endswith("/2010-04-01"):
        # Copied from Twilio's docs: the client adds the API version to every path itself.
        raise ValueError("without the /2010-04-01 API version, which is added to every request")
    return base


def _rate_limit(raw: str) -> RateLimit | None:
    if raw.lower() in ("0", "off", "none"):
        return None
    count, sep, window = raw.partition("/")
    if not sep:
        raise ValueError("")
    return RateLimit(_positive_int(count.strip()), _positive_float(window.strip()))


def _choice(options: Iterable[str]) -> Callable[[str], str]:
    allowed = tuple(options)

    def convert(raw: str) -> str:
        if raw.lower() not in allowed:
            raise ValueError("")
        return raw.lower()

    return convert


def _twilio(reader: _Reader, require: bool) -> TwilioConfig | None:
    before = len(reader.problems)
    missing = [name for name in REQUIRED_TWILIO if reader.get(name) is None]
    sid = reader.get("TWILIO_ACCOUNT_SID")
    if sid is not None and not is_account_sid(sid):
        reader.problems.append(
            f"TWILIO_ACCOUNT_SID must be AC followed by 32 hex characters, got {sid!r}."
        )
    number = reader.number("TWILIO_PHONE_NUMBER")
    service = reader.get("TWILIO_MESSAGING_SERVICE_SID")
    if service is not None and not is_messaging_service_sid(service):
        reader.problems.append(
            "TWILIO_MESSAGING_SERVICE_SID must be MG followed by 32 hex characters, "
            f"got {service!r}."
        )
    base_url = reader.parse(
        "TWILIO_API_BASE_URL", DEFAULT_API_BASE_URL, _twilio_base_url, "an http(s) URL"
    )
    if not require:
        # `send --dry-run` needs no credentials: Twilio problems only matter when we talk to it,
        # but a half-valid Twilio configuration is no configuration at all.
        unusable = bool(missing) or len(reader.problems) > before
        del reader.problems[before:]
        if unusable:
            return None
    for name in missing:
        reader.problems.append(
            messages.MISSING_VARIABLE.format(name=name, meaning=REQUIRED_TWILIO[name])
        )
    if len(reader.problems) > before:
        return None
    assert sid is not None and number is not None
    return TwilioConfig(
        account_sid=sid,
        auth_token=reader.get("TWILIO_AUTH_TOKEN") or "",
        phone_number=number,
        messaging_service_sid=service,
        api_base_url=base_url,
    )


def _agent(reader: _Reader) -> AgentConfig:
    default = AgentConfig()
    return AgentConfig(
        backend=reader.parse(
            "SMS_AGENT_BACKEND", default.backend, _choice(AGENT_BACKENDS), "openai or echo"
        ),
        url=reader.parse(
            "SMS_AGENT_URL", default.url, parse_base_url, "an http(s) URL ending in /v1"
        ),
        api_key=reader.get("SMS_AGENT_API_KEY"),
        model=reader.get("SMS_AGENT_MODEL") or default.model,
        timeout=reader.parse(
            "SMS_AGENT_TIMEOUT", default.timeout, _positive_float, "a number of seconds above 0"
        ),
        system_prompt=reader.get("SMS_AGENT_SYSTEM_PROMPT") or default.system_prompt,
        history_turns=reader.parse(
            "SMS_AGENT_HISTORY_TURNS",
            default.history_turns,
            _non_negative_int,
            "a whole number, 0 or more",
        ),
    )


def load_settings(
    environ: Mapping[str, str] | None = None, *, require_twilio: bool = True
) -> Settings:
    """Load and validate every setting; raise ConfigError listing all problems.

    With `require_twilio=False` missing or malformed Twilio variables leave `twilio` as None
    instead of failing (for offline commands such as `send --dry-run`).
    """
    env = dict(os.environ if environ is None else environ)
    return parse_settings(
        read_environment(env),
        home=hermes_home(env),
        env_path=env_file(env),
        require_twilio=require_twilio,
    )


def parse_settings(
    values: Mapping[str, str], *, home: Path, env_path: Path, require_twilio: bool = True
) -> Settings:
    """Validate already merged values (see `read_environment`); raise ConfigError listing all
    problems. `home` and `env_path` are recorded in the result and named in messages."""
    reader = _Reader(values)
    twilio = _twilio(reader, require_twilio)
    allowed: tuple[str, ...] = ()
    raw_allowed = reader.get("SMS_ALLOWED_USERS")
    if raw_allowed is not None:
        try:
            allowed = tuple(parse_number_list(raw_allowed))
        except PhoneNumberError as exc:
            reader.problems.append(
                f"SMS_ALLOWED_USERS must be comma-separated E.164 numbers: {exc}."
            )
    settings = Settings(
        home=home,
        env_file=env_path,
        twilio=twilio,
        webhook_host=reader.parse(
            "SMS_WEBHOOK_HOST",
            "0.0.0.0",
            parse_listen_host,
            LISTEN_HOST_EXPECTED,
        ),
        webhook_port=reader.parse("SMS_WEBHOOK_PORT", 8080, parse_port, PORT_EXPECTED),
        webhook_url=reader.parse("SMS_WEBHOOK_URL", None, parse_http_url, "an http(s) URL"),
        allowed_users=allowed,
        allow_all_users=reader.parse("SMS_ALLOW_ALL_USERS", False, parse_boolean, "true or false"),
        home_channel=reader.number("SMS_HOME_CHANNEL"),
        home_channel_name=reader.get("SMS_HOME_CHANNEL_NAME") or "Home",
        encoding=reader.parse("SMS_ENCODING", "smart", _choice(ENCODINGS), "smart or unicode"),
        insecure_no_signature=reader.parse(
            "SMS_INSECURE_NO_SIGNATURE", False, parse_boolean, "true or false"
        ),
        rate_limit=reader.parse(
            "SMS_RATE_LIMIT",
            RateLimit(20, 600.0),
            _rate_limit,
            "COUNT/SECONDS such as 20/600, or off",
        ),
        debounce_seconds=reader.parse(
            "SMS_DEBOUNCE_SECONDS", 2.0, _non_negative_float, "a number of seconds, 0 or more"
        ),
        max_concurrency=reader.parse(
            "SMS_MAX_CONCURRENCY", 8, _positive_int, "a whole number, 1 or more"
        ),
        agent=_agent(reader),
    )
    if reader.problems:
        raise ConfigError(reader.problems, settings.env_file)
    return settings
