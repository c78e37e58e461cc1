"""Configuration section: the .env file and every variable, without touching the network."""

from __future__ import annotations

import re
import stat
from collections.abc import Mapping
from pathlib import Path

from hermes_sms import messages
from hermes_sms.doctor import hints
from hermes_sms.doctor.catalog import failed, passed, skipped, warned
from hermes_sms.doctor.loading import Loaded, problem_variable
from hermes_sms.doctor.masking import mask
from hermes_sms.doctor.result import CheckResult, Status
from hermes_sms.home import env_file
from hermes_sms.phone import redact, redact_text

REQUIRED = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER")
# The variables the Twilio checks need well-formed (checked by config.required).
TWILIO_VARIABLES = (*REQUIRED, "TWILIO_MESSAGING_SERVICE_SID", "TWILIO_API_BASE_URL")
ALLOWED_VARIABLES = ("SMS_ALLOWED_USERS", "SMS_ALLOW_ALL_USERS")
HOME_CHANNEL_VARIABLES = ("SMS_HOME_CHANNEL",)
_OWN_CHECK = (*TWILIO_VARIABLES, *ALLOWED_VARIABLES, *HOME_CHANNEL_VARIABLES)
_SHOWN_NUMBERS = 5
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def check_configuration(environ: Mapping[str, str], loaded: Loaded) -> list[CheckResult]:
    path = env_file(environ)
    file_check = check_env_file(path)
    return [
        file_check,
        check_required(loaded, path),
        check_variables(loaded, path, file_failed=file_check.status is Status.FAIL),
        check_allowed_users(loaded, path),
        check_home_channel(loaded, path),
    ]


def check_env_file(path: Path) -> CheckResult:
    check = "config.env_file"
    try:
        info = path.stat()
    except FileNotFoundError:
        return warned(
            check,
            f"no .env file at {path}: settings come from the environment only",
            messages.SETUP_HINT.format(env_file=path),
        )
    except OSError as exc:
        return failed(
            check, f"cannot read {path}: {exc.strerror}", f"Check the permissions of {path.parent}."
        )
    if not stat.S_ISREG(info.st_mode):
        return failed(
            check,
            messages.ENV_NOT_A_FILE.format(path=path),
            messages.ENV_NOT_A_FILE_FIX.format(path=path),
        )
    mode = stat.S_IMODE(info.st_mode)
    try:
        path.read_bytes()  # opening is not enough: the read itself can fail
    except OSError as exc:
        return failed(
            check, f"cannot read {path}: {exc.strerror}", f"Make it readable: `chmod 600 {path}`."
        )
    if mode & 0o077:
        # It holds the auth token: anyone who can read it can send SMS on the user's bill.
        return warned(
            check,
            f"{path} is readable by other users (mode {mode:04o}); it holds the auth token",
            f"Run `chmod 600 {path}`.",
        )
    return passed(check, f"{path} (mode {mode:04o})")


def _problem_lines(loaded: Loaded, names: tuple[str, ...] | None) -> list[str]:
    lines = []
    for name, problems in loaded.problems.items():
        if names is None or name in names:
            lines.extend(problems)
    return lines


def _redact_quoted(problem: str) -> str:
    """A problem quotes the value as written ('5550100001'), and a malformed phone number is
    still someone's number: redact inside the quotes, not the examples the hint gives."""
    return _QUOTED.sub(lambda match: redact_text(match.group(0)), problem)


def _problems_result(check: str, lines: list[str], fix: str) -> CheckResult:
    lines = [_redact_quoted(line) for line in lines]
    if len(lines) == 1:
        return failed(check, lines[0].rstrip("."), fix)
    names = list(dict.fromkeys(problem_variable(line) or "?" for line in lines))
    message = f"{len(lines)} problems with {', '.join(names)}"
    return failed(check, message, fix, detail="\n".join(lines))


def check_required(loaded: Loaded, path: Path) -> CheckResult:
    check = "config.required"
    lines = _problem_lines(loaded, TWILIO_VARIABLES)
    if lines:
        bad = ", ".join(name for name in TWILIO_VARIABLES if name in loaded.problems)
        return _problems_result(
            check,
            lines,
            hints.set_variable(bad, path) + f" The values are in {hints.ACCOUNT_INFO}.",
        )
    if loaded.settings is None:
        return skipped(check, loaded.error or "the configuration could not be read")
    if loaded.settings.twilio is None:
        return failed(
            check,
            "the Twilio variables could not be read",
            messages.SETUP_HINT.format(env_file=path),
        )
    twilio = loaded.settings.twilio
    detail = (
        f"account {twilio.account_sid}, auth token {mask(twilio.auth_token)}, "
        f"number {redact(twilio.phone_number)}"
    )
    if twilio.messaging_service_sid:
        detail += f", messaging service {twilio.messaging_service_sid}"
    return passed(
        check,
        "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_PHONE_NUMBER are set",
        detail=detail,
    )


def check_variables(loaded: Loaded, path: Path, *, file_failed: bool = False) -> CheckResult:
    check = "config.variables"
    lines = [
        line
        for name, problems in loaded.problems.items()
        if name not in _OWN_CHECK
        for line in problems
    ]
    if lines:
        bad = ", ".join(name for name in loaded.problems if name not in _OWN_CHECK) or "them"
        return _problems_result(check, lines, f"Correct {bad} in {path} (or in the environment).")
    if loaded.settings is None:
        reason = loaded.error or "the configuration could not be read"
        if file_failed:
            # The .env check above already failed for this, with its fix: say it once.
            return skipped(check, reason)
        # Otherwise this is where an unusable file shows (a line it cannot parse, say).
        return failed(check, reason, f"Check {path}.")
    return passed(check, "the other SMS_* settings are well-formed")


def check_allowed_users(loaded: Loaded, path: Path) -> CheckResult:
    check = "config.allowed_users"
    lines = _problem_lines(loaded, ALLOWED_VARIABLES)
    if lines:
        return _problems_result(
            check,
            lines,
            "Write SMS_ALLOWED_USERS as comma-separated numbers with country code, e.g. "
            "+15550100002,+15550100003; SMS_ALLOW_ALL_USERS is true or false.",
        )
    settings = loaded.settings
    if settings is None:
        return skipped(check, loaded.error or "the configuration could not be read")
    if settings.allow_all_users:
        return warned(
            check,
            "SMS_ALLOW_ALL_USERS=true: anyone who texts the number reaches the agent, "
            "and every reply is paid for",
            f"Set SMS_ALLOWED_USERS to the numbers to answer and remove SMS_ALLOW_ALL_USERS "
            f"from {path}.",
        )
    if not settings.allowed_users:
        return warned(
            check,
            "nobody is allowed to chat: the gateway ignores every sender",
            hints.set_variable("SMS_ALLOWED_USERS (comma-separated E.164 numbers)", path),
        )
    shown = ", ".join(redact(n) for n in settings.allowed_users[:_SHOWN_NUMBERS])
    more = len(settings.allowed_users) - _SHOWN_NUMBERS
    if more > 0:
        shown += f" and {more} more"
    return passed(check, f"{len(settings.allowed_users)} number(s) allowed: {shown}")


def check_home_channel(loaded: Loaded, path: Path) -> CheckResult:
    check = "config.home_channel"
    lines = _problem_lines(loaded, HOME_CHANNEL_VARIABLES)
    if lines:
        return _problems_result(
            check,
            lines,
            "Write SMS_HOME_CHANNEL as one number with country code, e.g. +15550100002.",
        )
    settings = loaded.settings
    if settings is None:
        return skipped(check, loaded.error or "the configuration could not be read")
    if not settings.home_channel:
        return passed(
            check, "SMS_HOME_CHANNEL is not set (optional: `hermes-sms send` then needs --to)"
        )
    return passed(
        check, f"home channel {redact(settings.home_channel)} ({settings.home_channel_name})"
    )
