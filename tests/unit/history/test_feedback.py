"""Feedback in the history database: 👍/👎 and corrections stored, migrated, exported, refitted."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from emuse.history import export, schema
from emuse.history.recorder import MoodRecorder
from emuse.history.store import HistoryStore, open_store
from emuse.music.store import Track
from emuse.vision.calibration import Calibration
from tests.support.moods import mood

TID = "2H7PHVdQ3mXqEHXcvclTB0"
SCORES = (0.02, 0.02, 0.04, 0.05, 0.52, 0.03, 0.32)


def test_song_feedback_and_corrections_round_trip(store: HistoryStore) -> None:
    recorder = MoodRecorder(store, "web-f", "live")
    song = Track(TID, "1999", "Prince")
    assert recorder.song_feedback("happy", song, liked=True)
    assert recorder.song_feedback("happy", Track("", "=HYPERLINK(1)", "x"), liked=False)
    assert recorder.correction("sad", "neutral", SCORES)
    rows = store.feedback()
    assert list(rows["feedback"]) == ["up", "down", "correction"]
    up = rows.iloc[0]
    assert (up["emotion"], up["track_id"], up["name"], up["url"]) == (
        "happy",
        TID,
        "1999",
        f"https://open.spotify.com/track/{TID}",
    )
    assert np.isnan(up["score_sad"])  # songs carry no scores
    assert store.corrections("web-f") == [(SCORES, "neutral")]
    assert store.corrections("someone-else") == []
    # the stored corrections refit the same calibration as the live one
    live = Calibration()
    live.add(SCORES, "neutral")
    assert np.allclose(Calibration.from_corrections(store.corrections("web-f")).bias, live.bias)


def test_feedback_is_not_written_while_recording_is_off(store: HistoryStore) -> None:
    recorder = MoodRecorder(store, "web-off", "live", enabled=False)
    assert not recorder.correction("sad", "neutral", SCORES)
    assert not recorder.song_feedback("sad", Track(TID, "1999", "Prince"), liked=True)
    assert store.feedback().empty


def test_bad_feedback_is_refused(store: HistoryStore) -> None:
    with pytest.raises(ValueError, match="unknown emotion"):
        store.add_correction("web", "sad", "bored", SCORES)
    with pytest.raises(ValueError, match="7 scores"):
        store.add_correction("web", "sad", "neutral", (0.5, 0.5))


def test_export_and_clear_include_feedback(store: HistoryStore, capsys: pytest.CaptureFixture) -> None:
    from emuse import cli

    store.add_mood("web-x", "live", mood("sad", 0.6))
    store.add_song_feedback("web-x", "sad", False, TID, "1999", "Prince")
    store.add_correction("web-x", "sad", "neutral", SCORES)
    assert cli.main(["history", "export"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    kinds = [(r["kind"], r["feedback"]) for r in rows]
    assert kinds == [("mood", ""), ("feedback", "down"), ("feedback", "correction")]
    assert rows[1]["track_id"] == TID and rows[1]["score_sad"] == ""
    emotion = export.EMOTION_HEADER  # the CSV header explains the smoothed emotion column
    assert (rows[2][emotion], rows[2]["corrected_to"], float(rows[2]["score_sad"])) == ("sad", "neutral", 0.52)
    store.clear(["web-x"])
    assert store.feedback().empty


V2_SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY);
INSERT INTO schema_version VALUES (2);
CREATE TABLE moods (
    id INTEGER NOT NULL PRIMARY KEY, time DATETIME NOT NULL, session VARCHAR(64) NOT NULL,
    source VARCHAR(16) NOT NULL, emotion VARCHAR(16) NOT NULL, confidence FLOAT NOT NULL,
    score_angry FLOAT NOT NULL, score_disgust FLOAT NOT NULL, score_fear FLOAT NOT NULL, score_happy FLOAT NOT NULL,
    score_sad FLOAT NOT NULL, score_surprise FLOAT NOT NULL, score_neutral FLOAT NOT NULL
);
CREATE TABLE songs (
    id INTEGER NOT NULL PRIMARY KEY, time DATETIME NOT NULL, session VARCHAR(64) NOT NULL,
    emotion VARCHAR(16) NOT NULL, track_id VARCHAR(64) NOT NULL, name TEXT NOT NULL, artists TEXT NOT NULL,
    url TEXT NOT NULL, event VARCHAR(16) DEFAULT 'recommended' NOT NULL
);
INSERT INTO songs VALUES (1, '2023-12-31 23:00:01.000000', 'old', 'sad', 'x1', 'Hurt', 'Johnny Cash', 'https://x',
    'played');
"""


def test_version_2_database_gains_the_feedback_table(data_dir: Path) -> None:
    path = data_dir / "history.sqlite"
    with sqlite3.connect(path) as raw:
        raw.executescript(V2_SCHEMA)
    store = open_store()
    assert store.schema_version() == schema.SCHEMA_VERSION == 3
    assert store.songs().iloc[0]["event"] == "played"  # old rows kept
    store.add_correction("old", "sad", "neutral", SCORES)
    assert store.corrections("old") == [(SCORES, "neutral")]
    with sqlite3.connect(path) as raw:
        assert "ix_feedback_session" in {row[1] for row in raw.execute("PRAGMA index_list(feedback)")}
    store.dispose()
