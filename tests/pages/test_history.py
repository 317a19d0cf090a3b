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

from emuse import cli
from emuse.history import charts
from emuse.history.recorder import MoodRecorder
from emuse.history.store import HistoryStore, open_store
from emuse.mood import Mood
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
    """The page through Home.py's navigation, as the app runs it (``st.page_link`` needs the app's pages)."""
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60)
    if session_id:
        at.session_state["history_session_id"] = session_id
    return at.run().switch_page("pages/history.py").run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_empty_history_explains_instead_of_charting(data_dir: Path) -> None:
    at = run_page()
    assert not at.exception
    assert "No moods recorded yet" in at.info[0].value
    (link,) = at.get("page_link")  # in this tab, through the app's navigation (not a new browser tab)
    assert link.proto.page == "live" and link.proto.label == "Go to Live"
    assert len(at.get("plotly_chart")) == 0
    assert len(at.get("download_button")) == 0
    assert [t.label for t in at.toggle] == ["Record my moods"] and at.toggle[0].value is True
    assert len(at.button) == 0  # nothing to delete


def test_filled_history_shows_charts_numbers_and_download(filled: HistoryStore) -> None:
    at = run_page()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 5  # timeline, minutes, songs, hour, weekday
    assert metrics(at) == {"Time recorded": "3.8 min", "Most of the time": "neutral", "Sessions": "3", "Songs": "4"}
    assert at.slider[0].value == (date(2024, 5, 6), date(2024, 5, 7))  # a range slider: never half picked
    assert len(at.date_input) == 0
    assert len(at.get("download_button")) == 1
    assert any("Times in UTC" in c.value for c in at.caption)


def test_session_and_date_filters_narrow_everything(filled: HistoryStore) -> None:
    at = run_page()
    at.multiselect[0].select("web-monday").run()
    assert not at.exception
    assert metrics(at) == {"Time recorded": "1.5 min", "Most of the time": "happy", "Sessions": "1", "Songs": "2"}

    at.multiselect[0].unselect("web-monday").run()
    at.slider[0].set_value((date(2024, 5, 7), date(2024, 5, 7))).run()
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


def test_page_csv_matches_the_cli_export_layout(filled: HistoryStore, capsys: pytest.CaptureFixture) -> None:
    filled.add_mood("web-odd", "live", Mood("sad", 1 / 3, (0.1, 0.0, 0.0, 0.4, 1 / 3, 0.0, 0.1666666)), MONDAY)
    data = charts.export_csv(filled.moods(), filled.songs()).decode()
    rows = list(csv.DictReader(io.StringIO(data)))
    exported = list(filled.export_rows())
    assert len(rows) == len(exported)
    assert rows[0]["time"] == exported[0]["time"] == "2024-05-06T09:00:00+00:00"
    assert {r["kind"] for r in rows} == {"mood", "song"}
    header = data.splitlines()[0]
    assert header.startswith("kind,time,session,source,emotion (smoothed: kept until another mood leads")
    assert "not always the highest score" in header and header.endswith(
        ",confidence,score_angry,score_disgust"
        ",score_fear,score_happy,score_sad,score_surprise,score_neutral,track_id,name,artists,url,event,feedback,corrected_to"
    )
    odd = next(r for r in rows if r["session"] == "web-odd")  # stored as sad though happy scores higher
    assert (odd["confidence"], odd["score_sad"], odd["score_neutral"]) == ("0.3333", "0.3333", "0.1667")
    assert all(len(r["confidence"].split(".")[-1]) <= 4 for r in rows if r["kind"] == "mood")

    paris = charts.export_csv(filled.moods(), filled.songs(), ZoneInfo("Europe/Paris")).decode()
    assert next(csv.DictReader(io.StringIO(paris)))["time"] == "2024-05-06T11:00:00+02:00"

    assert cli.main(["history", "export"]) == 0  # the command line writes the same file
    assert sorted(capsys.readouterr().out.splitlines()) == sorted(data.splitlines())


def test_empty_figures_say_so() -> None:
    empty = charts.spans(pd.DataFrame(columns=["id", "time", "session", "source", "emotion", "confidence"]))
    for figure in (charts.timeline_figure(charts.bands(empty)), charts.minutes_figure(empty)):
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
    assert metrics(at) == {"Time recorded": "0 s", "Most of the time": "–", "Sessions": "1", "Songs": "1"}
    assert len(at.get("plotly_chart")) == 3  # timeline, minutes and songs; no hour or weekday chart of nothing
    store.dispose()


def test_short_flickers_merge_into_their_neighbours_for_display_only() -> None:
    """A 3-minute session with a one-second flicker every 20 s reads as three bands, not a barcode."""
    rows = []
    for t in range(0, 180, 5):  # a row every 5 s (the recorder's heartbeat), a 1-2 s flicker every 20 s
        label = ("happy", "neutral", "sad")[t // 60]
        rows.append(("a", label, t))
        if t % 20 == 10:
            rows += [("a", "surprise" if t % 40 else "fear", t + 1), ("a", label, t + 2.5)]
    spans = charts.spans(frame(sorted(rows, key=lambda r: r[2])))
    raw = charts.bands(spans)
    merged = charts.bands(spans, min_seconds=5.0)
    assert len(raw) == 21  # every flicker is its own band without merging: 9 flickers between 12 stretches
    assert list(merged["emotion"]) == ["happy", "neutral", "sad"]
    assert merged["seconds"].sum() == pytest.approx(spans["seconds"].sum())
    assert (merged["end"].iloc[:-1].to_numpy() == merged["start"].iloc[1:].to_numpy()).all()
    figure = charts.timeline_figure(merged, {"a": "Mon 6 May: Live, 09:00-09:03"})
    assert {trace.name for trace in figure.data} == {"happy", "neutral", "sad"}  # the legend names each colour
    assert all(list(trace.text) == [trace.name] for trace in figure.data)  # each band is labelled
    assert set(figure.data[0].y) == {"Mon 6 May: Live, 09:00-09:03"}


def test_a_short_first_band_goes_to_the_next_and_a_long_one_stays() -> None:
    spans = charts.spans(frame([("a", "fear", 0), ("a", "happy", 2), ("a", "sad", 12), ("a", "sad", 15)]))
    merged = charts.bands(spans, min_seconds=5.0)
    assert list(zip(merged["emotion"], merged["seconds"], strict=True)) == [("happy", 12.0), ("sad", 8.0)]
    assert merged["start"].iloc[0] == pd.Timestamp(MONDAY)


def test_sessions_are_named_by_source_and_time(data_dir: Path) -> None:
    store = open_store()
    record(store, "web-class", MONDAY, [("happy", 150), ("neutral", 30)])
    for i in range(3):
        store.add_mood("web-class", "upload", mood("sad"), MONDAY + timedelta(minutes=10 + i))
    store.add_mood("web-snap", "snapshot", mood("sad"), MONDAY + timedelta(hours=2))
    store.add_mood("cli-1", "cli", mood("sad"), MONDAY + timedelta(hours=3))
    labels = charts.session_labels(store.sessions(), store.session_sources(), ZoneInfo("UTC"))
    assert labels == {
        "cli-1": "Mon 6 May: command line, 12:00",
        "web-snap": "Mon 6 May: 1 snapshot",
        "web-class": "Mon 6 May: Live, 09:00-09:02, 3 uploads",
    }
    at = run_page()
    assert at.multiselect[0].options == list(labels.values())
    store.dispose()


def test_one_day_of_data_has_no_date_picker_and_one_hour_no_hour_chart(data_dir: Path) -> None:
    store = open_store()
    record(store, "web-a", MONDAY, [("happy", 60), ("sad", 30)])
    at = run_page()
    assert not at.exception
    assert len(at.slider) == 0 and len(at.date_input) == 0
    assert "Monday 6 May 2024" in " ".join(m.value for m in at.markdown)
    assert [tab.label for tab in at.tabs] == ["Top songs"]
    assert len(at.get("plotly_chart")) == 3
    store.dispose()
