"""Run every check and gather one Report: the only entry point the CLI needs.

The network sections (Twilio, webhook, agent) run concurrently. Each request has its own
timeout, and each section a deadline on top, so the whole run ends in bounded time even when
hosts accept connections and never answer: with the defaults, the slowest path is two
requests in a row (4 s each), a section deadline of 9.5 s caps the rest, and `--fix` adds
one request: well inside the 15 s promised to users.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from hermes_sms.doctor.agent_checks import check_agent
from hermes_sms.doctor.catalog import AGENT, WEBHOOK, failed, ids_in, order, spec
from hermes_sms.doctor.config_checks import check_configuration
from hermes_sms.doctor.loading import Loaded, load
from hermes_sms.doctor.masking import scrub
from hermes_sms.doctor.result import CheckResult, Report
from hermes_sms.doctor.twilio_checks import (
    ACCOUNT_CHECKS,
    NUMBER_CHECKS,
    WebhookFix,
    apply_webhook_fix,
    check_twilio,
)
from hermes_sms.doctor.webhook_checks import check_webhook

DEFAULT_TIMEOUT = 4.0
DEFAULT_DEADLINE = 9.5

Emit = Callable[[CheckResult], None]
Section = Callable[[Emit], Awaitable[None]]
# Asked before --fix changes anything; returns True to go ahead.
Confirm = Callable[[str], bool]


@dataclass(frozen=True)
class DoctorOptions:
    offline: bool = False
    strict: bool = False
    fix: bool = False
    # Seconds for each network request, and for each section as a whole.
    timeout: float = DEFAULT_TIMEOUT
    deadline: float = DEFAULT_DEADLINE


def diagnose(
    environ: Mapping[str, str],
    options: DoctorOptions | None = None,
    confirm: Confirm | None = None,
) -> Report:
    """Run the doctor in a fresh event loop (for the CLI)."""
    return asyncio.run(run_doctor(environ, options, confirm))


async def run_doctor(
    environ: Mapping[str, str],
    options: DoctorOptions | None = None,
    confirm: Confirm | None = None,
) -> Report:
    """Every check, in display order.

    With `options.fix`, a wrong "A message comes in" URL is corrected after `confirm` agrees;
    `confirm=None` means nobody can be asked, so nothing is changed.
    """
    options = options or DoctorOptions()
    loaded = load(environ)
    results = check_configuration(environ, loaded)
    changes: list[WebhookFix] = []

    async def twilio(emit: Emit) -> None:
        change = await check_twilio(loaded, options.timeout, emit, offline=options.offline)
        if change is not None:
            changes.append(change)

    async def webhook(emit: Emit) -> None:
        await check_webhook(loaded, options.timeout, emit, offline=options.offline)

    async def agent(emit: Emit) -> None:
        await check_agent(loaded, options.timeout, emit, offline=options.offline)

    sections: list[tuple[tuple[str, ...], Section]] = [
        ((*ACCOUNT_CHECKS, *NUMBER_CHECKS), twilio),
        (ids_in(WEBHOOK), webhook),
        (ids_in(AGENT), agent),
    ]
    # Started together, so the slowest section sets the run time, not their sum.
    for found in await asyncio.gather(
        *(_bounded(ids, run, options.deadline) for ids, run in sections)
    ):
        results.extend(found)
    if options.fix and changes:
        # Only now, with every probe finished: a prompt blocks the event loop, and a probe
        # waiting on it would time out while the user reads the question.
        results = [
            await _fix(check, changes[0], loaded, options, confirm)
            if check.id == "number.webhook_url"
            else check
            for check in results
        ]
    results = [_one_line(check) for check in scrub(results, _secrets(environ, loaded))]
    results.sort(key=lambda check: order(check.id))
    return Report(tuple(results), strict=options.strict)


async def _bounded(ids: Iterable[str], run: Section, deadline: float) -> list[CheckResult]:
    """Run one section within `deadline`; its checks without a result by then fail."""
    found: list[CheckResult] = []
    try:
        async with asyncio.timeout(deadline):
            await run(found.append)
    except TimeoutError:
        pass
    seen = {check.id for check in found}
    for check in ids:
        if check not in seen:
            found.append(
                failed(
                    check,
                    f"{spec(check).title}: no result within the doctor's {deadline:g} s limit",
                    "A host accepts connections but does not answer: check the network and "
                    "the URLs above, then re-run.",
                )
            )
    return found


async def _fix(
    current: CheckResult,
    change: WebhookFix,
    loaded: Loaded,
    options: DoctorOptions,
    confirm: Confirm | None,
) -> CheckResult:
    twilio = loaded.settings.twilio if loaded.settings else None
    if twilio is None:
        return current
    if change.refused is not None:
        # Before asking: no answer makes this change safe (see twilio_checks.refusal).
        return replace(
            current,
            message="--fix refused to change the number: pointing 'A message comes in' at "
            "SMS_WEBHOOK_URL would stop messages from arriving",
            detail=_append(current.detail, f"--fix: not changed. {change.refused}."),
        )
    if confirm is None:
        note = "--fix changed nothing: there is no terminal to confirm on. Add --yes to apply it."
        return replace(current, detail=_append(current.detail, note))
    if not confirm(change.question()):
        return replace(current, detail=_append(current.detail, "--fix: not changed (declined)."))
    return await apply_webhook_fix(twilio, change, options.timeout)


def _one_line(check: CheckResult) -> CheckResult:
    """Messages are one line: text quoted from servers (Twilio's error messages, say) may not be."""
    if "\n" not in check.message and "\r" not in check.message:
        return check
    return replace(check, message=" ".join(check.message.split()))


def _append(detail: str | None, note: str) -> str:
    return f"{detail}\n{note}" if detail else note


def _secrets(environ: Mapping[str, str], loaded: Loaded) -> list[str]:
    """Every secret the output must not show: tokens, keys and passwords inside URLs."""
    found: list[str] = []
    for values in (environ, loaded.values):
        found += [values.get("TWILIO_AUTH_TOKEN", ""), values.get("SMS_AGENT_API_KEY", "")]
        for name in ("SMS_WEBHOOK_URL", "SMS_AGENT_URL", "TWILIO_API_BASE_URL"):
            try:
                password = urlsplit(values.get(name, "")).password
            except ValueError:
                password = None
            found.append(password or "")
    return [secret.strip() for secret in found if secret and secret.strip()]
