"""Every page runs in Streamlit's AppTest without an exception, and the Live fallbacks work."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.support.paths import ROOT

PAGES = ["pages/home.py", "pages/live.py", "pages/history.py", "pages/train.py", "pages/playlists.py"]


def open_page(page: str) -> AppTest:
    """Run the app as Streamlit would (Home.py's navigation), then switch to ``page``."""
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    return at.switch_page(page).run()


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_without_exception(page: str) -> None:
    at = open_page(page)
    assert not at.exception, at.exception
    assert at.title, "every page has a title"


def test_home_navigation_runs() -> None:
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "🎵 eMuse"


def test_live_page_without_webrtc_offers_snapshot_and_upload() -> None:
    at = open_page("pages/live.py")
    assert not at.exception
    assert any("snapshot or an upload" in info.value for info in at.info)
    assert at.sidebar.selectbox[0].value == "emuse_resnet_ensemble"  # models/DEFAULT, listed first
    assert [tab.label for tab in at.tabs] == ["📸 Snapshot", "📁 Upload a photo or video"]


def test_live_page_asks_for_no_camera_until_the_person_does() -> None:
    """No ``st.camera_input`` (which switches the camera on when drawn) before "Take a snapshot"."""
    at = open_page("pages/live.py")
    assert at.get("camera_input") == []
    take = next(b for b in at.button if b.label == "Take a snapshot")
    at = take.click().run()
    assert not at.exception, at.exception
    assert len(at.get("camera_input")) == 1
    at = next(b for b in at.button if b.label == "Close the camera").click().run()
    assert at.get("camera_input") == []
