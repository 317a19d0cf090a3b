"""The songs block and the Live page's feedback in AppTest, on the real starter playlists."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from emuse.history.store import open_store
from emuse.labels import EMOTIONS

EMBED = "https://open.spotify.com/embed/track/"


def iframes(at: AppTest) -> list[str]:
    """The ``src`` of every embed player on the page."""
    srcs = []
    for frame in at.get("iframe"):
        text = str(frame.proto)
        start = text.find(EMBED)
        if start >= 0:
            srcs.append(text[start : start + len(EMBED) + 22])
    return srcs


def _songs_app(strategy: str, emotion: str) -> None:
    import streamlit as st

    from emuse.labels import EMOTIONS
    from emuse.ui import state
    from emuse.ui.songs import follow_live_mood, recommender, songs_block

    rec = recommender("live", strategy)
    if rec.current.emotion is None:
        scores = [0.02] * 7
        scores[EMOTIONS.index(emotion)] = 0.88
        from emuse.mood import Mood

        follow_live_mood(rec, Mood(emotion, 0.88, tuple(scores)))
    st.session_state.setdefault(state.LIVE_MOOD, emotion)
    songs_block(rec, "live")


def songs_page(strategy: str = "match", emotion: str = "sad") -> AppTest:
    return AppTest.from_function(_songs_app, args=(strategy, emotion), default_timeout=60).run()


def test_a_found_mood_plays_five_real_tracks_with_a_heading_naming_it() -> None:
    at = songs_page("match", "sad")
    assert not at.exception
    srcs = iframes(at)
    assert len(srcs) == 5 and all(len(s) == len(EMBED) + 22 for s in srcs)
    assert at.markdown[0].value == "**😢 Songs for your sad mood**"
    assert len(at.get("feedback")) == 5 and "🔀 Other songs" in {b.label for b in at.button}
    assert at.toggle[0].label == "📌 Keep these songs"


def test_lift_says_what_it_is_doing_song_by_song() -> None:
    at = songs_page("lift", "sad")
    assert not at.exception
    assert at.markdown[0].value == "**😢 Lifting you from sad toward happy**"
    captions = [c.value for c in at.caption]
    assert captions[:2] == ["1 of 5 · meets you where you are", "2 of 5 · a step toward calm"]
    assert "5 of 5 · happy" in captions


def test_thumbs_down_replaces_the_song_and_is_stored(tmp_path: Path) -> None:
    at = songs_page("match", "happy")
    before = iframes(at)
    at.get("feedback")[0].set_value(0).run()  # 👎 on the first song
    assert not at.exception
    after = iframes(at)
    assert before[0] not in after and len(after) == 5 and after[1:] == before[1:]
    rows = open_store().feedback()
    assert list(rows["feedback"]) == ["down"] and rows.iloc[0]["track_id"] == before[0][len(EMBED) :]
    assert rows.iloc[0]["emotion"] == "happy"


def test_thumbs_up_is_stored_and_the_song_stays() -> None:
    at = songs_page("match", "happy")
    before = iframes(at)
    at.get("feedback")[1].set_value(1).run()  # 👍 on the second song
    assert not at.exception and iframes(at) == before
    rows = open_store().feedback()
    assert list(rows["feedback"]) == ["up"] and rows.iloc[0]["track_id"] == before[1][len(EMBED) :]
    assert before[1][len(EMBED) :] in at.session_state["_recommender"].liked("happy")


def test_the_pin_keeps_the_songs() -> None:
    at = songs_page("match", "sad")
    at.toggle[0].set_value(True).run()
    assert not at.exception
    assert at.session_state["_recommender"].pinned


def test_the_history_records_a_list_once_when_shown() -> None:
    at = songs_page("match", "neutral")
    for _ in range(3):
        at.run()  # reruns show the same list
    songs = open_store().songs()
    assert len(songs) == 5 and set(songs["emotion"]) == {"neutral"}


def _still_app(data: bytes, name: str) -> None:
    from emuse.ui import resources
    from emuse.ui.live import show_still_result

    show_still_result(resources.classifier(), data, name, "image/png", "upload", "match")


def still_page(image: np.ndarray) -> AppTest:
    ok, png = cv2.imencode(".png", image)
    assert ok
    return AppTest.from_function(_still_app, args=(png.tobytes(), "face.png"), default_timeout=120).run()


def test_an_upload_gets_its_own_songs_and_a_no_face_result_clears_them(webcam_frame: np.ndarray) -> None:
    at = still_page(webcam_frame)
    assert not at.exception
    assert len(iframes(at)) == 3  # next to the result: three players, the rest as links
    assert at.button_group[0].label == "Not right? I'm …"
    rec = at.session_state["_recommender_upload"]
    assert rec.current.emotion == "happy" and len(rec.current.tracks) == 5
    blank = np.full((480, 640, 3), 90, np.uint8)
    at2 = still_page(blank)
    assert not at2.exception and iframes(at2) == []
    assert any("No face found" in i.value for i in at2.info)


def _correction_app() -> None:
    from emuse.mood import Mood
    from emuse.ui.live import correction_pills

    scores = (0.02, 0.02, 0.04, 0.05, 0.52, 0.03, 0.32)
    correction_pills(Mood("sad", 0.52, scores), "live")


def test_a_correction_teaches_the_calibration_and_can_be_forgotten() -> None:
    at = AppTest.from_function(_correction_app, default_timeout=30).run()
    assert not at.exception
    pills = at.button_group[0]
    assert "neutral" in pills.options and "sad" not in [str(o) for o in pills.options]
    pills.set_value("neutral").run()
    assert not at.exception
    assert any(c.value == "eMuse has learned from 1 of your correction." for c in at.caption)
    calibration = at.session_state["calibration"]
    assert calibration.corrections == 1 and calibration.bias[EMOTIONS.index("neutral")] > 0
    stored = open_store().corrections(at.session_state["history_session_id"])
    assert stored and stored[0][1] == "neutral"
    next(b for b in at.button if b.label == "Forget them").click().run()
    assert at.session_state["calibration"].corrections == 0
    assert not any("learned from" in c.value for c in at.caption)


@pytest.mark.parametrize("name", ["$x$ and **bold**", "[link](https://evil.example)"])
def test_song_names_are_text(name: str) -> None:
    from emuse.ui.songs import text

    escaped = text(name)
    assert "$" not in escaped.replace("\\$", "") and "[" not in escaped.replace("\\[", "")
