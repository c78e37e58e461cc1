"""The gateway assembled: store, Twilio client, agent, routes and worker, started and stopped
as one unit. The CLI, the demo, the tests and the benchmarks all run it through this class."""

from __future__ import annotations

import errno
import logging
from dataclasses import dataclass

from aiohttp import web

from hermes_sms.agent import Agent, create_agent
from hermes_sms.config import Settings
from hermes_sms.gateway.app import WebhookRoutes, create_app, status_callback_url
from hermes_sms.gateway.inbound import InboundHandler
from hermes_sms.gateway.instance_lock import LOCK_NAME, AlreadyRunningError, InstanceLock
from hermes_sms.gateway.outbox import Outbox
from hermes_sms.gateway.worker import RETRY_FIRST_SECONDS, Worker
from hermes_sms.home import DATABASE_NAME
from hermes_sms.logs import get_logger
from hermes_sms.store import Store
from hermes_sms.twilio.client import TwilioClient

DEFAULT_GRACE_SECONDS = 10.0


class ListenError(Exception):
    """The gateway cannot serve: port taken, bad host (the message names the variable), or
    another gateway running on the same database (it names that one's pid)."""


@dataclass
class Listening:
    host: str
    port: int
    resumed: int = 0  # senders with work left from the last run


class Gateway:
    def __init__(
        self,
        settings: Settings,
        *,
        agent: Agent | None = None,
        store: Store | None = None,
        client: TwilioClient | None = None,
        log: logging.Logger | None = None,
        retry_first_seconds: float | None = None,
    ) -> None:
        """The parts may be given (tests, demo, benchmarks); by default they come from
        `settings`. `retry_first_seconds` is the first wait before re-sending parts whose
        transient failures outlasted the client's retries."""
        self.settings = settings
        twilio = settings.require_twilio()
        self.log = log or get_logger("gateway")
        self.store = store or Store.open(settings.home / DATABASE_NAME)
        self.agent = agent or create_agent(settings.agent)
        self.client = client or TwilioClient(
            twilio.account_sid, twilio.auth_token, base_url=twilio.api_base_url
        )
        self.outbox = Outbox(
            self.store,
            self.client,
            twilio,
            self.log,
            status_callback=status_callback_url(settings.webhook_url),
        )
        self.worker = Worker(
            settings,
            self.store,
            self.agent,
            self.outbox,
            self.log,
            retry_first_seconds=retry_first_seconds or RETRY_FIRST_SECONDS,
        )
        self.inbound = InboundHandler(settings, self.store, self.worker.wake, self.log)
        self.app = create_app(WebhookRoutes(settings, self.store, self.inbound, self.log))
        self._runner: web.AppRunner | None = None
        self._lock: InstanceLock | None = None
        self._stopped = False

    async def start(self, host: str | None = None, port: int | None = None) -> Listening:
        """Listen, then resume work left from a previous run; raises ListenError."""
        # Before listening or resuming anything: another gateway on this database owns its queue.
        lock_path = self.store.path.parent / LOCK_NAME
        try:
            self._lock = InstanceLock.acquire(lock_path)
        except AlreadyRunningError as exc:
            raise ListenError(str(exc)) from exc
        except OSError as exc:
            raise ListenError(
                f"cannot use {lock_path} ({exc.strerror or exc}): check that "
                f"{lock_path.parent} is writable"
            ) from exc
        host = self.settings.webhook_host if host is None else host
        port = self.settings.webhook_port if port is None else port
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            if exc.errno == errno.EADDRINUSE:
                raise ListenError(
                    f"port {port} is already in use: stop the other program, or set "
                    "SMS_WEBHOOK_PORT (or the gateway's --port) to a free port"
                ) from exc
            raise ListenError(
                f"cannot listen on {host}:{port} ({exc.strerror or exc}): check "
                "SMS_WEBHOOK_HOST and SMS_WEBHOOK_PORT"
            ) from exc
        self._runner = runner
        # With port 0 the system picks one; report the real port.
        actual_port = int(runner.addresses[0][1]) if runner.addresses else port
        # Resumed tasks first run at our caller's next await, after it has announced the port.
        return Listening(host, actual_port, resumed=self.worker.resume())

    async def stop(self, grace: float = DEFAULT_GRACE_SECONDS) -> None:
        """Stop accepting, let in-flight turns finish within `grace`, keep the rest on disk.

        Safe to call more than once."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if self._runner is not None:
                # Closing the site first means no new webhook is acknowledged while we drain.
                for site in list(self._runner.sites):
                    await site.stop()
            await self.worker.stop(grace)
            if self._runner is not None:
                await self._runner.cleanup()
                self._runner = None
            await self.client.close()
            await self.agent.close()
            self.store.close()
        finally:
            # Last, and whatever failed above: the next gateway may start only now.
            if self._lock is not None:
                self._lock.release()
