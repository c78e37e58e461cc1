"""Benchmark 1: signed inbound webhooks per second at 50 concurrent connections.

Three servers, each in its own process, take the same pre-signed forms from the same aiohttp
client (this process):

* bare: bench/serve_bare.py, an aiohttp handler that reads the form and answers empty TwiML;
* gateway: `python -m hermes_sms gateway` with its default settings (signature check, durable
  SQLite write, log line per message), echo agent. Its default SMS_DEBOUNCE_SECONDS=2 waits
  for a sender to stop typing before answering, so the replies to a burst shorter than that
  are composed after it: the window measures acknowledging, the work the target names;
* gateway, no debounce: the same with SMS_DEBOUNCE_SECONDS=0, so every message starts a turn
  at once and its reply is composed and sent to the emulator *while* the load runs, on the
  same event loop: what acknowledging costs when answering competes with it.

The Twilio emulator runs in a fourth process (bench/serve_emulator.py). Rounds rotate the
server order so drift on a shared machine does not always hit the same server; ratios are
taken within a round, then the median over rounds is reported.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

import ack_costs
import aiohttp
from common import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    BENCH_DIR,
    PYTHON,
    REQUEST_TIMEOUT,
    WEBHOOK_PATH,
    Child,
    Row,
    Section,
    SignedForm,
    cpu_seconds,
    free_port,
    gateway_environ,
    log,
    median,
    ms,
    percentile,
    senders,
    signed_batch,
    spread,
    temp_home,
    wait_until_healthy,
)

from hermes_sms.config import Settings

CONCURRENCY = 50
SENDERS = 100
MAX_SECONDS_PER_RUN = 60.0
TARGET_RATIO = 0.60

BARE, GATEWAY, IMMEDIATE = "bare", "gateway", "no-debounce"
LABELS = {
    BARE: "bare aiohttp handler",
    GATEWAY: "gateway, default settings",
    IMMEDIATE: "gateway, SMS_DEBOUNCE_SECONDS=0 (replies sent during the load)",
}


@dataclass
class LoadResult:
    completed: int
    errors: int
    elapsed: float
    latencies: list[float]
    server_cpu: float
    replies_during: int = 0

    @property
    def rps(self) -> float:
        return self.completed / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def cpu_per_ack_us(self) -> float:
        return self.server_cpu / self.completed * 1e6 if self.completed else float("nan")

    @property
    def server_utilisation(self) -> float:
        return self.server_cpu / self.elapsed if self.elapsed > 0 else 0.0


@dataclass
class Series:
    runs: list[LoadResult] = field(default_factory=list)


async def drive(
    session: aiohttp.ClientSession,
    url: str,
    forms: list[SignedForm],
    concurrency: int,
    max_seconds: float,
) -> tuple[list[float], int, float]:
    """Post every form once with `concurrency` workers; stop early at `max_seconds`.

    Returns (latencies of 200 answers, count of failures, wall time)."""
    latencies: list[float] = []
    errors = 0
    pending = iter(forms)  # shared: each form is posted exactly once
    deadline = time.perf_counter() + max_seconds

    async def worker() -> None:
        nonlocal errors
        for form in pending:
            if time.perf_counter() > deadline:
                return
            started = time.perf_counter()
            try:
                async with session.post(url, data=form.body, headers=form.headers) as resp:
                    await resp.read()
                    ok = resp.status == 200
            except (aiohttp.ClientError, TimeoutError):
                ok = False
            if ok:
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, errors, time.perf_counter() - began


async def emulator_count(session: aiohttp.ClientSession, base_url: str) -> int:
    auth = aiohttp.BasicAuth(ACCOUNT_SID, AUTH_TOKEN)
    async with session.get(f"{base_url}/bench/count", auth=auth) as resp:
        return int((await resp.json())["messages"])


async def start_server(kind: str, emulator_url: str, home: Path) -> tuple[Child, str]:
    """Start one server; returns it and its webhook URL once it answers."""
    if kind == BARE:
        child = await Child.spawn("bare server", [PYTHON, str(BENCH_DIR / "serve_bare.py")])
        try:
            port = int(await child.read_ready_line("READY"))
        except BaseException:
            await child.stop()
            raise
        return child, f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    port = free_port()
    env = gateway_environ(
        home,
        api_base_url=emulator_url,
        port=port,
        allowed=senders(SENDERS),
        # The product's default for the gateway run; gateway_environ's 0 for the other.
        SMS_DEBOUNCE_SECONDS=str(Settings.debounce_seconds) if kind == GATEWAY else "0",
    )
    # The gateway logs a line per message: a file keeps that cost real without a pipe that
    # nobody drains filling up and stalling the gateway.
    log_file = (home / "gateway.log").open("wb")
    try:
        child = await Child.spawn(
            "gateway", [PYTHON, "-m", "hermes_sms", "gateway"], env=env, stdout=log_file
        )
    finally:
        log_file.close()  # the child has its own copy of the descriptor
    try:
        await wait_until_healthy(child, f"http://127.0.0.1:{port}/health")
    except BaseException:
        await child.stop()
        raise
    return child, f"http://127.0.0.1:{port}{WEBHOOK_PATH}"


def problems_in_log(home: Path) -> list[str]:
    path = home / "gateway.log"
    if not path.exists():
        return []
    return [
        line
        for line in path.read_text(errors="replace").splitlines()
        if "Traceback" in line or "internal error" in line or "could not store" in line
    ]


async def one_run(
    kind: str, emulator_url: str, requests: int, warmup: int, session: aiohttp.ClientSession
) -> LoadResult:
    with temp_home() as home:
        child, url = await start_server(kind, emulator_url, home)
        try:
            # Signed per run: the signature covers the URL, whose port changes every start.
            forms = signed_batch(url, warmup + requests, senders(SENDERS))
            # Warm-up opens the 50 connections and runs first-request imports (the signature
            # validator is imported lazily) outside the measured window.
            await drive(session, url, forms[:warmup], CONCURRENCY, MAX_SECONDS_PER_RUN)
            replies_before = await emulator_count(session, emulator_url)
            cpu_before = cpu_seconds(child.pid)
            latencies, errors, elapsed = await drive(
                session, url, forms[warmup:], CONCURRENCY, MAX_SECONDS_PER_RUN
            )
            server_cpu = cpu_seconds(child.pid) - cpu_before
            replies = await emulator_count(session, emulator_url) - replies_before
        finally:
            await child.stop()
        for line in problems_in_log(home)[:5]:
            log(f"  gateway log: {line}")
    return LoadResult(len(latencies), errors, elapsed, latencies, server_cpu, replies)


async def run(*, rounds: int, requests: int, warmup: int) -> Section:
    section = Section("Webhook throughput")
    series = {kind: Series() for kind in (BARE, GATEWAY, IMMEDIATE)}
    ratios: dict[str, list[float]] = {GATEWAY: [], IMMEDIATE: []}
    cpu_ratios: list[float] = []
    # Its own time limit must outlast every round even on a slow day; it also stops if we die.
    emulator = await Child.spawn(
        "emulator", [PYTHON, str(BENCH_DIR / "serve_emulator.py"), "--max-seconds", "1800"]
    )
    try:
        emulator_url = await emulator.read_ready_line("READY")
        connector = aiohttp.TCPConnector(limit=CONCURRENCY)
        async with aiohttp.ClientSession(
            connector=connector, timeout=REQUEST_TIMEOUT, cookie_jar=aiohttp.DummyCookieJar()
        ) as session:
            order = [BARE, GATEWAY, IMMEDIATE]
            for index in range(rounds):
                this_round: dict[str, LoadResult] = {}
                for kind in order[index % 3 :] + order[: index % 3]:
                    result = await one_run(kind, emulator_url, requests, warmup, session)
                    this_round[kind] = result
                    series[kind].runs.append(result)
                    log(
                        f"webhook round {index + 1}/{rounds} {kind:11}: {result.rps:7.0f} acks/s"
                        f"  p50 {ms(percentile(result.latencies, 50))}"
                        f"  p99 {ms(percentile(result.latencies, 99))}"
                        f"  errors {result.errors}  server CPU {result.server_utilisation:.0%}"
                        f"  replies sent meanwhile {result.replies_during}"
                    )
                bare = this_round[BARE]
                for kind in (GATEWAY, IMMEDIATE):
                    ratios[kind].append(this_round[kind].rps / bare.rps if bare.rps else 0.0)
                # Capacity if the server were the only bottleneck: independent of whether the
                # client managed to saturate the bare server.
                cpu_ratios.append(bare.cpu_per_ack_us / this_round[GATEWAY].cpu_per_ack_us)
    finally:
        await emulator.stop()

    def pct(value: float) -> str:
        return f"{value:.0%}"

    for kind in (BARE, GATEWAY, IMMEDIATE):
        runs = series[kind].runs
        rps = [r.rps for r in runs]
        p50 = [percentile(r.latencies, 50) for r in runs]
        p99 = [percentile(r.latencies, 99) for r in runs]
        cpu = [r.cpu_per_ack_us for r in runs]
        errors = sum(r.errors for r in runs)
        label = LABELS[kind]
        section.rows.append(
            Row(
                section.title,
                f"Acks/s, {label}",
                f"{median(rps):,.0f}/s",
                spread(rps, lambda v: f"{v:,.0f}"),
            )
        )
        section.rows.append(
            Row(
                section.title,
                f"Latency p50 / p99, {label}",
                f"{ms(median(p50))} / {ms(median(p99))}",
                f"p99 {spread(p99, ms)}" if len(p99) > 1 else "",
            )
        )
        section.rows.append(
            Row(
                section.title,
                f"Server CPU per ack, {label}",
                f"{median(cpu):,.0f} µs",
                spread(cpu, lambda v: f"{v:,.0f}"),
            )
        )
        if errors:
            section.notes.append(f"{label}: {errors} request(s) failed or timed out in total.")
    gateway_ratio = median(ratios[GATEWAY])
    section.rows.append(
        Row(
            section.title,
            "Gateway / bare acks/s (same round)",
            pct(gateway_ratio),
            spread(ratios[GATEWAY], pct),
            f"≥ {TARGET_RATIO:.0%}",
            gateway_ratio >= TARGET_RATIO,
        )
    )
    immediate_ratio = median(ratios[IMMEDIATE])
    section.rows.append(
        Row(
            section.title,
            "Gateway with SMS_DEBOUNCE_SECONDS=0 / bare acks/s",
            pct(immediate_ratio),
            spread(ratios[IMMEDIATE], pct),
            f"(≥ {TARGET_RATIO:.0%})",
            immediate_ratio >= TARGET_RATIO,
        )
    )
    cpu_ratio = median(cpu_ratios)
    section.rows.append(
        Row(
            section.title,
            "Gateway / bare by server CPU per ack (bare µs ÷ gateway µs)",
            pct(cpu_ratio),
            spread(cpu_ratios, pct),
            f"(≥ {TARGET_RATIO:.0%})",
            cpu_ratio >= TARGET_RATIO,
        )
    )
    utilisation = {k: median([r.server_utilisation for r in series[k].runs]) for k in series}
    section.notes.append(
        f"{rounds} round(s) of {requests:,} measured requests after {warmup} warm-up requests, "
        f"{CONCURRENCY} keep-alive connections, {SENDERS} allowed senders, every MessageSid "
        "distinct; forms are signed before the clock starts. Median server CPU use: "
        + ", ".join(f"{LABELS[k]} {utilisation[k]:.0%}" for k in utilisation)
        + " of one core. Near 100% means the server was the bottleneck; well below it means "
        "the single-process aiohttp client was, and then the bare figure understates what a "
        "bare server can do, which flatters the acks/s ratio. The CPU-per-ack ratio does not "
        "depend on the client, so it is given beside it."
    )
    replies = {k: median([r.replies_during for r in series[k].runs]) for k in (GATEWAY, IMMEDIATE)}
    section.notes.append(
        f"Replies sent to the emulator while the {requests:,} messages were acknowledged "
        f"(median): {replies[GATEWAY]:,.0f} with the default settings, whose 2-second debounce "
        f"starts each sender's turn after the burst; {replies[IMMEDIATE]:,.0f} with "
        "SMS_DEBOUNCE_SECONDS=0, where turns start at once and share the core with the "
        "acknowledgements (several messages from one sender pending together are answered in "
        "one turn, and at most SMS_MAX_CONCURRENCY=8 turns or sends run at once). The target "
        "is judged on the default settings: they are what users run, and they measure the "
        "work the target names (signature check, durable write); the no-debounce figure shows "
        "what answering at the same time costs on one core."
    )
    section.notes.append(await _cost_note(series))
    return section


async def _cost_note(series: dict[str, Series]) -> str:
    """Where an acknowledgement's CPU goes, with each step measured in this process."""
    with temp_home() as home:
        steps = await ack_costs.measure(home)
    own = sum(step.microseconds for step in steps)
    bare_cpu = median([r.cpu_per_ack_us for r in series[BARE].runs])
    gateway_cpu = median([r.cpu_per_ack_us for r in series[GATEWAY].runs])
    bare_rps = median([r.rps for r in series[BARE].runs])
    # At 60% of the bare rate with one core fully busy, each ack may cost this much CPU.
    budget = 1e6 / (TARGET_RATIO * bare_rps) if bare_rps else float("nan")
    listed = "; ".join(f"{step.name} {step.microseconds:.1f} µs" for step in steps)
    return (
        "Where an acknowledgement's CPU goes. Each step of the gateway's own work, timed in "
        f"the bench process with the gateway's functions (bench/ack_costs.py): {listed}; "
        f"{own:.0f} µs in all. aiohttp's own handling of a request costs what the bare server "
        f"spends per ack, {bare_cpu:.0f} µs, so the required work comes to about "
        f"{bare_cpu + own:.0f} µs per ack, and the gateway measured {gateway_cpu:.0f} µs "
        "under the load (the rest: passing each form through authorisation, keywords and the "
        "group commit's wait, and the steps running slower between other work than alone). "
        f"Reaching {TARGET_RATIO:.0%} of the bare rate of {bare_rps:,.0f}/s on one fully busy "
        f"core allows {budget:.0f} µs per ack."
    )
