"""``python -m emuse history export|clear`` and ``analyze --record``.

The recorder's own policy is tested in tests/unit/history/test_recorder.py.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from emuse import cli
from emuse.history import export
from emuse.history.store import HistoryStore, open_store
from emuse.labels import EMOTIONS
from tests.support.moods import mood
from tests.support.paths import ROOT

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


# -- history export / clear ----------------------------------------------------------


def fill(store: HistoryStore) -> None:
    store.add_mood("web-a", "live", mood("happy", 0.8), T0)
    store.add_mood("web-a", "live", mood("sad", 0.6), T0 + timedelta(seconds=7))
    store.add_mood("cli-b", "cli", mood("neutral", 0.5), T0 + timedelta(hours=1))
    store.add_song("web-a", "happy", "t1", "Happy, Again", ["Pharrell", "Someone"], "https://x/t1")


def test_export_csv_has_a_header_and_every_row(store: HistoryStore, capsys: pytest.CaptureFixture) -> None:
    fill(store)
    assert cli.main(["history", "export"]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["kind"] for r in rows] == ["mood", "mood", "mood", "song"]
    first = rows[0]
    assert (first["time"], first["session"], first["source"], first[export.EMOTION_HEADER]) == (
        "2024-03-01T09:00:00+00:00",
        "web-a",
        "live",
        "happy",
    )
    assert float(first["confidence"]) == pytest.approx(0.8)
    assert rows[3]["name"] == "Happy, Again" and rows[3]["artists"] == "Pharrell, Someone"  # quoted properly
    assert "exported 4 rows" in err


def test_export_json_lines(store: HistoryStore, capsys: pytest.CaptureFixture) -> None:
    fill(store)
    assert cli.main(["history", "export", "--format", "json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 4
    for row in rows[:3]:
        assert {"time", "session", "source", "emotion", "confidence"} <= set(row)
    assert rows[2]["source"] == "cli" and rows[3]["event"] == "recommended"


def test_export_of_an_empty_history_is_just_the_header(data_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["history", "export"]) == 0
    assert capsys.readouterr().out.startswith("kind,time,session,source,emotion (smoothed: ")


def test_clear_asks_first(store: HistoryStore, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    fill(store)
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert cli.main(["history", "clear"]) == 1
    assert "Nothing deleted" in capsys.readouterr().err
    assert store.counts() == (3, 1)

    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no terminal to ask: keep everything
    assert cli.main(["history", "clear"]) == 1
    assert store.counts() == (3, 1)

    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))
    assert cli.main(["history", "clear"]) == 0
    assert "deleted 3 mood rows and 1 song rows" in capsys.readouterr().err
    assert store.counts() == (0, 0)


def test_clear_yes_and_one_session(store: HistoryStore, capsys: pytest.CaptureFixture) -> None:
    fill(store)
    assert cli.main(["history", "clear", "--yes", "--session", "cli-b"]) == 0
    assert set(store.moods()["session"]) == {"web-a"}
    assert cli.main(["history", "clear", "--yes"]) == 0
    assert store.counts() == (0, 0)


def test_history_commands_report_a_damaged_database_in_one_line(data_dir: Path, capsys) -> None:
    (data_dir / "history.sqlite").write_bytes(b"garbage" * 1000)
    assert cli.main(["history", "export"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("emuse: error: the history database") and "damaged" in err
    assert len(err.strip().splitlines()) == 1


# -- analyze --record ------------------------------------------------------------------


class FakeClassifier:
    def __init__(self, model: str | None = None) -> None:
        self.model = model


class FakeAnalyzer:
    """Reports a mood from the image's brightness, so each test image has a known mood."""

    def __init__(self, classifier: FakeClassifier, detector_settings: object = None) -> None:
        self.classifier = classifier

    def analyze(self, frame: np.ndarray, now: float | None = None):
        from emuse.vision.frame_analysis import FrameAnalysis

        label = "happy" if frame.mean() > 127 else "sad"
        return FrameAnalysis((), mood(label))


@pytest.fixture
def fake_vision(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("emuse.cli.analyze.EmotionClassifier", FakeClassifier)
    monkeypatch.setattr("emuse.cli.analyze.FrameAnalyzer", FakeAnalyzer)


def test_analyze_record_saves_one_mood_per_image_as_a_cli_session(
    data_dir: Path, tmp_path: Path, fake_vision: None, capsys: pytest.CaptureFixture
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    for name, value in (("a.png", 255), ("b.png", 0), ("c.png", 255)):
        cv2.imwrite(str(photos / name), np.full((48, 48, 3), value, np.uint8))

    assert cli.main(["analyze", str(photos), "--record", "--json"]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line)["source"].endswith(("a.png", "b.png", "c.png")) for line in out.splitlines()] == [
        True
    ] * 3  # standard output is still only the JSON records
    rows = open_store().moods()
    assert list(rows["emotion"]) == ["happy", "sad", "happy"]
    assert set(rows["source"]) == {"cli"}
    (session,) = set(rows["session"])
    assert session.startswith("cli-") and f"recorded 3 mood rows as session {session}" in err


def test_analyze_without_record_writes_no_history(data_dir: Path, tmp_path: Path, fake_vision: None) -> None:
    image = tmp_path / "a.png"
    cv2.imwrite(str(image), np.full((48, 48, 3), 255, np.uint8))
    assert cli.main(["analyze", str(image)]) == 0
    assert not (data_dir / "history.sqlite").exists()


def test_analyze_record_stops_before_analysing_when_the_history_is_unusable(
    data_dir: Path, tmp_path: Path, fake_vision: None, capsys: pytest.CaptureFixture
) -> None:
    (data_dir / "history.sqlite").write_bytes(b"garbage" * 1000)
    image = tmp_path / "a.png"
    cv2.imwrite(str(image), np.full((48, 48, 3), 255, np.uint8))
    assert cli.main(["analyze", str(image), "--record"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "damaged" in err


@pytest.mark.slow
def test_analyze_record_with_the_real_model_on_a_real_face(data_dir: Path, tmp_path: Path) -> None:
    """End to end in a fresh process: OpenCV + the registered CNN + the recorder + the SQLite file."""
    import subprocess
    import sys

    from skimage import data

    photo = tmp_path / "astronaut.png"  # Eileen Collins, bundled with scikit-image (no download)
    cv2.imwrite(str(photo), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    result = subprocess.run(
        [sys.executable, "-m", "emuse", "analyze", str(photo), "--record", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert len(json.loads(line)["faces"]) == 1
    rows = open_store().moods()
    assert len(rows) == 1 and rows["source"].iloc[0] == "cli"
    assert rows["emotion"].iloc[0] in EMOTIONS
    assert rows[[f"score_{e}" for e in EMOTIONS]].iloc[0].sum() == pytest.approx(1.0, abs=1e-3)
