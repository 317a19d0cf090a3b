"""The mood recorder's policy: changes and heartbeats, the switch, lost faces, songs, a failing database."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from emuse.history.recorder import MoodRecorder
from emuse.history.store import HistoryStore
from emuse.music.store import Track
from tests.support.moods import mood

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def test_recorder_writes_changes_and_one_heartbeat_per_interval(store: HistoryStore) -> None:
    recorder = MoodRecorder(store, "web-1", "live", heartbeat_s=5.0)
    written = []
    for tenth in range(0, 130):  # 13 s of happy at 10 fps
        written.append(recorder.observe(mood("happy"), T0 + timedelta(seconds=tenth / 10)))
    assert recorder.observe(mood("sad"), T0 + timedelta(seconds=13.05))  # a change is written at once
    assert not recorder.observe(mood("sad"), T0 + timedelta(seconds=14))

    rows = store.moods()
    assert sum(written) == 3 == recorder.written - 1
    assert [t.timestamp() - T0.timestamp() for t in rows["time"]] == pytest.approx([0, 5, 10, 13.05])
    assert list(rows["emotion"]) == ["happy", "happy", "happy", "sad"]
    assert set(rows["session"]) == {"web-1"} and set(rows["source"]) == {"live"}


def test_recorder_switched_off_writes_nothing_and_resumes_with_a_change(store: HistoryStore) -> None:
    recorder = MoodRecorder(store, "web-1", "live")
    recorder.observe(mood("happy"), T0)
    recorder.enabled = False
    assert not recorder.observe(mood("sad"), T0 + timedelta(seconds=1))
    assert not recorder.song("sad", "t1", "Song", ["A"])
    recorder.enabled = True
    assert recorder.observe(mood("sad"), T0 + timedelta(seconds=2))  # first mood after resuming is written
    assert list(store.moods()["emotion"]) == ["happy", "sad"]
    assert store.counts() == (2, 0)


def test_recorder_starts_again_after_the_face_is_lost(store: HistoryStore) -> None:
    recorder = MoodRecorder(store, "web-1", "live")
    assert recorder.observe(mood("happy"), T0)
    assert not recorder.observe(None, T0 + timedelta(seconds=1))
    assert recorder.observe(mood("happy"), T0 + timedelta(seconds=2))  # same label, but a new stretch
    assert recorder.written == 2


def test_recorder_records_songs(store: HistoryStore) -> None:
    recorder = MoodRecorder(store, "web-1", "live")
    assert recorder.song("happy", "t1", "Happy", ["Pharrell Williams"], "https://open.spotify.com/track/t1")
    assert recorder.song("happy", "t1", "Happy", "Pharrell Williams", event="played")
    songs = store.songs()
    assert list(songs["event"]) == ["recommended", "played"] and set(songs["session"]) == {"web-1"}


def test_recorder_keeps_going_when_the_database_fails(sqlite_store: HistoryStore, data_dir: Path) -> None:
    store = sqlite_store  # locks the SQLite file itself
    recorder = MoodRecorder(HistoryStore(store.url, busy_timeout_s=0.02, retries=1), "web-1", "live")
    locker = sqlite3.connect(data_dir / "history.sqlite", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        assert not recorder.observe(mood("happy"), T0)  # no exception into the video thread
        assert recorder.failed == 1 and "busy" in (recorder.last_error or "")
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert recorder.observe(mood("happy"), T0 + timedelta(seconds=1))  # not marked as written before
    assert recorder.written == 1


def test_recorder_refuses_an_unknown_source(store: HistoryStore) -> None:
    with pytest.raises(ValueError, match="source"):
        MoodRecorder(store, "x", "webcam")


def test_songs_shown_records_each_list_once(store: HistoryStore) -> None:
    recorder = MoodRecorder(store, "web-1", "live")
    tracks = [Track("t1", "Happy", "Pharrell Williams", url="https://x/t1"), Track("", "Hand-typed", "Someone")]
    assert recorder.songs_shown("happy", tracks) == 2
    assert recorder.songs_shown("happy", tracks) == 0  # the page reran with the same list
    assert recorder.songs_shown("happy", tracks[:1]) == 1  # "more songs" gave a new list
    assert recorder.songs_shown("happy", tracks[:1], event="played") == 1
    songs = store.songs()
    assert list(songs["track_id"]) == ["t1", "", "t1", "t1"]
    assert list(songs["event"]) == ["recommended"] * 3 + ["played"]
