"""Shared pieces of the benchmarks: statistics, result rows, child processes, signed forms.

Everything here is loopback-only and bounded: children are stopped in `finally` blocks (and
the bench's own servers also stop by themselves when the parent disappears), and every load
loop has both a request budget and a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import platform
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlencode

import aiohttp

from hermes_sms.twilio.signature import SIGNATURE_HEADER, compute_signature

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
PYTHON = sys.executable

# Fixed fake credentials: the emulator and the gateway only need to agree with each other.
ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
OUR_NUMBER = "+15550100001"
FORM_TYPE = "application/x-www-form-urlencoded"
WEBHOOK_PATH = "/webhooks/twilio"

# What people text an assistant; rotated so bodies (and their form sizes) vary like real traffic.
USER_TEXTS = (
    "What's the capital of Peru?",
    "how long do i boil an egg for a runny yolk",
    "Remind me what the Pythagorean theorem says",
    "Translate 'where is the train station' into German",
    "Is it safe to eat rice left out overnight?",
    "what time zone is Tokyo in",
    "Give me 3 ideas for a 10 minute dinner",
    "Convert 72 F to C",
    "Who wrote One Hundred Years of Solitude?",
    "ok thanks!",
    "Explain what an API is in two sentences",
    "What's a good stretch for lower back pain?",
)


def log(message: str) -> None:
    """Progress goes to stderr so stdout carries only the final table."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# -- statistics ------------------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear-interpolated percentile (pct in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


@dataclass
class Row:
    """One line of the results table: a median over runs, its spread, and the target if any."""

    section: str
    metric: str
    value: str
    spread: str = ""
    target: str = ""
    met: bool | None = None


@dataclass
class Section:
    """A benchmark's rows plus free-form notes (method details, caveats) for the report."""

    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # markdown blocks, e.g. a breakdown table


def spread(values: Sequence[float], fmt: Callable[[float], str]) -> str:
    """ "min–max" over runs, so a reader can see how noisy a median was."""
    if len(values) < 2:
        return ""
    return f"{fmt(min(values))}–{fmt(max(values))}"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# -- the machine -----------------------------------------------------------------------------


def machine_info() -> dict[str, str]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    # Affinity, not cpu_count: a container may be limited to fewer cores than the host has.
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": model,
        "cores": str(usable),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
    }


# -- /proc -----------------------------------------------------------------------------------


def proc_status_kb(pid: int, field_name: str) -> int:
    """A `kB` field of /proc/<pid>/status (VmRSS, VmHWM); psutil is not a dependency."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise KeyError(f"{field_name} not in /proc/{pid}/status")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/<pid>/stat."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    # The command name may contain spaces, so split after its closing parenthesis.
    fields = raw[raw.rindex(")") + 2 :].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of the line)
    return ticks / os.sysconf("SC_CLK_TCK")


def kb_to_mb(kb: int) -> float:
    """Decimal megabytes (10^6 bytes): slightly larger numbers than MiB, so never flattering."""
    return kb * 1024 / 1_000_000


# -- addresses, environments and forms -------------------------------------------------------


# Far above any answer we expect, so only a wedged server trips it.
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def senders(count: int) -> list[str]:
    """Distinct allowed phone numbers in the fictional +1 555 range."""
    return [f"+1555011{index:04d}" for index in range(count)]


def clean_environ(home: Path, **values: str) -> dict[str, str]:
    """The bench's own environment minus any real Twilio/SMS settings, plus `values`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TWILIO_", "SMS_", "HERMES_"))
    }
    env.update({"HERMES_HOME": str(home), "NO_COLOR": "1", **values})
    return env


def gateway_environ(
    home: Path, *, api_base_url: str, port: int, allowed: Sequence[str], **overrides: str
) -> dict[str, str]:
    """`hermes-sms gateway` settings for a bench run: echo agent, no debounce, no rate limit."""
    values = {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_PHONE_NUMBER": OUR_NUMBER,
        "TWILIO_API_BASE_URL": api_base_url,
        "SMS_WEBHOOK_HOST": "127.0.0.1",
        "SMS_WEBHOOK_PORT": str(port),
        "SMS_ALLOWED_USERS": ",".join(allowed),
        "SMS_DEBOUNCE_SECONDS": "0",
        "SMS_AGENT_BACKEND": "echo",
        # The default 20/600 per sender would turn a load test into a test of the limiter.
        "SMS_RATE_LIMIT": "off",
    }
    values.update(overrides)
    return clean_environ(home, **values)


@dataclass(frozen=True)
class SignedForm:
    """One inbound webhook, encoded and signed ahead of time so the client stays cheap."""

    sender: str
    body: bytes
    headers: dict[str, str]


def signed_inbound(url: str, sender: str, text: str) -> SignedForm:
    """The form Twilio posts for an incoming SMS, with a fresh MessageSid, signed for `url`."""
    sid = "SM" + uuid.uuid4().hex
    params = [
        ("ToCountry", "US"),
        ("ToState", ""),
        ("SmsMessageSid", sid),
        ("NumMedia", "0"),
        ("ToCity", ""),
        ("FromZip", ""),
        ("SmsSid", sid),
        ("FromState", ""),
        ("SmsStatus", "received"),
        ("FromCity", ""),
        ("Body", text),
        ("FromCountry", "US"),
        ("To", OUR_NUMBER),
        ("ToZip", ""),
        ("NumSegments", "1"),
        ("MessageSid", sid),
        ("AccountSid", ACCOUNT_SID),
        ("From", sender),
        ("ApiVersion", "2010-04-01"),
    ]
    headers = {
        "Content-Type": FORM_TYPE,
        "User-Agent": "TwilioProxy/1.1",
        "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
        SIGNATURE_HEADER: compute_signature(AUTH_TOKEN, url, params),
    }
    return SignedForm(sender, urlencode(params).encode(), headers)


def signed_batch(url: str, count: int, allowed: Sequence[str]) -> list[SignedForm]:
    """`count` distinct messages, senders and texts taken round-robin."""
    return [
        signed_inbound(url, allowed[i % len(allowed)], USER_TEXTS[i % len(USER_TEXTS)])
        for i in range(count)
    ]


# -- child processes -------------------------------------------------------------------------


class Child:
    """A subprocess we started; `stop()` ends exactly this process (SIGTERM, then SIGKILL)."""

    def __init__(self, process: asyncio.subprocess.Process, name: str) -> None:
        self.process = process
        self.name = name

    @property
    def pid(self) -> int:
        return self.process.pid

    @classmethod
    async def spawn(
        cls,
        name: str,
        argv: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        stdout: int | IO[bytes] = asyncio.subprocess.PIPE,
    ) -> Child:
        process = await asyncio.create_subprocess_exec(
            *argv,
            env=env,
            cwd=str(REPO),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=stdout,
            stderr=asyncio.subprocess.STDOUT,
        )
        return cls(process, name)

    async def read_ready_line(self, prefix: str, timeout: float = 20.0) -> str:
        """The rest of the first stdout line starting with `prefix` (the child's address)."""
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                raw = await self.process.stdout.readline()
                if not raw:
                    raise RuntimeError(f"{self.name} exited before it was ready")
                line = raw.decode().strip()
                if line.startswith(prefix):
                    return line[len(prefix) :].strip()

    async def stop(self, grace: float = 5.0) -> None:
        if self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()


async def wait_until_healthy(child: Child, url: str, timeout: float = 20.0) -> None:
    """Poll `url` until it answers 200; fail fast if the child dies first."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while time.monotonic() < deadline:
            if child.process.returncode is not None:
                raise RuntimeError(f"{child.name} exited with {child.process.returncode}")
            with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                async with session.get(url) as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{child.name} did not become healthy within {timeout:g} s")


@contextlib.contextmanager
def temp_home() -> Iterator[Path]:
    """A throw-away HERMES_HOME, so every gateway starts with an empty database."""
    with tempfile.TemporaryDirectory(prefix="hermes-bench-") as path:
        yield Path(path)


async def parent_watchdog(stop: asyncio.Event, max_seconds: float) -> None:
    """For the bench's own servers: stop when the parent is gone or after `max_seconds`,
    so an interrupted bench never leaves a server behind."""
    parent = os.getppid()
    deadline = time.monotonic() + max_seconds
    while not stop.is_set():
        if os.getppid() != parent or time.monotonic() > deadline:
            stop.set()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
