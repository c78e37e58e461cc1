"""The gateway's durable state in one SQLite file under `$HERMES_HOME`.

Why SQLite in WAL mode: an acknowledged webhook must survive a crash, and a reply part that
Twilio accepted must never be sent twice. Both need a write that is on disk before we answer;
WAL makes those writes cheap and lets readers run beside the writer; the gateway groups the
inbound messages of one event-loop turn into one transaction (gateway/group_commit.py).

`synchronous=NORMAL` in WAL mode survives a killed process (the promise we make and test);
a power cut may lose the last few commits, which FULL would prevent at a cost of one fsync per
webhook. The calls are short and made straight from the event loop: a thread hop would cost
more than the query.

Schema changes are numbered migrations applied in order and recorded in `PRAGMA user_version`.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from hermes_sms.home import PrivateDirError, ensure_private_dir

MIGRATIONS: tuple[str, ...] = (
    # 1: inbox, outbox, conversation history and opt-outs.
    """
    CREATE TABLE inbound (
        id INTEGER PRIMARY KEY,
        message_sid TEXT NOT NULL UNIQUE,
        sender TEXT NOT NULL,
        body TEXT NOT NULL,
        media TEXT NOT NULL DEFAULT '[]',
        received_at REAL NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        note TEXT
    );
    CREATE INDEX inbound_pending ON inbound (state, sender, id);

    CREATE TABLE outbound (
        id INTEGER PRIMARY KEY,
        recipient TEXT NOT NULL,
        kind TEXT NOT NULL,
        part_index INTEGER NOT NULL,
        part_total INTEGER NOT NULL,
        body TEXT NOT NULL,
        encoding TEXT NOT NULL,
        segments INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued',
        attempts INTEGER NOT NULL DEFAULT 0,
        twilio_sid TEXT UNIQUE,
        delivery_status TEXT,
        error_code INTEGER,
        error_message TEXT,
        created_at REAL NOT NULL,
        sending_at REAL,
        sent_at REAL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX outbound_queue ON outbound (state, recipient, id);

    CREATE TABLE history (
        id INTEGER PRIMARY KEY,
        number TEXT NOT NULL,
        role TEXT NOT NULL,
        content TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX history_number ON history (number, id);

    CREATE TABLE opt_outs (
        number TEXT PRIMARY KEY,
        opted_out_at REAL NOT NULL,
        reason TEXT NOT NULL
    );
    """,
)

# Outbound states: queued → sending → sent; or failed (Twilio refused), or skipped (opted out).
QUEUED, SENDING, SENT, FAILED, SKIPPED = "queued", "sending", "sent", "failed", "skipped"
# Inbound states: pending until a turn handles it; done; ignored (no reply owed).
PENDING, DONE, IGNORED = "pending", "done", "ignored"


# How far along a sent message is, by Twilio's status names: callbacks can arrive out of order.
_STATUS_STAGE = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 0,
    "recovered": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "canceled": 3,
    "read": 4,
}


class StoreError(Exception):
    """The database cannot be opened or written; the message says which file and why."""


@dataclass(frozen=True)
class InboundMessage:
    id: int
    message_sid: str
    sender: str
    body: str
    media: tuple[tuple[str, str], ...]  # (content type, url)
    received_at: float


@dataclass(frozen=True)
class OutboundPart:
    id: int
    recipient: str
    kind: str
    part_index: int
    part_total: int
    body: str
    encoding: str
    segments: int
    state: str
    attempts: int
    twilio_sid: str | None
    delivery_status: str | None
    error_code: int | None
    sending_at: float | None


@dataclass(frozen=True)
class NewPart:
    """A part to queue: what the text pipeline planned."""

    body: str
    encoding: str
    segments: int


@dataclass(frozen=True)
class NewInbound:
    """An inbound message to store, as the webhook delivered it."""

    message_sid: str
    sender: str
    body: str
    media: tuple[tuple[str, str], ...] = ()  # (content type, url)
    state: str = PENDING
    note: str | None = None


class Store:
    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        # The folder's previous mode when `open` tightened it to 0700 (for the caller to say).
        self.folder_tightened_from: int | None = None

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (creating if needed) the database at `path` and bring its schema up to date."""
        try:
            tightened_from = ensure_private_dir(path.parent)
        except PrivateDirError as exc:
            # Already the whole sentence (shared folder, someone else's, not a folder).
            raise StoreError(str(exc)) from exc
        except OSError as exc:
            raise StoreError(f"cannot use the database {path}: {exc}") from exc
        try:
            existed = path.exists()
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            if not existed:
                path.chmod(0o600)
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA busy_timeout=5000")
            store = cls(connection, path)
            store._migrate()
            # Prove we can write now, not at the first webhook: a read-only file or folder must
            # stop the gateway at start with a clear message instead of losing messages later.
            with store._transaction() as db:
                db.execute("CREATE TABLE IF NOT EXISTS write_check (x)")
                db.execute("DROP TABLE write_check")
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot use the database {path}: {exc}") from exc
        store.folder_tightened_from = tightened_from
        return store

    def close(self) -> None:
        self._db.close()

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        current = self.schema_version
        for number, script in enumerate(MIGRATIONS, start=1):
            if number <= current:
                continue
            with self._transaction() as db:
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
            # COMMIT inside the try: if it fails (disk full, I/O error) we must roll back, or
            # the connection stays in a transaction and every later write fails too.
            self._db.execute("COMMIT")
        except BaseException:
            with suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise

    # --- inbound -------------------------------------------------------------------------

    def record_inbound(
        self,
        message_sid: str,
        sender: str,
        body: str,
        media: Sequence[tuple[str, str]] = (),
        *,
        state: str = PENDING,
        note: str | None = None,
    ) -> bool:
        """Store an inbound message; False when this MessageSid was stored before (a retry)."""
        message = NewInbound(message_sid, sender, body, tuple(media), state, note)
        return self.record_inbound_batch([message])[0]

    def record_inbound_batch(self, messages: Sequence[NewInbound]) -> list[bool]:
        """Store several inbound messages in one transaction (group commit), in order.

        Returns, for each message, False when its MessageSid was already stored (before, or
        earlier in this batch). All or nothing: if the commit fails, none is stored.
        """
        now = time.time()
        with self._transaction() as db:
            return [
                db.execute(
                    "INSERT OR IGNORE INTO inbound"
                    " (message_sid, sender, body, media, received_at, state, note)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        message.message_sid,
                        message.sender,
                        message.body,
                        _media_json(message.media),
                        now,
                        message.state,
                        message.note,
                    ),
                ).rowcount
                == 1
                for message in messages
            ]

    def inbound_lookup(self, message_sid: str, sender: str) -> tuple[bool, bool]:
        """(this MessageSid is already stored, `sender` is opted out): one query for the two
        questions every webhook asks, as they are half the cost of its reads."""
        row = self._db.execute(
            "SELECT EXISTS(SELECT 1 FROM inbound WHERE message_sid = ?),"
            " EXISTS(SELECT 1 FROM opt_outs WHERE number = ?)",
            (message_sid, sender),
        ).fetchone()
        return bool(row[0]), bool(row[1])

    def pending_inbound(self, sender: str) -> list[InboundMessage]:
        rows = self._db.execute(
            "SELECT * FROM inbound WHERE state = ? AND sender = ? ORDER BY id", (PENDING, sender)
        ).fetchall()
        return [_inbound(row) for row in rows]

    def senders_with_work(self) -> list[str]:
        """Senders with unanswered messages or unsent parts: the work to resume at start."""
        rows = self._db.execute(
            "SELECT sender FROM inbound WHERE state = ?"
            " UNION SELECT recipient FROM outbound WHERE state IN (?, ?)",
            (PENDING, QUEUED, SENDING),
        ).fetchall()
        return sorted(row[0] for row in rows)

    def last_received_at(self, sender: str) -> float | None:
        row = self._db.execute(
            "SELECT MAX(received_at) FROM inbound WHERE sender = ? AND state = ?",
            (sender, PENDING),
        ).fetchone()
        return row[0]

    def finish_turn(
        self,
        sender: str,
        inbound_ids: Iterable[int],
        parts: Sequence[NewPart],
        *,
        kind: str = "reply",
        history: Sequence[tuple[str, str]] = (),
        note: str | None = None,
    ) -> list[int]:
        """In one transaction: close the inbound messages, add history, queue the reply parts.

        Doing all three atomically is what makes replies exactly-once across a crash: either
        the turn is still pending (and runs again) or its parts are queued (and get sent).
        """
        now = time.time()
        with self._transaction() as db:
            db.executemany(
                "UPDATE inbound SET state = ?, note = ? WHERE id = ?",
                [(DONE, note, inbound_id) for inbound_id in inbound_ids],
            )
            db.executemany(
                "INSERT INTO history (number, role, content, created_at) VALUES (?, ?, ?, ?)",
                [(sender, role, content, now) for role, content in history],
            )
            return self._queue(db, sender, parts, kind, now)

    def queue_outbound(self, recipient: str, parts: Sequence[NewPart], *, kind: str) -> list[int]:
        """Queue parts that answer no stored inbound message (notices)."""
        with self._transaction() as db:
            return self._queue(db, recipient, parts, kind, time.time())

    @staticmethod
    def _queue(
        db: sqlite3.Connection, recipient: str, parts: Sequence[NewPart], kind: str, now: float
    ) -> list[int]:
        ids = []
        for index, part in enumerate(parts, start=1):
            cursor = db.execute(
                "INSERT INTO outbound (recipient, kind, part_index, part_total, body, encoding,"
                " segments, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    recipient,
                    kind,
                    index,
                    len(parts),
                    part.body,
                    part.encoding,
                    part.segments,
                    now,
                    now,
                ),
            )
            ids.append(int(cursor.lastrowid or 0))
        return ids

    # --- outbound ------------------------------------------------------------------------

    def unsent_parts(self, recipient: str) -> list[OutboundPart]:
        """Queued and in-flight parts for one recipient, oldest first (the order to send)."""
        rows = self._db.execute(
            "SELECT * FROM outbound WHERE recipient = ? AND state IN (?, ?) ORDER BY id",
            (recipient, QUEUED, SENDING),
        ).fetchall()
        return [_outbound(row) for row in rows]

    def part(self, part_id: int) -> OutboundPart | None:
        row = self._db.execute("SELECT * FROM outbound WHERE id = ?", (part_id,)).fetchone()
        return _outbound(row) if row else None

    def parts_by_state(self, state: str) -> list[OutboundPart]:
        rows = self._db.execute(
            "SELECT * FROM outbound WHERE state = ? ORDER BY id", (state,)
        ).fetchall()
        return [_outbound(row) for row in rows]

    def mark_sending(self, part_id: int) -> bool:
        """Recorded before the request: on restart a part left here may already be at Twilio.

        False when the part is no longer unsent (skipped because the recipient opted out while
        we waited): then it must not be sent."""
        now = time.time()
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE outbound SET state = ?, attempts = attempts + 1, sending_at = ?,"
                " updated_at = ? WHERE id = ? AND state IN (?, ?)",
                (SENDING, now, now, part_id, QUEUED, SENDING),
            )
            return cursor.rowcount == 1

    def has_sid(self, sid: str) -> bool:
        """Whether a part already carries this Twilio SID (it cannot belong to another part)."""
        row = self._db.execute("SELECT 1 FROM outbound WHERE twilio_sid = ?", (sid,)).fetchone()
        return row is not None

    def mark_sent(self, part_id: int, sid: str, status: str) -> None:
        now = time.time()
        with self._transaction() as db:
            db.execute(
                "UPDATE outbound SET state = ?, twilio_sid = ?, delivery_status = ?,"
                " sent_at = ?, updated_at = ? WHERE id = ?",
                (SENT, sid, status, now, now, part_id),
            )

    def mark_failed(self, part_id: int, code: int | None, message: str) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE outbound SET state = ?, error_code = ?, error_message = ?,"
                " updated_at = ? WHERE id = ?",
                (FAILED, code, message, time.time(), part_id),
            )

    def requeue(self, part_id: int) -> None:
        """Back to the queue after transient failures outlasted the client's retries."""
        with self._transaction() as db:
            db.execute(
                "UPDATE outbound SET state = ?, updated_at = ? WHERE id = ?",
                (QUEUED, time.time(), part_id),
            )

    def skip_unsent(self, recipient: str, reason: str) -> int:
        """Drop every unsent part for a recipient (they opted out); returns how many."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE outbound SET state = ?, error_message = ?, updated_at = ?"
                " WHERE recipient = ? AND state IN (?, ?)",
                (SKIPPED, reason, time.time(), recipient, QUEUED, SENDING),
            )
            return cursor.rowcount

    def update_delivery(self, sid: str, status: str, error_code: int | None) -> str | None:
        """Apply a status callback; returns the part's recipient, or None for an unknown SID.

        Twilio does not promise the order of its callbacks: a late `sent` must not replace
        `delivered`, so a status never goes back to an earlier stage (unknown ones always apply).
        """
        with self._transaction() as db:
            row = db.execute(
                "SELECT recipient, delivery_status FROM outbound WHERE twilio_sid = ?", (sid,)
            ).fetchone()
            if row is None:
                return None
            old, new = _STATUS_STAGE.get(row[1] or ""), _STATUS_STAGE.get(status)
            if old is not None and new is not None and new < old:
                return str(row[0])
            db.execute(
                "UPDATE outbound SET delivery_status = ?, error_code = COALESCE(?, error_code),"
                " updated_at = ? WHERE twilio_sid = ?",
                (status, error_code, time.time(), sid),
            )
            return str(row[0])

    # --- history -------------------------------------------------------------------------

    def history(self, number: str, turns: int) -> list[tuple[str, str]]:
        """The last `turns` user/assistant exchanges, oldest first."""
        if turns <= 0:
            return []
        rows = self._db.execute(
            "SELECT role, content FROM history WHERE number = ? ORDER BY id DESC LIMIT ?",
            (number, turns * 2),
        ).fetchall()
        return [(row[0], row[1]) for row in reversed(rows)]

    def clear_history(self, number: str) -> int:
        with self._transaction() as db:
            return db.execute("DELETE FROM history WHERE number = ?", (number,)).rowcount

    # --- opt-outs ------------------------------------------------------------------------

    def set_opted_out(self, number: str, opted_out: bool, reason: str = "") -> int:
        """Mark a number opted out (dropping its unsent parts; returns how many) or back in."""
        with self._transaction() as db:
            return self._set_opted_out(db, number, opted_out, reason)

    @staticmethod
    def _set_opted_out(db: sqlite3.Connection, number: str, opted_out: bool, reason: str) -> int:
        if not opted_out:
            db.execute("DELETE FROM opt_outs WHERE number = ?", (number,))
            return 0
        now = time.time()
        db.execute(
            "INSERT OR REPLACE INTO opt_outs (number, opted_out_at, reason) VALUES (?, ?, ?)",
            (number, now, reason),
        )
        # Nothing is ever sent to an opted-out number: drop what is still queued for it.
        cursor = db.execute(
            "UPDATE outbound SET state = ?, error_message = ?, updated_at = ?"
            " WHERE recipient = ? AND state IN (?, ?)",
            (SKIPPED, "recipient opted out", now, number, QUEUED, SENDING),
        )
        return cursor.rowcount

    def record_keyword(
        self, message_sid: str, sender: str, body: str, *, opted_out: bool | None, note: str
    ) -> int | None:
        """Store a STOP/START/HELP message and apply it in one transaction, so a crash cannot
        keep the message (making Twilio's retry a duplicate) but lose the opt-out.

        Returns None for a repeated delivery, else the number of unsent parts dropped."""
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO inbound (message_sid, sender, body, received_at, state,"
                " note) VALUES (?, ?, ?, ?, ?, ?)",
                (message_sid, sender, body, time.time(), IGNORED, note),
            )
            if cursor.rowcount != 1:
                return None
            if opted_out is None:
                return 0
            return self._set_opted_out(db, sender, opted_out, body.strip().upper())

    def is_opted_out(self, number: str) -> bool:
        row = self._db.execute("SELECT 1 FROM opt_outs WHERE number = ?", (number,)).fetchone()
        return row is not None

    # --- inspection (tests, doctor) ------------------------------------------------------

    def count(self, table: str, **where: object) -> int:
        if table not in ("inbound", "outbound", "history", "opt_outs"):
            raise ValueError(f"unknown table {table!r}")
        if not all(column.isidentifier() for column in where):
            raise ValueError("column names must be identifiers")
        clause = " AND ".join(f"{column} = ?" for column in where) or "1"
        row = self._db.execute(
            f"SELECT COUNT(*) FROM {table} WHERE {clause}", tuple(where.values())
        ).fetchone()
        return int(row[0])


@dataclass(frozen=True)
class OptOut:
    number: str
    since: float  # epoch seconds
    reason: str  # the keyword the person texted (STOP, ...) or Twilio's error code 21610


def read_opt_out(path: Path, number: str) -> OptOut | None:
    """The opt-out the gateway recorded for `number` in the database at `path`, if any.

    For commands other than the gateway (`hermes-sms send`): opens the file read-only and never
    creates it. None when there is no such record, no database or an unreadable one; then
    Twilio's own block (error 21610) still stops the message.
    """
    if not path.is_file():
        return None
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            row = db.execute(
                "SELECT opted_out_at, reason FROM opt_outs WHERE number = ?", (number,)
            ).fetchone()
    except sqlite3.Error:
        return None
    return OptOut(number, float(row[0]), str(row[1])) if row else None


def _media_json(media: Sequence[tuple[str, str]]) -> str:
    # Almost every message is a plain SMS: skip the encoder for them (it shows in a webhook's
    # cost under load).
    return json.dumps([list(item) for item in media]) if media else "[]"


def _inbound(row: sqlite3.Row) -> InboundMessage:
    media = tuple((str(item[0]), str(item[1])) for item in json.loads(row["media"]))
    return InboundMessage(
        id=row["id"],
        message_sid=row["message_sid"],
        sender=row["sender"],
        body=row["body"],
        media=media,
        received_at=row["received_at"],
    )


def _outbound(row: sqlite3.Row) -> OutboundPart:
    return OutboundPart(
        id=row["id"],
        recipient=row["recipient"],
        kind=row["kind"],
        part_index=row["part_index"],
        part_total=row["part_total"],
        body=row["body"],
        encoding=row["encoding"],
        segments=row["segments"],
        state=row["state"],
        attempts=row["attempts"],
        twilio_sid=row["twilio_sid"],
        delivery_status=row["delivery_status"],
        error_code=row["error_code"],
        sending_at=row["sending_at"],
    )
