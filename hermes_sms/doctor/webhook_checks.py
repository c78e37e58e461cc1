"""Webhook section: can Twilio deliver a message to this gateway?

`webhook.url` judges SMS_WEBHOOK_URL as written; `webhook.port` looks at the local port;
`webhook.health` and `webhook.signature` go through the public URL, as Twilio would. The test
webhook is sent *from our own number*: the gateway ignores such messages as echoes, so no
agent runs and no SMS is sent (or paid for).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

from hermes_sms.config import Settings
from hermes_sms.doctor import hints
from hermes_sms.doctor.catalog import failed, passed, skipped, warned
from hermes_sms.doctor.config_checks import TWILIO_VARIABLES
from hermes_sms.doctor.loading import Loaded
from hermes_sms.doctor.probes import (
    HttpAnswer,
    ProbeError,
    http_request,
    probe_host,
    probe_port,
)
from hermes_sms.doctor.result import CheckResult, Status
from hermes_sms.doctor.urls import health_url, host_of, is_https, path_of, private_host_reason
from hermes_sms.gateway.instance_lock import LOCK_NAME, find_holder
from hermes_sms.gateway.paths import SERVICE_NAME, WEBHOOK_PATH
from hermes_sms.masking import display_url
from hermes_sms.ports import PortState

Emit = Callable[[CheckResult], None]

TEST_BODY = "hermes-sms doctor test (ignored: sent from the gateway's own number)"
_API_VERSION = "2010-04-01"


async def check_webhook(loaded: Loaded, timeout: float, emit: Emit, *, offline: bool) -> None:
    url_result = check_url(loaded)
    emit(url_result)
    usable = url_result.status in (Status.PASS, Status.WARN)
    # The port and the public URL are independent: probing both at once halves the worst case.
    await asyncio.gather(
        _emit_port(loaded, timeout, emit),
        check_public(loaded, timeout, emit, usable=usable, offline=offline),
    )


async def _emit_port(loaded: Loaded, timeout: float, emit: Emit) -> None:
    emit(await check_port(loaded, timeout))


def check_url(loaded: Loaded) -> CheckResult:
    check = "webhook.url"
    settings = loaded.settings
    if settings is None or "SMS_WEBHOOK_URL" in loaded.problems:
        return skipped(check, "SMS_WEBHOOK_URL is malformed (see Configuration above)")
    url = settings.webhook_url
    port = settings.webhook_port
    if not url:
        # A warning, as in the brief: the gateway runs without it (signatures are then checked
        # against each request's own URL); the doctor just cannot look further down this path.
        return warned(
            check,
            "SMS_WEBHOOK_URL is not set: the doctor cannot check the number's webhook or the "
            "public URL, and delivery status callbacks are off",
            f"Set SMS_WEBHOOK_URL in {settings.env_file} to the public https URL Twilio calls "
            f"(ending in {WEBHOOK_PATH}). " + hints.tunnel(port),
        )
    notes: list[str] = []
    fixes: list[str] = []
    unreachable = private_host_reason(host_of(url))
    if unreachable:
        notes.append(f"{unreachable}: Twilio cannot reach it")
        fixes.append(hints.tunnel(port))
    elif not is_https(url):
        notes.append("it is not https: Twilio sends message text in the clear")
        fixes.append("Use the https URL of your tunnel or reverse proxy.")
    if not path_of(url).rstrip("/").endswith(WEBHOOK_PATH):
        notes.append(f"its path does not end in {WEBHOOK_PATH}, where the gateway listens")
        fixes.append(
            f"End SMS_WEBHOOK_URL in {WEBHOOK_PATH}, unless a proxy rewrites the path to it."
        )
    shown = display_url(url)
    if notes:
        return warned(check, f"SMS_WEBHOOK_URL {shown}: " + "; ".join(notes), " ".join(fixes))
    return passed(check, f"SMS_WEBHOOK_URL is {shown}")


async def check_port(loaded: Loaded, timeout: float) -> CheckResult:
    check = "webhook.port"
    settings = loaded.settings
    if settings is None:
        return skipped(check, loaded.error or "the configuration could not be read")
    malformed = [
        name for name in ("SMS_WEBHOOK_HOST", "SMS_WEBHOOK_PORT") if name in loaded.problems
    ]
    if malformed:
        names = " and ".join(malformed)
        verb = "are" if len(malformed) > 1 else "is"
        return skipped(check, f"{names} {verb} malformed (see Configuration above)")
    host, port = settings.webhook_host, settings.webhook_port
    probe = await probe_port(host, port, timeout)
    in_use_fix = (
        f"Stop the program on port {port} (find it with `lsof -iTCP:{port} -sTCP:LISTEN`), or "
        "set SMS_WEBHOOK_PORT to a free port (and point the tunnel at the new port)."
    )
    if probe.state is PortState.FREE:
        holder = find_holder(settings.home / LOCK_NAME)
        if holder is not None:
            # Started with --port, or before SMS_WEBHOOK_PORT changed: the tunnel, pointed at
            # SMS_WEBHOOK_PORT, reaches nothing, and a second gateway would be refused.
            pid = f" (pid {holder.pid})" if holder.pid else ""
            return warned(
                check,
                f"a hermes-sms gateway{pid} is running with this HERMES_HOME, but not on port "
                f"{port} (SMS_WEBHOOK_PORT)",
                "Point the tunnel at the port it listens on (its first log line says which), "
                "or restart it without --port so that it uses SMS_WEBHOOK_PORT.",
            )
        return passed(check, f"port {port} (SMS_WEBHOOK_PORT) is free for the gateway")
    if probe.state is PortState.IN_USE:
        return failed(
            check,
            f"port {port} (SMS_WEBHOOK_PORT) is held by another program: {probe.reason}",
            in_use_fix,
        )
    if probe.state is PortState.NO_PERMISSION:
        return failed(
            check,
            f"cannot listen on port {port} (SMS_WEBHOOK_PORT): {probe.reason}",
            "Set SMS_WEBHOOK_PORT to a port above 1023, e.g. 8080 (lower ports need root).",
        )
    if probe.state is PortState.BAD_ADDRESS:
        return failed(
            check,
            f"cannot listen on {host}:{port}: {probe.reason}",
            "Set SMS_WEBHOOK_HOST to an address of this machine, or 0.0.0.0 for all of them.",
        )
    local = f"http://{_url_host(probe_host(host))}:{port}/health"
    try:
        answer = await http_request("GET", local, timeout)
    except ProbeError as exc:
        return failed(
            check,
            f"port {port} (SMS_WEBHOOK_PORT) is held by another program "
            f"(not a hermes-sms gateway: {exc.reason})",
            in_use_fix,
        )
    version = _gateway_version(answer)
    if version is not None:
        return passed(check, f"port {port} is held by a running hermes-sms gateway ({version})")
    return failed(
        check,
        f"port {port} (SMS_WEBHOOK_PORT) is held by another program "
        f"(its /health answered HTTP {answer.status}, not the hermes-sms gateway)",
        in_use_fix,
    )


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _gateway_version(answer: HttpAnswer) -> str | None:
    """The gateway's version when `answer` is a hermes-sms gateway's /health, else None."""
    data = answer.json()
    if answer.status == 200 and isinstance(data, dict) and data.get("service") == SERVICE_NAME:
        return str(data.get("version") or "unknown version")
    return None


async def check_public(
    loaded: Loaded, timeout: float, emit: Emit, *, usable: bool, offline: bool
) -> None:
    if offline:
        emit(skipped("webhook.health", "--offline"))
        emit(skipped("webhook.signature", "--offline"))
        return
    settings = loaded.settings
    if not usable or settings is None or not settings.webhook_url:
        emit(skipped("webhook.health", "SMS_WEBHOOK_URL is not usable"))
        emit(skipped("webhook.signature", "SMS_WEBHOOK_URL is not usable"))
        return
    health = await check_health(settings, timeout)
    emit(health)
    if health.status is not Status.PASS:
        emit(skipped("webhook.signature", "the public URL does not reach the gateway"))
        return
    if settings.twilio is None or not loaded.all_ok(*TWILIO_VARIABLES):
        emit(skipped("webhook.signature", "the Twilio variables are missing or wrong"))
        return
    emit(await check_signature(settings, timeout))


async def check_health(settings: Settings, timeout: float) -> CheckResult:
    check = "webhook.health"
    assert settings.webhook_url
    url = health_url(settings.webhook_url)
    shown = display_url(url)
    fix = hints.start_gateway(settings.webhook_port)
    try:
        answer = await http_request("GET", url, timeout)
    except ProbeError as exc:
        return failed(check, _no_answer(url, exc), hints.unknown_host() if exc.unresolved else fix)
    version = _gateway_version(answer)
    if version is not None:
        return passed(check, f"{shown} answers: hermes-sms gateway {version}")
    if answer.location:
        return failed(
            check,
            f"{shown} redirects (HTTP {answer.status}) to {display_url(answer.location)}",
            "Set SMS_WEBHOOK_URL to the address after the redirect: Twilio signs the URL it "
            "was given.",
        )
    return failed(
        check,
        f"{shown} answered HTTP {answer.status}, which is not the hermes-sms gateway",
        fix + " A tunnel whose gateway stopped, or that forwards to another port, answers so.",
        detail=answer.snippet() or None,
    )


def echo_webhook_form(account_sid: str, own_number: str) -> list[tuple[str, str]]:
    """An incoming-SMS webhook as Twilio posts it, from our own number to our own number."""
    sid = "SM" + uuid.uuid4().hex
    return [
        ("MessageSid", sid),
        ("SmsMessageSid", sid),
        ("SmsSid", sid),
        ("AccountSid", account_sid),
        ("From", own_number),
        ("To", own_number),
        ("Body", TEST_BODY),
        ("NumMedia", "0"),
        ("NumSegments", "1"),
        ("SmsStatus", "received"),
        ("ApiVersion", _API_VERSION),
    ]


async def check_signature(settings: Settings, timeout: float) -> CheckResult:
    from hermes_sms.twilio.signature import SIGNATURE_HEADER, compute_signature

    check = "webhook.signature"
    twilio = settings.require_twilio()
    url = settings.webhook_url
    assert url
    form = echo_webhook_form(twilio.account_sid, twilio.phone_number)
    # Signed for SMS_WEBHOOK_URL exactly, as Twilio signs the URL configured on the number.
    signature = compute_signature(twilio.auth_token, url, form)
    restart = "then restart `hermes-sms gateway` so it uses the same configuration as the doctor."
    try:
        answer = await http_request(
            "POST", url, timeout, form=form, headers={SIGNATURE_HEADER: signature}
        )
    except ProbeError as exc:
        return failed(
            check,
            "the signed test webhook failed: " + _no_answer(url, exc),
            hints.start_gateway(settings.webhook_port),
        )
    if answer.status == 200:
        if settings.insecure_no_signature:
            return warned(
                check,
                "a test webhook was accepted, but SMS_INSECURE_NO_SIGNATURE=true: anyone who "
                "finds the URL can make the agent answer",
                "Remove SMS_INSECURE_NO_SIGNATURE (it is for local development only) and "
                "restart the gateway.",
            )
        return passed(
            check,
            "a correctly signed test webhook was accepted (sent from our own number, so it "
            "was ignored: no reply, no cost)",
        )
    if answer.status == 403 and "account" in answer.text.lower():
        return failed(
            check,
            "the gateway refused the test webhook: it runs with a different TWILIO_ACCOUNT_SID",
            "Give the gateway the same TWILIO_ACCOUNT_SID as this configuration, " + restart,
        )
    if answer.status == 403:
        return failed(
            check,
            "the gateway rejected the signature (HTTP 403): the URL Twilio signs no longer "
            "matches the URL the gateway checks, or the gateway has another auth token",
            "Make SMS_WEBHOOK_URL the exact current public URL (a quick tunnel gets a new host "
            "on every restart) in the gateway's configuration and in the Twilio console "
            f"(`{hints.RUN_FIX}` updates the console), " + restart,
        )
    if answer.location:
        return failed(
            check,
            f"the webhook URL redirects (HTTP {answer.status}) to {display_url(answer.location)}",
            "Set SMS_WEBHOOK_URL to the address after the redirect: Twilio does not re-sign "
            "redirected webhooks.",
        )
    return failed(
        check,
        f"the gateway answered the test webhook with HTTP {answer.status}",
        f"Check that SMS_WEBHOOK_URL ends in {WEBHOOK_PATH} and look at the gateway's output.",
        detail=answer.snippet() or None,
    )


def _no_answer(url: str, exc: ProbeError) -> str:
    shown = display_url(url)
    if exc.timed_out:
        return f"{shown} did not answer ({exc.reason})"
    return f"cannot reach {shown}: {exc.reason}"
