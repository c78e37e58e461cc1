import sqlite3
import stat
from pathlib import Path

import pytest

from hermes_sms.store import (
    DONE,
    FAILED,
    MIGRATIONS,
    PENDING,
    QUEUED,
    SENDING,
    SENT,
    SKIPPED,
    NewInbound,
    NewPart,
    Store,
    StoreError,
)

ALICE = "+15550100002"
BOB = "+15550100003"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open(tmp_path / "home" / "sms.sqlite3")
    yield opened
    opened.close()


def parts(*bodies: str) -> list[NewPart]:
    return [NewPart(body, "GSM-7", 1) for body in bodies]


def test_creates_private_file_in_private_dir_with_wal(tmp_path: Path) -> None:
    path = tmp_path / "home" / "sms.sqlite3"
    store = Store.open(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.schema_version == len(MIGRATIONS)
    store.close()
    # Reopening applies nothing twice and keeps data.
    again = Store.open(path)
    assert again.schema_version == len(MIGRATIONS)
    again.close()


def test_inbound_is_idempotent_on_message_sid(store: Store) -> None:
    assert store.record_inbound("SM1", ALICE, "hi") is True
    assert store.record_inbound("SM1", ALICE, "hi again") is False
    assert [m.body for m in store.pending_inbound(ALICE)] == ["hi"]


def test_inbound_batch_keeps_order_and_reports_repeats(store: Store) -> None:
    store.record_inbound("SM0", BOB, "earlier")
    batch = [
        NewInbound("SM1", ALICE, "one"),
        NewInbound("SM0", BOB, "a retry of an earlier message"),
        NewInbound("SM2", ALICE, "two", (("image/png", "https://x/1.png"),)),
        NewInbound("SM1", ALICE, "a retry within the same batch"),
        NewInbound("SM3", ALICE, "STOP", state="ignored", note="opt-out"),
    ]
    assert store.record_inbound_batch(batch) == [True, False, True, False, True]
    pending = store.pending_inbound(ALICE)
    assert [m.body for m in pending] == ["one", "two"]
    assert pending[1].media == (("image/png", "https://x/1.png"),)
    assert [m.body for m in store.pending_inbound(BOB)] == ["earlier"]


def test_inbound_batch_is_all_or_nothing(store: Store) -> None:
    unbindable = NewInbound("SM2", ALICE, object())  # type: ignore[arg-type]
    with pytest.raises(sqlite3.Error):
        store.record_inbound_batch([NewInbound("SM1", ALICE, "first"), unbindable])
    assert store.count("inbound") == 0
    # The connection is usable afterwards: the failed transaction was rolled back.
    assert store.record_inbound_batch([NewInbound("SM1", ALICE, "first")]) == [True]


def test_pending_inbound_in_order_with_media(store: Store) -> None:
    store.record_inbound("SM1", ALICE, "one")
    store.record_inbound("SM2", BOB, "other")
    store.record_inbound("MM3", ALICE, "two", [("image/jpeg", "https://x/1.jpg")])
    pending = store.pending_inbound(ALICE)
    assert [m.body for m in pending] == ["one", "two"]
    assert pending[1].media == (("image/jpeg", "https://x/1.jpg"),)
    assert store.senders_with_work() == [ALICE, BOB]


def test_ignored_inbound_is_not_work(store: Store) -> None:
    store.record_inbound("SM1", ALICE, "STOP", state="ignored", note="opt-out")
    assert store.pending_inbound(ALICE) == []
    assert store.senders_with_work() == []
    assert store.record_inbound("SM1", ALICE, "STOP") is False


def test_finish_turn_is_atomic_unit(store: Store) -> None:
    store.record_inbound("SM1", ALICE, "hello")
    store.record_inbound("SM2", ALICE, "there")
    ids = [m.id for m in store.pending_inbound(ALICE)]
    part_ids = store.finish_turn(
        ALICE,
        ids,
        parts("(1/2) a", "(2/2) b"),
        history=[("user", "hello\nthere"), ("assistant", "ab")],
    )
    assert len(part_ids) == 2
    assert store.pending_inbound(ALICE) == []
    assert store.count("inbound", state=DONE) == 2
    unsent = store.unsent_parts(ALICE)
    assert [(p.part_index, p.part_total, p.body, p.state) for p in unsent] == [
        (1, 2, "(1/2) a", QUEUED),
        (2, 2, "(2/2) b", QUEUED),
    ]
    assert store.history(ALICE, 20) == [("user", "hello\nthere"), ("assistant", "ab")]
    assert store.senders_with_work() == [ALICE]


def test_finish_turn_rolls_back_on_error(store: Store) -> None:
    store.record_inbound("SM1", ALICE, "hello")
    ids = [m.id for m in store.pending_inbound(ALICE)]
    with pytest.raises(sqlite3.IntegrityError):
        store.finish_turn(ALICE, ids, [NewPart("x", "GSM-7", None)])  # type: ignore[arg-type]
    assert [m.id for m in store.pending_inbound(ALICE)] == ids
    assert store.unsent_parts(ALICE) == []


def test_outbound_lifecycle(store: Store) -> None:
    (part_id,) = store.queue_outbound(ALICE, parts("notice"), kind="notice")
    store.mark_sending(part_id)
    part = store.part(part_id)
    assert part is not None and part.state == SENDING and part.attempts == 1
    assert part.sending_at is not None
    store.mark_sent(part_id, "SMabc", "queued")
    assert store.unsent_parts(ALICE) == []
    assert store.update_delivery("SMabc", "delivered", None) == ALICE
    part = store.part(part_id)
    assert part is not None and (part.state, part.delivery_status) == (SENT, "delivered")
    assert store.update_delivery("SMunknown", "delivered", None) is None
    assert store.update_delivery("SMabc", "undelivered", 30003) == ALICE
    part = store.part(part_id)
    assert part is not None and part.error_code == 30003


def test_failed_requeue_and_skip(store: Store) -> None:
    a, b, c = store.queue_outbound(ALICE, parts("a", "b", "c"), kind="reply")
    store.mark_failed(a, 21211, "invalid")
    store.mark_sending(b)
    store.requeue(b)
    assert [p.id for p in store.unsent_parts(ALICE)] == [b, c]
    assert store.skip_unsent(ALICE, "opted out") == 2
    assert store.count("outbound", state=SKIPPED) == 2
    assert store.count("outbound", state=FAILED) == 1


def test_history_window_and_reset(store: Store) -> None:
    for turn in range(5):
        store.finish_turn(ALICE, [], [], history=[("user", f"q{turn}"), ("assistant", f"a{turn}")])
    assert store.history(ALICE, 2) == [
        ("user", "q3"),
        ("assistant", "a3"),
        ("user", "q4"),
        ("assistant", "a4"),
    ]
    assert store.history(ALICE, 0) == []
    assert store.history(BOB, 5) == []
    assert store.clear_history(ALICE) == 10
    assert store.history(ALICE, 5) == []


def test_opt_out_round_trip(store: Store) -> None:
    assert not store.is_opted_out(ALICE)
    store.set_opted_out(ALICE, True, "STOP")
    assert store.is_opted_out(ALICE)
    store.set_opted_out(ALICE, False)
    assert not store.is_opted_out(ALICE)


def test_data_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    first = Store.open(path)
    first.record_inbound("SM1", ALICE, "kept")
    first.close()
    second = Store.open(path)
    assert [m.body for m in second.pending_inbound(ALICE)] == ["kept"]
    assert second.count("inbound", state=PENDING) == 1
    second.close()


def test_unusable_folder_fails_at_open(tmp_path: Path) -> None:
    # A path through a regular file cannot hold a database, for root too (unlike chmod).
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(StoreError, match="is not a directory"):
        Store.open(blocker / "sms.sqlite3")


def test_read_only_database_fails_at_open(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    Store.open(path).close()
    # A database opened read-only (as a file we cannot write would be) refuses the write.
    uri = f"file:{path}?mode=ro"
    connection = sqlite3.connect(uri, uri=True, isolation_level=None)
    store = Store(connection, path)
    with pytest.raises(sqlite3.OperationalError):
        store.record_inbound("SM1", ALICE, "x")
    connection.close()


def test_inbound_lookup_answers_both_questions(store: Store) -> None:
    assert store.inbound_lookup("SM1", ALICE) == (False, False)
    store.record_inbound("SM1", ALICE, "hi", ())
    assert store.inbound_lookup("SM1", ALICE) == (True, False)
    store.set_opted_out(ALICE, True, "STOP")
    assert store.inbound_lookup("SM2", ALICE) == (False, True)
    assert store.inbound_lookup("SM1", BOB) == (True, False)
