"""The Mood History page in AppTest (empty and filled), and the chart builders behind it."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from emuse.history import charts
from emuse.history.recorder import MoodRecorder
from emuse.history.store import HistoryStore, open_store
from tests.support.moods import mood
from tests.support.paths import ROOT

PAGE = str(ROOT / "pages" / "history.py")
MONDAY = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)


def record(store: HistoryStore, session: str, start: datetime, plan: list[tuple[str, int]]) -> None:
    """A live session at 2 fps: ``plan`` is (emotion, seconds) stretches, as the recorder would write them."""
    recorder = MoodRecorder(store, session, "live")
    t = start
    for label, seconds in plan:
        recorder.song(
            label, f"track-{label}", f"Song for {label}", ["Some Artist"], "https://open.spotify.com/track/x", now=t
        )
        for _ in range(seconds * 2):
            recorder.observe(mood(label), t)
            t += timedelta(seconds=0.5)


@pytest.fixture
def filled(data_dir: Path) -> HistoryStore:
    store = open_store()
    record(store, "web-monday", MONDAY, [("happy", 60), ("sad", 30)])
    record(store, "web-tuesday", MONDAY + timedelta(days=1, hours=5), [("neutral", 120)])
    record(store, "web-me", MONDAY + timedelta(days=1, hours=6), [("angry", 20)])
    yield store
    store.dispose()


def run_page(session_id: str | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    if session_id:
        at.session_state["history_session_id"] = session_id
    return at.run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_empty_history_explains_instead_of_charting(data_dir: Path) -> None:
    at = run_page()
    assert not at.exception
    assert "No moods recorded yet" in at.info[0].value
    assert len(at.get("plotly_chart")) == 0
    assert len(at.get("download_button")) == 0
    assert [t.label for t in at.toggle] == ["Record my moods"] and at.toggle[0].value is True
    assert len(at.button) == 0  # nothing to delete


def test_filled_history_shows_charts_numbers_and_download(filled: HistoryStore) -> None:
    at = run_page()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 5  # timeline, share, songs, hour, weekday
    assert metrics(at) == {"Time recorded": "4 min", "Most of the time": "neutral", "Sessions": "3", "Songs": "4"}
    assert at.date_input[0].value == (date(2024, 5, 6), date(2024, 5, 7))
    assert len(at.get("download_button")) == 1
    assert any("Times in UTC" in c.value for c in at.caption)


def test_session_and_date_filters_narrow_everything(filled: HistoryStore) -> None:
    at = run_page()
    at.multiselect[0].select("web-monday").run()
    assert not at.exception
    assert metrics(at) == {"Time recorded": "2 min", "Most of the time": "happy", "Sessions": "1", "Songs": "2"}

    at.multiselect[0].unselect("web-monday").run()
    at.date_input[0].set_value((date(2024, 5, 7), date(2024, 5, 7))).run()
    assert not at.exception
    assert metrics(at)["Sessions"] == "2" and metrics(at)["Most of the time"] == "neutral"


def test_recording_toggle_is_remembered_in_session_state(data_dir: Path) -> None:
    at = run_page()
    at.toggle[0].set_value(False).run()
    assert not at.exception
    assert at.session_state["record_moods"] is False
    at.run()  # still off on the next run (as after a visit to another page)
    assert at.toggle[0].value is False and at.session_state["record_moods"] is False


def test_delete_my_session_needs_confirmation(filled: HistoryStore) -> None:
    at = run_page(session_id="web-me")
    assert at.radio[0].value == "This browser session"
    assert at.button[0].disabled  # not before "Yes, delete it for good"
    at.checkbox[0].check().run()
    at.button[0].click().run()
    assert not at.exception
    assert "Deleted 4 mood rows and 1 song rows"  # 20 s: a change and 3 heartbeats in at.success[0].value
    assert set(filled.moods()["session"]) == {"web-monday", "web-tuesday"}
    assert metrics(at)["Sessions"] == "2"  # the charts already show the history without it
    assert at.checkbox[0].value is False  # confirmation is not left armed


def test_delete_all_history(filled: HistoryStore) -> None:
    at = run_page()
    at.radio[0].set_value("All history on this server")
    at.checkbox[0].check().run()
    at.button[0].click().run()
    assert not at.exception
    assert filled.counts() == (0, 0)
    assert "No moods recorded yet" in at.info[0].value


def test_damaged_database_shows_a_warning_not_a_crash(data_dir: Path) -> None:
    (data_dir / "history.sqlite").write_bytes(b"garbage" * 1000)
    at = run_page()
    assert not at.exception
    assert "damaged" in at.warning[0].value


def test_page_does_not_import_tensorflow(filled: HistoryStore, data_dir: Path) -> None:
    script = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({PAGE!r}, default_timeout=60).run()\n"
        "assert not at.exception, at.exception\n"
        "print(len(at.get('plotly_chart')), 'tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["5", "False", "False"]


# -- chart builders ----------------------------------------------------------------------


def frame(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    """Mood rows from (session, emotion, seconds after MONDAY)."""
    return pd.DataFrame(
        {
            "id": range(len(rows)),
            "time": [pd.Timestamp(MONDAY + timedelta(seconds=s)) for _, _, s in rows],
            "session": [r[0] for r in rows],
            "source": "live",
            "emotion": [r[1] for r in rows],
            "confidence": 0.7,
        }
    )


def test_spans_last_until_the_next_row_unless_the_person_left() -> None:
    rows = frame([("a", "happy", 0), ("a", "happy", 5), ("a", "sad", 8), ("a", "sad", 600), ("b", "fear", 3)])
    spans = charts.spans(rows, heartbeat_s=5.0)
    by_start = spans.sort_values(["session", "start"])["seconds"].tolist()
    # 0->5, 5->8, 8: next row 592 s later is a gap -> one heartbeat, 600: last row -> one heartbeat; b: one heartbeat
    assert by_start == [5, 3, 5, 5, 5]
    bands = charts.bands(spans)
    assert sorted(zip(bands["session"], bands["emotion"], bands["seconds"], strict=True)) == [
        ("a", "happy", 8.0),
        ("a", "sad", 5.0),
        ("a", "sad", 5.0),
        ("b", "fear", 5.0),
    ]


def test_hour_and_weekday_use_the_viewers_time_zone() -> None:
    spans = charts.spans(frame([("a", "happy", 0)]))  # Monday 09:00 UTC = Monday 18:00 in Tokyo
    tokyo = charts.hour_figure(spans, ZoneInfo("Asia/Tokyo"))
    assert list(tokyo.data[0].x) == [18]
    honolulu = charts.weekday_figure(spans, ZoneInfo("Pacific/Honolulu"))  # Sunday 23:00 there
    assert list(honolulu.data[0].x) == ["Sun"]
    assert charts.zone("Not/AZone").key == "UTC" and charts.zone(None).key == "UTC"


def test_day_range_covers_whole_local_days() -> None:
    start, end = charts.day_range(date(2024, 5, 6), date(2024, 5, 6), ZoneInfo("Europe/Paris"))
    assert start.astimezone(UTC) == datetime(2024, 5, 5, 22, tzinfo=UTC)
    assert end - start == timedelta(days=1)


def test_page_csv_matches_the_cli_export_layout(filled: HistoryStore) -> None:
    data = charts.export_csv(filled.moods(), filled.songs()).decode()
    rows = list(csv.DictReader(io.StringIO(data)))
    exported = list(filled.export_rows())
    assert len(rows) == len(exported)
    assert rows[0]["time"] == exported[0]["time"] == "2024-05-06T09:00:00+00:00"
    assert {r["kind"] for r in rows} == {"mood", "song"}
    assert data.splitlines()[0].startswith("kind,time,session,source,emotion,confidence,score_angry")


def test_empty_figures_say_so() -> None:
    empty = charts.spans(pd.DataFrame(columns=["id", "time", "session", "source", "emotion", "confidence"]))
    for figure in (charts.timeline_figure(charts.bands(empty)), charts.share_figure(empty)):
        assert figure.layout.annotations[0].text == "No moods in this selection"


def test_ui_recorders_follow_the_switch_and_count_stills_once(data_dir: Path) -> None:
    def app() -> None:
        import streamlit as st

        from emuse.mood import Mood
        from emuse.ui.history import mood_recorder
        from emuse.ui.live import record_still_once

        happy = Mood("happy", 0.7, (0.05, 0.05, 0.05, 0.7, 0.05, 0.05, 0.05))
        live = mood_recorder("live")
        st.session_state.setdefault("results", []).append((live.enabled, live.observe(happy)))
        record_still_once(happy, "snapshot", b"picture-1")
        record_still_once(happy, "snapshot", b"picture-1")  # the same picture on a rerun
        record_still_once(happy, "upload", b"picture-2")

    at = AppTest.from_function(app, default_timeout=60).run()
    assert not at.exception
    at.session_state["record_moods"] = False
    at.run()
    assert not at.exception
    assert at.session_state["results"] == [(True, True), (False, False)]
    store = open_store()
    moods = store.moods()
    assert list(moods["source"]) == ["live", "snapshot", "upload"]
    (session,) = set(moods["session"])
    assert session == at.session_state["history_session_id"] and session.startswith("web-")
    store.dispose()


def test_history_with_songs_but_no_moods_still_renders(data_dir: Path) -> None:
    store = open_store()
    store.add_song("web-x", "happy", "t1", "Happy", "Pharrell Williams")
    at = run_page()
    assert not at.exception
    assert metrics(at) == {"Time recorded": "0 min", "Most of the time": "–", "Sessions": "1", "Songs": "1"}
    assert len(at.get("plotly_chart")) == 5
    store.dispose()
