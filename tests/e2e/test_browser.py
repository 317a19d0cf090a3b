"""End to end in a real browser: the app as a person uses it, webcam included.

``streamlit run Home.py`` runs as a subprocess; Debian's Chromium, driven by
Playwright, plays a fake camera made from a real face photo (scikit-image's
astronaut, a smiling face) over WebRTC on loopback. The Live page's own text says
how many frames reached the Python callback and which mood it sees, so the test
reads that text, as a user would, and also checks that the video coming back is
annotated (the box and label drawn in the mood's colour).

In CI (``CI`` set) these tests must run: a missing Chromium is a failure there, and
only a skip on a developer machine without it.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from emuse.labels import EMOTIONS
from tests.support import browser as bs

pytestmark = pytest.mark.browser

PAGES = {  # link text on Home -> url path
    "Live": "live",
    "Mood History": "history",
    "Playlists": "playlists",
    "Train & Evaluate": "train",
}
HAPPY_BGR_TOLERANCE = 40  # max per-channel distance from the 'happy' colour after VP8 compression
# A floor that only catches a stalled stream: on a 2-core machine shared with other jobs the page
# has been seen at ~1 fps, unloaded at 20+. The browser benchmark measures; this test does not.
MIN_FPS = 0.5


@pytest.fixture(scope="module")
def chromium_path() -> str:
    return bs.require_chromium()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="module")
def server(chromium_path: str, workdir: Path) -> Iterator[bs.StreamlitServer]:
    with bs.running_streamlit(workdir / "data") as running:
        yield running


@pytest.fixture(scope="module")
def browser(chromium_path: str, workdir: Path):
    with bs.face_camera_browser(workdir, chromium_path) as browser:
        yield browser


@pytest.fixture
def page(browser, server: bs.StreamlitServer):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)
    page = context.new_page()
    yield page
    context.close()


def test_home_renders_and_links_to_every_page(page, server: bs.StreamlitServer, workdir: Path) -> None:
    t0 = time.monotonic()
    page.goto(server.url)
    bs.wait_for_app(page)
    page.get_by_role("heading", name="eMuse").wait_for()
    print(f"Home rendered {time.monotonic() - t0:.1f} s after the request ({server.started_s:.1f} s server start)")
    assert bs.exception_texts(page) == []
    bs.screenshot(page, "home", workdir / "screenshots")

    page.get_by_role("button", name="Start the camera").click()  # Home's one start button
    page.wait_for_url("**/live", timeout=30_000)

    for link_text, url_path in PAGES.items():
        page.goto(server.url)
        bs.wait_for_app(page)
        page.locator('[data-testid="stMain"] a', has_text=link_text).first.click()
        page.wait_for_url(f"**/{url_path}", timeout=30_000)
        heading = page.locator('[data-testid="stMain"] h1').first
        heading.wait_for(timeout=120_000)  # the Live and Train pages load TensorFlow on first visit
        try:
            bs.wait_for_app(page, timeout_ms=120_000)
        finally:
            bs.screenshot(page, f"page-{url_path}", workdir / "screenshots")
        assert bs.exception_texts(page) == [], f"/{url_path} shows an exception"
        assert heading.inner_text().strip(), f"/{url_path} has an empty title"
    assert bs.server_errors(server.log.read_text(errors="replace")) == [], server.log_tail()


def test_live_video_detects_a_happy_face(page, server: bs.StreamlitServer, workdir: Path) -> None:
    page.context.add_init_script(bs.COUNT_CAMERA_REQUESTS)  # in every frame, the webrtc iframe included
    page.goto(f"{server.url}/live")
    bs.wait_for_app(page)
    bs.webrtc_frame(page).get_by_role("button", name="Start").wait_for()
    assert bs.camera_requests(page) == 0, "the camera was asked for before START"
    first_frame_s = bs.start_stream(page, first_frames_s=25.0)
    print(f"first analysed frame {first_frame_s:.1f} s after START")
    assert bs.camera_requests(page) >= 1

    early = bs.wait_for_frames(page, at_least=10, timeout_s=60)
    later = bs.wait_for_frames(page, at_least=early.frames + 1, timeout_s=30)  # a condition, not a fixed sleep
    assert later.frames > early.frames  # frames keep reaching the Python callback

    deadline = time.monotonic() + 20
    status = bs.live_status(page)
    while status.mood != "happy" and time.monotonic() < deadline:
        time.sleep(0.5)
        status = bs.live_status(page)
    assert status.mood in EMOTIONS, f"no mood label on the page: {status}"
    assert status.mood == "happy", f"the smiling astronaut should read as happy: {status}"
    assert status.fps is not None and status.fps > MIN_FPS, f"too few frames a second reach the callback: {status}"
    assert status.callback_ms is not None and status.callback_ms > 0, status
    print(f"live status: {status}")

    # The video that comes back is annotated: the box and label are drawn in the mood's colour
    # (the astronaut photo itself has no pixel that close to it).
    video = bs.webrtc_frame(page).locator("video").first
    annotated = _happy_pixels(video.screenshot())
    assert annotated > 200, f"no 'happy' box drawn on the returned video ({annotated} pixels of its colour)"

    # Once a mood is found, the songs beside it play in the page: Spotify embed players built from
    # the starter lists' real track IDs (their content cannot load without internet; the elements are there).
    players = page.locator('[data-testid="stMain"] iframe[src^="https://open.spotify.com/embed/track/"]')
    deadline = time.monotonic() + 30
    while players.count() < 3 and time.monotonic() < deadline:
        time.sleep(0.5)
    srcs = [players.nth(i).get_attribute("src") or "" for i in range(players.count())]
    assert len(srcs) >= 3, f"expected at least three embed players once a mood is found, found {srcs}"
    assert len(srcs) <= 5, f"at most five players in one list, found {len(srcs)}"
    assert all(re.fullmatch(r"https://open\.spotify\.com/embed/track/[0-9A-Za-z]{22}", s) for s in srcs), srcs
    page.get_by_text("Songs for your happy mood").first.wait_for(timeout=10_000)

    shot = bs.screenshot(page, "live", workdir / "screenshots")
    assert shot.stat().st_size > 10_000
    assert bs.exception_texts(page) == []

    bs.webrtc_frame(page).get_by_role("button", name="Stop").click()
    assert bs.server_errors(server.log.read_text(errors="replace")) == [], server.log_tail()


def _happy_pixels(png: bytes) -> int:
    """How many pixels of a PNG are close to the colour the Live page draws 'happy' in."""
    import cv2

    from emuse.labels import COLORS, hex_to_bgr

    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    distance = np.abs(image.astype(np.int16) - np.array(hex_to_bgr(COLORS["happy"]), np.int16)).max(axis=2)
    return int((distance < HAPPY_BGR_TOLERANCE).sum())


def test_deep_link_on_a_fresh_server_uses_the_app_navigation(chromium_path: str, browser, workdir: Path) -> None:
    """Opening /history as the very first request (a bookmark, a server restart) must run Home.py's navigation.

    With a folder literally named ``pages/`` next to the entry point, Streamlit falls back to
    its old pages-folder mode until some session has run ``st.navigation``; each page's
    ``runtime.enter_through_home()`` switches the process over and reruns through ``Home.py``.
    """
    with bs.running_streamlit(workdir / "fresh-data") as fresh:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            page.goto(f"{fresh.url}/history")
            bs.wait_for_app(page)
            nav = page.locator('[data-testid="stSidebarNav"]')
            nav.wait_for(timeout=30_000)
            # The first run may still be the pages-folder one; the page reruns itself through Home.py.
            from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

            with contextlib.suppress(PlaywrightTimeoutError):
                nav.get_by_text("Mood History").wait_for(timeout=20_000)
            links = nav.inner_text()
            bs.screenshot(page, "deep-link-history", workdir / "screenshots")
            assert "Mood History" in links and "Train & Evaluate" in links, f"sidebar shows file names: {links!r}"
            assert bs.exception_texts(page) == []
        finally:
            context.close()
