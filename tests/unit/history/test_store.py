"""The history database on real SQLite files: schema, migration, concurrency, and failure modes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from emuse.history import schema
from emuse.history.store import HistoryError, HistoryStore, database_url, open_store
from emuse.labels import EMOTIONS
from emuse.mood import Mood
from tests.support.moods import mood
from tests.support.paths import ROOT


def test_default_database_is_a_wal_sqlite_file_in_the_data_dir(sqlite_store: HistoryStore, data_dir: Path) -> None:
    store = sqlite_store  # about the SQLite file itself
    path = data_dir / "history.sqlite"
    assert store.url == database_url() == f"sqlite:///{path}"
    assert path.is_file()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("SELECT version FROM schema_version").fetchall() == [(schema.SCHEMA_VERSION,)]
    assert store.schema_version() == schema.SCHEMA_VERSION


def test_database_url_from_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "elsewhere" / "moods.db"
    target.parent.mkdir()
    monkeypatch.setenv("EMUSE_DATABASE_URL", f"sqlite:///{target}")
    store = open_store()
    store.add_mood("s", "cli", mood())
    assert target.is_file() and store.counts() == (1, 0)
    store.dispose()


def test_moods_and_songs_round_trip_in_utc(store: HistoryStore) -> None:
    paris = datetime(2024, 5, 6, 10, 30, tzinfo=UTC).astimezone(ZoneInfo("Europe/Paris"))
    store.add_mood("web-1", "live", mood("sad", 0.8), paris)
    store.add_mood("web-1", "snapshot", mood("happy", 0.6), datetime(2024, 5, 6, 11, 0))  # naive = UTC
    store.add_song("web-1", "sad", "t1", "Someone Like You", ["Adele"], "https://open.spotify.com/track/t1")
    store.add_song("web-1", "Happiness", "t2", "Happy", "Pharrell Williams", event="played")

    moods = store.moods()
    assert list(moods["emotion"]) == ["sad", "happy"]
    assert list(moods["source"]) == ["live", "snapshot"]
    assert moods["time"].iloc[0] == datetime(2024, 5, 6, 10, 30, tzinfo=UTC)
    assert str(moods["time"].dt.tz) == "UTC"
    assert moods["score_sad"].iloc[0] == pytest.approx(0.8)
    assert moods["confidence"].iloc[1] == pytest.approx(0.6)

    songs = store.songs()
    assert list(songs["event"]) == ["recommended", "played"]
    assert songs["emotion"].iloc[1] == "happy"  # aliases are normalised
    assert songs["artists"].iloc[0] == "Adele"
    assert store.counts() == (2, 2)


def test_filters_by_time_range_and_session(store: HistoryStore) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for day in range(5):
        store.add_mood(f"s{day % 2}", "live", mood(), start + timedelta(days=day))
    assert len(store.moods(start + timedelta(days=1), start + timedelta(days=3))) == 2  # [start, end)
    assert set(store.moods(sessions=["s1"])["session"]) == {"s1"}
    assert len(store.moods(sessions=[])) == 0
    sessions = store.sessions()
    assert set(sessions["session"]) == {"s0", "s1"}
    s0 = sessions.set_index("session").loc["s0"]
    assert s0["moods"] == 3 and s0["first"] == start and s0["last"] == start + timedelta(days=4)


def test_bad_rows_are_refused_with_a_reason(store: HistoryStore) -> None:
    with pytest.raises(ValueError, match="source"):
        store.add_mood("s", "webcam", mood())
    with pytest.raises(ValueError, match="emotion"):
        store.add_mood("s", "live", Mood("bored", 0.5, mood().scores))
    with pytest.raises(ValueError, match="7 scores"):
        store.add_mood("s", "live", Mood("happy", 0.5, (0.5, 0.5)))
    with pytest.raises(ValueError, match="event"):
        store.add_song("s", "happy", "t", "n", "a", event="skipped")
    with pytest.raises(ValueError, match="session"):
        store.add_mood("", "live", mood())
    assert store.counts() == (0, 0)


def test_clear_everything_or_some_sessions(store: HistoryStore) -> None:
    for session in ("a", "b", "c"):
        store.add_mood(session, "live", mood())
        store.add_song(session, "happy", "t", "n", "a")
    assert store.clear(["a", "b"]) == (2, 2)
    assert set(store.moods()["session"]) == {"c"}
    assert store.clear() == (1, 1)
    assert store.counts() == (0, 0)


def test_export_rows_streams_moods_then_songs_in_batches(store: HistoryStore) -> None:
    store.add_moods([("s", "cli", mood(), datetime(2024, 1, 1, 0, 0, i, tzinfo=UTC)) for i in range(25)])
    store.add_song("s", "happy", "t", "n", "a")
    rows = list(store.export_rows(batch=10))
    assert [r["kind"] for r in rows] == ["mood"] * 25 + ["song"]
    assert rows[0]["time"] == "2024-01-01T00:00:00+00:00"
    assert set(rows[0]) <= set(schema.EXPORT_COLUMNS) and "id" not in rows[0]
    assert rows[-1]["event"] == "recommended"


# -- migration -----------------------------------------------------------------------


V1_SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY);
INSERT INTO schema_version VALUES (1);
CREATE TABLE moods (
    id INTEGER NOT NULL PRIMARY KEY, time DATETIME NOT NULL, session VARCHAR(64) NOT NULL,
    source VARCHAR(16) NOT NULL, emotion VARCHAR(16) NOT NULL, confidence FLOAT NOT NULL,
    score_angry FLOAT NOT NULL, score_disgust FLOAT NOT NULL, score_fear FLOAT NOT NULL, score_happy FLOAT NOT NULL,
    score_sad FLOAT NOT NULL, score_surprise FLOAT NOT NULL, score_neutral FLOAT NOT NULL
);
CREATE TABLE songs (
    id INTEGER NOT NULL PRIMARY KEY, time DATETIME NOT NULL, session VARCHAR(64) NOT NULL,
    emotion VARCHAR(16) NOT NULL, track_id VARCHAR(64) NOT NULL, name TEXT NOT NULL, artists TEXT NOT NULL,
    url TEXT NOT NULL
);
INSERT INTO moods VALUES (1, '2023-12-31 23:00:00.000000', 'old', 'live', 'sad', 0.9, 0, 0, 0, 0.05, 0.9, 0, 0.05);
INSERT INTO songs VALUES (1, '2023-12-31 23:00:01.000000', 'old', 'sad', 'x1', 'Hurt', 'Johnny Cash', 'https://x');
"""


def test_version_1_database_is_migrated_forward_keeping_its_rows(data_dir: Path) -> None:
    path = data_dir / "history.sqlite"
    with sqlite3.connect(path) as raw:
        raw.executescript(V1_SCHEMA)

    store = open_store()
    assert store.schema_version() == schema.SCHEMA_VERSION
    with sqlite3.connect(path) as raw:
        columns = [row[1] for row in raw.execute("PRAGMA table_info(songs)")]
        indexes = {row[1] for row in raw.execute("PRAGMA index_list(moods)")}
    assert "event" in columns
    assert {"ix_moods_time", "ix_moods_session"} <= indexes

    old_song = store.songs().iloc[0]
    assert (old_song["name"], old_song["event"]) == ("Hurt", "recommended")
    assert store.moods()["time"].iloc[0] == datetime(2023, 12, 31, 23, tzinfo=UTC)
    store.add_song("new", "happy", "x2", "Happy", "Pharrell", event="played")
    assert list(store.songs()["event"]) == ["recommended", "played"]

    store.dispose()
    reopened = open_store()  # a second open finds it current and changes nothing
    assert reopened.schema_version() == schema.SCHEMA_VERSION and reopened.counts() == (1, 2)
    reopened.dispose()


def test_database_from_a_newer_emuse_is_refused(data_dir: Path) -> None:
    with sqlite3.connect(data_dir / "history.sqlite") as raw:
        raw.executescript(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY); INSERT INTO schema_version VALUES (99);"
        )
    with pytest.raises(HistoryError, match="newer than this eMuse"):
        open_store()


def test_schema_is_portable_to_postgresql() -> None:
    dialect = postgresql.dialect()
    for table in schema.metadata.sorted_tables:
        ddl = str(CreateTable(table).compile(dialect=dialect))
        assert "TIMESTAMP WITH TIME ZONE" in ddl or table is schema.version_table
        for index in table.indexes:
            str(CreateIndex(index).compile(dialect=dialect))


# -- concurrency ---------------------------------------------------------------------


def test_threads_writing_at_once_lose_nothing(store: HistoryStore) -> None:
    threads, per_thread = 8, 60
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(per_thread):
                store.add_mood(f"thread-{n}", "live", mood(EMOTIONS[i % 7]))
                if i % 10 == 0:
                    store.add_song(f"thread-{n}", "happy", f"t{i}", "n", "a")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    reads = 0
    while any(w.is_alive() for w in workers):  # a reader alongside, as the history page would be
        store.moods()
        reads += 1
    for worker in workers:
        worker.join()
    assert not errors
    moods = store.moods()
    assert len(moods) == threads * per_thread
    assert moods.groupby("session").size().to_dict() == {f"thread-{n}": per_thread for n in range(threads)}
    assert store.counts()[1] == threads * (per_thread // 10)
    assert reads > 0


WRITER_SCRIPT = """
import sys, time
from emuse.history.store import open_store
from emuse.mood import Mood
store = open_store(sys.argv[1])
n, start_at = int(sys.argv[2]), float(sys.argv[3])
while time.time() < start_at:  # all processes start writing at the same moment
    time.sleep(0.005)
for i in range(n):
    store.add_mood(sys.argv[4], "cli", Mood("neutral", 0.5, (0.1, 0.05, 0.05, 0.1, 0.1, 0.1, 0.5)))
print("done")
"""


def test_processes_writing_at_once_lose_nothing(data_dir: Path, store: HistoryStore) -> None:
    processes, per_process = 4, 100
    url = store.url
    start_at = time.time() + 3.0  # room for the interpreters to start and import
    children = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER_SCRIPT, url, str(per_process), str(start_at), f"proc-{n}"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(processes)
    ]
    while time.time() < start_at:
        time.sleep(0.01)
    for _ in range(per_process):  # and this process writes too
        store.add_mood("parent", "live", mood())
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        assert out.strip() == "done"
    counts = store.moods().groupby("session").size().to_dict()
    assert counts == {**{f"proc-{n}": per_process for n in range(processes)}, "parent": per_process}


# -- failure modes ---------------------------------------------------------------------


def hold_write_lock(path: Path) -> sqlite3.Connection:
    raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    raw.execute("BEGIN IMMEDIATE")
    raw.execute(
        "INSERT INTO moods (time, session, source, emotion, confidence, score_angry, score_disgust, "
        "score_fear, score_happy, score_sad, score_surprise, score_neutral) "
        "VALUES ('2024-01-01 00:00:00.000000', 'locker', 'cli', 'happy', 1, 0, 0, 0, 1, 0, 0, 0)"
    )
    return raw


def test_locked_database_gives_a_clear_error_then_recovers(data_dir: Path) -> None:
    store = open_store(busy_timeout_s=0.05, retries=2)
    locker = hold_write_lock(data_dir / "history.sqlite")
    try:
        started = time.monotonic()
        with pytest.raises(HistoryError, match="busy: another program holds a lock"):
            store.add_mood("s", "live", mood())
        assert time.monotonic() - started < 5  # bounded: retries give up, they don't hang
        assert len(store.moods()) == 0  # reading still works in WAL mode while a writer holds the lock
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    store.add_mood("s", "live", mood())
    assert store.counts() == (1, 0)
    store.dispose()


def test_busy_database_is_retried_until_the_lock_is_released(data_dir: Path) -> None:
    store = open_store(busy_timeout_s=0.05, retries=8)
    locker = hold_write_lock(data_dir / "history.sqlite")
    release = threading.Timer(0.3, lambda: (locker.execute("COMMIT"), locker.close()))
    release.start()
    store.add_mood("s", "live", mood())  # fails its first attempts, then gets through
    release.join()
    assert sorted(store.moods()["session"]) == ["locker", "s"]
    store.dispose()


def test_read_only_database_gives_a_clear_error(data_dir: Path) -> None:
    path = data_dir / "history.sqlite"
    open_store().dispose()
    store = HistoryStore(f"sqlite:///file:{path}?mode=ro&uri=true")
    with pytest.raises(HistoryError, match="read-only"):
        store.add_mood("s", "live", mood())
    store.dispose()


def test_corrupt_database_gives_a_clear_error(data_dir: Path) -> None:
    (data_dir / "history.sqlite").write_bytes(b"this is not a database, it is a shopping list\n" * 100)
    with pytest.raises(HistoryError, match=r"damaged.*Move the file aside"):
        open_store()


def test_bad_url_and_missing_driver_give_clear_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMUSE_DATABASE_URL", "not a url")
    with pytest.raises(HistoryError, match="not a database URL"):
        open_store()
    monkeypatch.setenv("EMUSE_DATABASE_URL", "postgresql+nosuchdriver://u:secret@localhost/emuse")
    with pytest.raises(HistoryError, match="no database driver") as info:
        open_store()
    assert "secret" not in str(info.value)


def test_unopenable_location_gives_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="cannot be opened"):
        open_store(f"sqlite:///{tmp_path / 'missing-folder' / 'history.sqlite'}")


def test_a_database_file_deleted_under_a_running_app_is_recreated(sqlite_store: HistoryStore, data_dir: Path) -> None:
    store = sqlite_store  # about the SQLite file itself
    store.add_mood("s", "live", mood())
    store.dispose()
    for path in data_dir.glob("history.sqlite*"):
        path.unlink()
    store.add_mood("s", "live", mood())  # a new, empty history rather than "no such table" forever
    assert store.counts() == (1, 0)
