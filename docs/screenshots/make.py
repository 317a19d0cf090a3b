"""The screenshot gallery: every page of eMuse in headless Chromium, saved under docs/screenshots/.

The same harness as the browser tests (``tests/support/browser.py``): ``streamlit run
Home.py`` on a free port with a private data folder, Debian's Chromium through
Playwright, and Chromium's fake camera playing a ``.y4m`` made here from two real
faces (scikit-image's astronaut, smiling, and matplotlib's Grace Hopper), so the
Live page shows two labelled boxes and the one the music follows. The Mood History
page shows a demo history written here into the private folder: a three-minute live
session with short flickers, three uploads, and a session the day before.

    python docs/screenshots/make.py            # about 2-4 minutes on 2 busy cores

Rerun it when a page changes, and look at every picture before committing it.
Needs the dev requirements and the ``chromium`` Debian package; downloads nothing.
"""

from __future__ import annotations

import io
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402  (a dev dependency, like the browser tests')

from emuse.history.recorder import MoodRecorder  # noqa: E402  (needs the project root on sys.path)
from emuse.history.store import open_store  # noqa: E402
from tests.support import browser as bs  # noqa: E402
from tests.support import faces  # noqa: E402
from tests.support.moods import mood  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}


def two_faces_frame() -> np.ndarray:
    """A 640x480 RGB webcam frame: the astronaut (larger, left) and Grace Hopper (right)."""
    frame = np.full((480, 640, 3), 128, np.uint8)
    astronaut = cv2.cvtColor(faces.astronaut_bgr(), cv2.COLOR_BGR2RGB)[14:211, 124:321]
    hopper = cv2.cvtColor(faces.grace_hopper_bgr(), cv2.COLOR_BGR2RGB)[40:390, 90:440]
    frame[90:410, 10:330] = cv2.resize(astronaut, (320, 320))
    frame[180:360, 430:610] = cv2.resize(hopper, (180, 180))
    return frame


def demo_history(data_dir: Path) -> None:
    """A class's worth of history: yesterday's short session, today's 3-minute live session and 3 uploads."""
    store = open_store(f"sqlite:///{data_dir / 'history.sqlite'}")
    today = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    plan = [("neutral", 40), ("happy", 70), ("surprise", 6), ("happy", 30), ("sad", 34)]
    for session, start, stretches in (
        ("web-demo-yesterday", today - timedelta(days=1, hours=3), [("neutral", 50), ("sad", 40), ("neutral", 30)]),
        ("web-demo-today", today, plan),
    ):
        recorder = MoodRecorder(store, session, "live")
        t = start
        for label, seconds in stretches:
            recorder.song(label, "", f"A song for {label}", ["Demo Artist"], "https://open.spotify.com/search/x", now=t)
            for step in range(seconds * 2):
                flicker = step % 37 == 36 and label != "surprise"  # a half-second flicker now and then
                recorder.observe(mood("fear" if flicker else label), t)
                t += timedelta(seconds=0.5)
    uploads = MoodRecorder(store, "web-demo-today", "upload")
    for i, label in enumerate(("happy", "neutral", "happy")):
        uploads.reset()
        uploads.observe(mood(label), today + timedelta(minutes=5, seconds=20 * i))
    store.dispose()


def save(page, name: str) -> Path:
    """The whole page as a PNG in 256 colours (a third of the bytes; the pages are mostly flat colour).

    Streamlit scrolls inside its main block, so a "full page" screenshot would stop at the
    window: the window is made as tall as the page for the picture, then put back.
    """
    for _ in range(4):  # growing the window can draw more (lazy charts): measure again until it fits
        height = page.evaluate(
            """() => Math.max(...['stMain', 'stMainBlockContainer'].map(
                (id) => document.querySelector(`[data-testid="${id}"]`)?.scrollHeight || 0))"""
        )
        wanted = max(VIEWPORT["height"], min(int(height) + 40, 5000))
        if wanted <= page.viewport_size["height"]:
            break
        page.set_viewport_size({"width": VIEWPORT["width"], "height": wanted})
        page.wait_for_timeout(700)  # one layout pass at the new size (a picture, not a test: nothing is asserted)
    png = page.screenshot(full_page=True)
    page.set_viewport_size(VIEWPORT)
    path = OUT / f"{name}.png"
    Image.open(io.BytesIO(png)).convert("RGB").quantize(256).save(path, optimize=True)
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} kB")
    return path


def open_page(page, url: str) -> None:
    """Go to ``url`` and wait until its title is drawn and the script run has finished."""
    page.goto(url)
    page.locator('[data-testid="stMain"] h1').first.wait_for()
    bs.wait_for_app(page, timeout_ms=180_000)


def wait_for_text(page, text: str, timeout_s: float = 60) -> None:
    page.get_by_text(text).first.wait_for(timeout=timeout_s * 1000)


def main() -> None:
    chromium = bs.find_chromium()
    if chromium is None:
        sys.exit("Chromium not found: sudo apt-get install chromium (or set EMUSE_CHROMIUM)")
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="emuse-gallery-"))
    data_dir = work / "data"
    data_dir.mkdir()
    demo_history(data_dir)
    y4m = bs.write_y4m(work / "two-faces.y4m", [two_faces_frame()] * 30)
    with bs.running_streamlit(data_dir) as server, sync_playwright() as playwright:
        browser = bs.launch_chromium(playwright, y4m, chromium)
        context = browser.new_context(viewport=VIEWPORT, timezone_id="UTC")
        context.set_default_timeout(120_000)
        page = context.new_page()

        open_page(page, server.url)
        page.locator('[data-testid="stImage"] img').first.wait_for()
        save(page, "home")

        open_page(page, f"{server.url}/live")
        bs.webrtc_frame(page).get_by_role("button", name="Start").wait_for()
        save(page, "live-before-start")
        bs.start_stream(page, first_frames_s=40.0)
        bs.wait_for_frames(page, at_least=30, timeout_s=120)
        wait_for_text(page, "Songs for")
        wait_for_text(page, "Music follows the largest face")
        settled = bs.live_status(page).frames or 0
        bs.wait_for_frames(page, at_least=settled + 10, timeout_s=60)  # the returned video has caught up
        save(page, "live")
        bs.webrtc_frame(page).get_by_role("button", name="Stop").click()

        page.get_by_role("button", name="Take a snapshot").click()
        page.locator('[data-testid="stCameraInput"]').first.wait_for()
        save(page, "live-snapshot")

        open_page(page, f"{server.url}/history")
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 3")
        save(page, "history")

        open_page(page, f"{server.url}/train")
        save(page, "train")

        open_page(page, f"{server.url}/playlists")
        save(page, "playlists")
        errors = bs.server_errors(server.log.read_text(errors="replace"))
        context.close()
        browser.close()
    if errors:
        sys.exit(f"the server logged errors: {errors}")


if __name__ == "__main__":
    main()
