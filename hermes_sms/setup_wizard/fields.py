"""The variables the setup wizard manages: names, flags, labels, and how each is checked.

Every check reuses the rules of `hermes_sms.config` and `hermes_sms.phone`, so a value the
wizard accepts is a value the gateway accepts. A check takes a non-empty string and returns it
normalised (`+1 555 010 0001` → `+15550100001`) or raises ValueError whose text completes the
sentence "X ...", e.g. "must be AC followed by 32 hex characters". When that sentence is too
long for the wizard's one line, the error is a FieldError that also carries a short one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from hermes_sms import messages
from hermes_sms.config import (
    DEFAULT_AGENT_MODEL,
    DEFAULT_AGENT_URL,
    is_account_sid,
    is_messaging_service_sid,
    parse_base_url,
    parse_boolean,
    parse_http_url,
    parse_port,
)
from hermes_sms.gateway.paths import WEBHOOK_PATH
from hermes_sms.phone import PhoneNumberError, normalize_e164, parse_number_list

DEFAULT_PORT = 8080
# Hosts for which a plain-http webhook URL is accepted: only reachable from this machine, so
# useful with the Twilio emulator and never something Twilio itself could call.
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
# How much of a bad entry of a number list the wizard quotes: the rest of its one line is the
# fix, and the entry can be anything the user pasted.
_QUOTED_ENTRY = 13


class FieldError(ValueError):
    """A value a check refused. Its text completes "X ..." for the full sentences of the
    non-interactive run; `brief` is the whole sentence the wizard shows instead, on the one
    line questionary has under the prompt (about 70 characters, fix included)."""

    def __init__(self, reason: str, brief: str) -> None:
        super().__init__(reason)
        self.brief = brief


@dataclass(frozen=True)
class Field:
    """One variable of `$HERMES_HOME/.env` that setup asks for."""

    name: str
    flag: str
    label: str
    check: Callable[[str], str]
    required: bool = False
    secret: bool = False
    default: str | None = None


def check_account_sid(raw: str) -> str:
    value = raw.strip()
    if not is_account_sid(value):
        raise ValueError("must be AC followed by 32 hex characters")
    return value


def check_secret(raw: str) -> str:
    value = raw.strip()
    if not value:
        raise ValueError("is empty")
    if any(ch.isspace() for ch in value):
        # A token pasted with a line break or a neighbouring word would fail much later, as a
        # puzzling 20003 from Twilio; say it now. The value itself is never repeated.
        raise ValueError("must not contain spaces or line breaks")
    return value


def check_phone(raw: str) -> str:
    try:
        return normalize_e164(raw)
    except PhoneNumberError as exc:
        raise FieldError(
            f"must be a phone number in E.164 form: {exc}", _phone_brief(raw, exc)
        ) from None


def _phone_brief(text: str, error: PhoneNumberError, *, in_list: bool = False) -> str:
    """The wizard's sentence for a number `normalize_e164` refused, chosen by the rule it
    broke (its own message is written for the long form). In a list of several, the bad
    entry is named (cut short) and the fix is shorter to make room."""
    value = text.strip()
    if error.kind == PhoneNumberError.NO_COUNTRY:
        alone, entry = messages.SETUP_BRIEF_NO_COUNTRY, messages.SETUP_BRIEF_ENTRY_NO_COUNTRY
    elif error.kind == PhoneNumberError.WRONG_LENGTH:
        alone, entry = messages.SETUP_BRIEF_WRONG_DIGITS, messages.SETUP_BRIEF_ENTRY_WRONG_DIGITS
    else:
        alone, entry = messages.SETUP_BRIEF_NOT_A_NUMBER, messages.SETUP_BRIEF_ENTRY_NOT_A_NUMBER
    if not in_list:
        return alone
    if len(value) > _QUOTED_ENTRY:
        value = value[:_QUOTED_ENTRY] + "…"
    return entry.format(entry=repr(value))


def check_service_sid(raw: str) -> str:
    value = raw.strip()
    if not is_messaging_service_sid(value):
        raise ValueError("must be MG followed by 32 hex characters")
    return value


def check_number_list(raw: str) -> str:
    try:
        numbers = parse_number_list(raw)
    except PhoneNumberError as exc:
        entries = [entry for entry in raw.split(",") if entry.strip()]
        bad, error = next(
            (entry, problem) for entry in entries if (problem := _phone_problem(entry))
        )
        raise FieldError(
            f"must be comma-separated E.164 numbers: {exc}",
            _phone_brief(bad, error, in_list=len(entries) > 1),
        ) from None
    return ",".join(numbers)


def _phone_problem(entry: str) -> PhoneNumberError | None:
    try:
        normalize_e164(entry)
    except PhoneNumberError as exc:
        return exc
    return None


def check_boolean(raw: str) -> str:
    try:
        return "true" if parse_boolean(raw.strip()) else "false"
    except ValueError:
        raise ValueError("must be true or false") from None


def check_port(raw: str) -> str:
    try:
        return str(parse_port(raw.strip()))
    except ValueError:
        raise ValueError("must be a port number (1-65535)") from None


def check_webhook_url(raw: str) -> str:
    """A public https URL; a bare host gets the gateway's path, so pasting the tunnel's
    address (`https://abc.trycloudflare.com`) is enough."""
    value = raw.strip()
    try:
        parse_http_url(value)
    except ValueError:
        raise ValueError("must be a URL starting with https://") from None
    parts = urlsplit(value)
    if parts.scheme != "https" and parts.hostname not in _LOOPBACK:
        raise FieldError(
            "must start with https:// (Twilio only calls public https addresses; "
            "cloudflared and ngrok give you one)",
            messages.SETUP_BRIEF_WEBHOOK_HTTPS,
        )
    if parts.path in ("", "/"):
        parts = parts._replace(path=WEBHOOK_PATH)
    return urlunsplit(parts)


def check_agent_url(raw: str) -> str:
    # The parser the configuration uses for SMS_AGENT_URL: setup must not write a value the
    # gateway then refuses (a ?query or #fragment, for one).
    value = raw.strip()
    try:
        return parse_base_url(value)
    except ValueError as exc:
        detail = f" ({exc})" if str(exc) else ""
        raise FieldError(
            f"must be an http(s) URL, usually ending in /v1{detail}", _agent_url_brief(value)
        ) from None


def _agent_url_brief(value: str) -> str:
    """Which of `parse_base_url`'s refusals `value` met, asking in its order, as one short
    sentence: its own wording ("without a ?query or #fragment") needs the long form around it."""
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        return messages.SETUP_BRIEF_AGENT_URL_SPACE
    try:
        parts = urlsplit(value)
    except ValueError:  # an unclosed [ of an IPv6 address
        return messages.SETUP_BRIEF_AGENT_URL
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return messages.SETUP_BRIEF_AGENT_URL
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        return messages.SETUP_BRIEF_AGENT_URL_PORT
    return messages.SETUP_BRIEF_AGENT_URL_QUERY


def check_model(raw: str) -> str:
    value = raw.strip()
    if not value:
        raise ValueError("is empty")
    return value


ACCOUNT_SID = Field(
    "TWILIO_ACCOUNT_SID", "--account-sid", "Account SID", check_account_sid, required=True
)
AUTH_TOKEN = Field(
    "TWILIO_AUTH_TOKEN", "--auth-token", "Auth Token", check_secret, required=True, secret=True
)
PHONE_NUMBER = Field(
    "TWILIO_PHONE_NUMBER", "--phone-number", "Phone number", check_phone, required=True
)
MESSAGING_SERVICE_SID = Field(
    "TWILIO_MESSAGING_SERVICE_SID",
    "--messaging-service-sid",
    "Messaging Service SID",
    check_service_sid,
)
ALLOWED_USERS = Field("SMS_ALLOWED_USERS", "--allowed-users", "Allowed users", check_number_list)
ALLOW_ALL_USERS = Field(
    "SMS_ALLOW_ALL_USERS", "--allow-all-users", "Allow anyone", check_boolean, default="false"
)
HOME_CHANNEL = Field("SMS_HOME_CHANNEL", "--home-channel", "Home channel", check_phone)
WEBHOOK_PORT = Field(
    "SMS_WEBHOOK_PORT", "--port", "Webhook port", check_port, default=str(DEFAULT_PORT)
)
WEBHOOK_URL = Field("SMS_WEBHOOK_URL", "--webhook-url", "Webhook URL", check_webhook_url)
AGENT_URL = Field(
    "SMS_AGENT_URL", "--agent-url", "Agent URL", check_agent_url, default=DEFAULT_AGENT_URL
)
AGENT_MODEL = Field(
    "SMS_AGENT_MODEL", "--agent-model", "Agent model", check_model, default=DEFAULT_AGENT_MODEL
)
AGENT_API_KEY = Field(
    "SMS_AGENT_API_KEY", "--agent-api-key", "Agent API key", check_secret, secret=True
)

# In the order they are asked, shown and added to a new file.
FIELDS: tuple[Field, ...] = (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PHONE_NUMBER,
    MESSAGING_SERVICE_SID,
    ALLOWED_USERS,
    ALLOW_ALL_USERS,
    HOME_CHANNEL,
    WEBHOOK_PORT,
    WEBHOOK_URL,
    AGENT_URL,
    AGENT_MODEL,
    AGENT_API_KEY,
)
BY_NAME = {field.name: field for field in FIELDS}
