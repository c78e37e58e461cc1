"""Conversation turns: one sender at a time in order, different senders side by side.

Each sender with work gets one task. It sends what is queued for that sender, waits for the
sender to stop typing (debounce), merges every pending text into one turn, asks the agent,
and commits the reply parts and the turn in one transaction. Anything that arrives while the
turn runs is simply pending for the next one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from hermes_sms import messages
from hermes_sms.agent import Agent, AgentError, ChatMessage
from hermes_sms.config import Settings
from hermes_sms.gateway.compose import compose
from hermes_sms.gateway.inbound import is_authorised
from hermes_sms.gateway.keywords import ChatCommand, chat_command
from hermes_sms.gateway.outbox import Outbox
from hermes_sms.phone import redact
from hermes_sms.store import InboundMessage, Store

# Waits before retrying a sender whose sends keep failing transiently: 15 s, doubling, 10 min max.
RETRY_FIRST_SECONDS = 15.0
RETRY_MAX_SECONDS = 600.0


class Worker:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        agent: Agent,
        outbox: Outbox,
        log: logging.Logger,
        *,
        clock: Callable[[], float] = time.time,
        retry_first_seconds: float = RETRY_FIRST_SECONDS,
    ) -> None:
        self._settings = settings
        self._store = store
        self._agent = agent
        self._outbox = outbox
        self._log = log
        self._clock = clock
        self._slots = asyncio.Semaphore(settings.max_concurrency)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._retry_delay: dict[str, float] = {}
        self._retry_timers: dict[str, asyncio.TimerHandle] = {}
        self._stopping = False
        self._retry_first = retry_first_seconds

    @property
    def busy_senders(self) -> int:
        return len(self._tasks)

    def wake(self, sender: str) -> None:
        """There is (or may be) work for `sender`: start its task unless one is running."""
        if self._stopping or sender in self._tasks:
            return
        timer = self._retry_timers.pop(sender, None)
        if timer is not None:
            timer.cancel()
        self._tasks[sender] = asyncio.get_running_loop().create_task(
            self._run(sender), name=f"sms-sender-{redact(sender)}"
        )

    def resume(self) -> int:
        """At start: pick up every sender with unanswered messages or unsent parts."""
        senders = self._store.senders_with_work()
        for sender in senders:
            self.wake(sender)
        return len(senders)

    async def stop(self, grace: float) -> None:
        """Let running turns finish within `grace` seconds; the rest stays queued on disk."""
        self._stopping = True
        for timer in self._retry_timers.values():
            timer.cancel()
        self._retry_timers.clear()
        tasks = list(self._tasks.values())
        if not tasks:
            return
        _, still_running = await asyncio.wait(tasks, timeout=grace)
        for task in still_running:
            task.cancel()
        if still_running:
            await asyncio.gather(*still_running, return_exceptions=True)
            self._log.info("%d conversation(s) left queued for the next start", len(still_running))

    async def idle(self) -> None:
        """Wait until no sender has work in progress (tests, demo, benchmarks)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def _run(self, sender: str) -> None:
        try:
            while True:
                if not is_authorised(self._settings, sender):
                    self._drop_unauthorised(sender)
                    return
                # Sending goes on while stopping: a reply whose turn finished within the grace
                # period goes out now, not at a next start that may never come.
                async with self._slots:
                    flushed = await self._outbox.flush(sender)
                if not flushed.complete:
                    self._retry_later(sender)
                    return
                self._retry_delay.pop(sender, None)
                if self._store.unsent_parts(sender):
                    continue  # queued while we were sending (a notice, say)
                pending = self._store.pending_inbound(sender)
                if not pending or self._stopping:
                    # No await between this check and leaving: a message stored now wakes a
                    # new task, because this one is already out of `_tasks` by then.
                    return
                wait = pending[-1].received_at + self._settings.debounce_seconds - self._clock()
                if wait > 0:
                    # Capped: a wall clock set back must not stall a sender for that long.
                    await asyncio.sleep(min(wait, self._settings.debounce_seconds))
                    continue
                async with self._slots:
                    await self._take_turn(sender, pending)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must not silently stop a sender's conversation
            self._log.error("sender %s: unexpected %s: %s", redact(sender), type(exc).__name__, exc)
            self._retry_later(sender)
        finally:
            self._tasks.pop(sender, None)

    def _drop_unauthorised(self, sender: str) -> None:
        # Work left from a run when this number was allowed: it is not allowed any more, so it
        # gets nothing (SMS_ALLOWED_USERS changed between runs).
        ids = [message.id for message in self._store.pending_inbound(sender)]
        if ids:
            self._store.finish_turn(sender, ids, [], note="sender no longer allowed")
        dropped = self._store.skip_unsent(sender, "sender no longer allowed")
        self._log.info(
            "dropped work for %s: no longer in SMS_ALLOWED_USERS (%d message(s), %d part(s))",
            redact(sender),
            len(ids),
            dropped,
        )

    def _retry_later(self, sender: str) -> None:
        if self._stopping:
            return
        delay = self._retry_delay.get(sender, self._retry_first / 2) * 2
        delay = min(delay, RETRY_MAX_SECONDS)
        self._retry_delay[sender] = delay
        loop = asyncio.get_running_loop()
        self._retry_timers[sender] = loop.call_later(delay, self.wake, sender)

    async def _take_turn(self, sender: str, pending: Sequence[InboundMessage]) -> None:
        command = chat_command(pending[0].body) if not pending[0].media else None
        if command is not None:
            self._command(sender, pending[0], command)
            return
        # Merge the run of plain texts up to the next command (which gets its own turn).
        batch = []
        for message in pending:
            if batch and chat_command(message.body) is not None and not message.media:
                break
            batch.append(message)
        text = merge_texts(batch)
        ids = [message.id for message in batch]
        if not text:
            # A blank text (no words, no attachment) asks nothing: answering costs money.
            self._store.finish_turn(sender, ids, [], note="empty message")
            self._log.info("ignored an empty message from %s", redact(sender))
            return
        history = self._history(sender)
        started = self._clock()
        try:
            reply = await self._agent.reply(sender, history, text)
        except AgentError as error:
            self._apologise(sender, ids, error.reason)
            return
        except Exception as exc:
            self._apologise(sender, ids, f"{type(exc).__name__}: {exc}")
            return
        try:
            parts = compose(reply, self._settings.encoding)
        except Exception as exc:
            # A reply the pipeline cannot handle must not leave the turn pending (it would be
            # retried, and the agent asked again, forever): apologise and move on.
            self._apologise(sender, ids, f"could not format the reply: {type(exc).__name__}")
            return
        if not parts:
            # Nothing left once formatted ("---", an empty code block): silence would look
            # like a lost message, so this is a failed answer like any other.
            self._apologise(sender, ids, "the reply was empty once formatted for SMS")
            return
        self._store.finish_turn(sender, ids, parts, history=[("user", text), ("assistant", reply)])
        self._log.info(
            "agent answered %s in %.1f s (%d message(s) merged): %d part(s) queued",
            redact(sender),
            self._clock() - started,
            len(batch),
            len(parts),
        )

    def _history(self, sender: str) -> list[ChatMessage]:
        turns = self._store.history(sender, self._settings.agent.history_turns)
        return [ChatMessage(role=role, content=content) for role, content in turns]

    def _command(self, sender: str, message: InboundMessage, command: ChatCommand) -> None:
        if command is ChatCommand.RESET:
            self._store.clear_history(sender)
            text = messages.RESET_DONE
        else:
            text = messages.CHAT_HELP
        parts = compose(text, self._settings.encoding)
        self._store.finish_turn(sender, [message.id], parts, kind="command", note=command.value)
        self._log.info("command /%s from %s", command.value, redact(sender))

    def _apologise(self, sender: str, ids: list[int], reason: str) -> None:
        # The sender gets one short apology, never the error; the details go to the log.
        parts = compose(messages.AGENT_APOLOGY, self._settings.encoding)
        self._store.finish_turn(sender, ids, parts, kind="apology", note=f"agent failed: {reason}")
        self._log.warning("agent failed for %s: %s; apology queued", redact(sender), reason)


def merge_texts(batch: Sequence[InboundMessage]) -> str:
    """Texts sent in a row become one turn; attachments become lines naming type and URL."""
    lines: list[str] = []
    attachment = 0
    for message in batch:
        if message.body.strip():
            lines.append(message.body.strip())
        for content_type, url in message.media:
            attachment += 1
            lines.append(
                messages.MEDIA_LINE.format(index=attachment, content_type=content_type, url=url)
            )
    return "\n".join(lines)
