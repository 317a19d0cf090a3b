"""The Live page's detector choice: BlazeFace by default, Haar on request, the session follows the choice."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from emuse.ui import state
from tests.support.paths import ROOT


def open_live() -> AppTest:
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    at = at.switch_page("pages/live.py").run()
    assert not at.exception, at.exception
    return at


def detector_widget(at: AppTest):  # AppTest does not export its element classes
    (widget,) = [w for w in at.sidebar.button_group if w.label == "Face detector"]
    return widget


def test_blazeface_is_the_default_and_haar_can_be_chosen(monkeypatch) -> None:
    monkeypatch.delenv("EMUSE_DETECTOR", raising=False)
    at = open_live()
    assert detector_widget(at).value == "blazeface"
    assert at.session_state[state.LIVE_SESSION].detector == "blazeface"
    detector_widget(at).set_value("haar").run()
    assert not at.exception, at.exception
    session = at.session_state[state.LIVE_SESSION]
    assert session.detector_asked == "haar" and session.detector == "haar"


def test_the_environment_sets_the_default_and_a_bad_value_says_what_to_use(monkeypatch) -> None:
    monkeypatch.setenv("EMUSE_DETECTOR", "haar")
    at = open_live()
    assert detector_widget(at).value == "haar"
    monkeypatch.setenv("EMUSE_DETECTOR", "yolo")
    at = open_live()
    assert not at.exception, at.exception
    assert any("EMUSE_DETECTOR='yolo'" in error.value and "blazeface, haar" in error.value for error in at.error)
    assert detector_widget(at).value == "blazeface"


def test_a_complete_run_records_the_page_it_showed() -> None:
    """What the stall guard in emuse/ui/live.py relies on to tell a rerun from a return to the page."""
    at = open_live()
    assert at.session_state[state.LAST_COMPLETED_PAGE] == "live"
    at.switch_page("pages/history.py").run()
    assert at.session_state[state.LAST_COMPLETED_PAGE] == "history"
