"""Helpers for the end-to-end browser test and the browser benchmark.

Both drive the real app the way a person does: ``streamlit run Home.py`` in a
subprocess, Debian's Chromium through Playwright, and Chromium's fake camera fed
from a ``.y4m`` file made from a real face photo. Keeping the plumbing here lets
the test assert outcomes and the benchmark report numbers from the same setup.

Nothing here downloads anything: the face comes from scikit-image's bundled
sample data, the browser is the system one (Playwright's own browser download is
not reachable from a sandbox or CI without internet).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tests.support.paths import ROOT

if TYPE_CHECKING:  # playwright is a dev-only dependency; import it only where a browser is used
    from playwright.sync_api import Browser, FrameLocator, Page, Playwright

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium")

# Flags that make headless Chromium grant the camera without a prompt and read it from a
# file, and keep it from phoning home (there is no network to phone anyway, and waiting
# on it slows start-up). --no-sandbox because CI containers usually run as root.
BASE_CHROMIUM_ARGS = (
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--mute-audio",
    # A page in a hidden or background tab gets its timers and video throttled; the
    # benchmark runs three pages at once and must not measure that throttling.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
)


# --------------------------------------------------------------------------- browser


def find_chromium() -> str | None:
    """Path of the system Chromium, or ``None`` when it is not installed (``EMUSE_CHROMIUM`` overrides)."""
    override = os.environ.get("EMUSE_CHROMIUM")
    if override:
        return override if Path(override).exists() else None
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_chromium() -> str:
    """The Chromium path; skip without it (or without Playwright) on a dev machine, fail in CI.

    CI must prove the product works in a browser, so there a missing browser is an error.
    """
    import pytest

    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "the playwright Python package (pip install -r requirements-dev.txt)"
    else:
        chromium = find_chromium()
        if chromium:
            return chromium
        missing = "Chromium (apt-get install chromium)"
    if IN_CI:
        pytest.fail(f"CI is set but {missing} is missing: the browser tests must run in CI")
    pytest.skip(f"{missing} is not installed; these tests run in CI")


def chromium_args(y4m: Path | None) -> list[str]:
    """Chromium command-line flags: fake camera (from ``y4m`` when given), no prompts, no network chatter."""
    args = list(BASE_CHROMIUM_ARGS)
    if y4m is not None:
        args.append(f"--use-file-for-fake-video-capture={y4m}")
    return args


def launch_chromium(playwright: Playwright, y4m: Path | None = None, executable: str | None = None) -> Browser:
    """Start headless system Chromium with a fake camera that plays ``y4m`` in a loop."""
    executable = executable or find_chromium()
    if executable is None:
        raise RuntimeError("Chromium not found: install the Debian 'chromium' package or set EMUSE_CHROMIUM")
    return playwright.chromium.launch(executable_path=executable, headless=True, args=chromium_args(y4m))


@contextlib.contextmanager
def face_camera_browser(folder: Path, executable: str | None = None) -> Iterator[Browser]:
    """Headless Chromium whose fake camera plays a real face (a ``.y4m`` written into ``folder``)."""
    from playwright.sync_api import sync_playwright

    y4m = make_face_y4m(folder / "astronaut.y4m")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, y4m, executable)
        try:
            yield browser
        finally:
            browser.close()


# --------------------------------------------------------------------------- fake camera


def astronaut_rgb() -> np.ndarray:
    """A real, smiling face that ships with scikit-image (Eileen Collins), as RGB uint8."""
    from skimage import data

    return data.astronaut()


def fit_to_frame(rgb: np.ndarray, width: int = 640, height: int = 480) -> np.ndarray:
    """Scale ``rgb`` to fit ``width`` x ``height`` and centre it on a mid-grey canvas (aspect kept)."""
    import cv2

    scale = min(width / rgb.shape[1], height / rgb.shape[0])
    w, h = round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)
    resized = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
    canvas = np.full((height, width, 3), 128, np.uint8)
    top, left = (height - h) // 2, (width - w) // 2
    canvas[top : top + h, left : left + w] = resized
    return canvas


def rgb_to_i420(rgb: np.ndarray) -> bytes:
    """One frame as planar YUV 4:2:0 (BT.601 limited range), the layout a Y4M ``C420`` file holds.

    Pure numpy so the fake camera does not depend on ffmpeg being installed.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] % 2 or rgb.shape[1] % 2:
        raise ValueError(f"need an RGB image with even width and height, got shape {rgb.shape}")
    r, g, b = (rgb[..., i].astype(np.float32) for i in range(3))
    y = 16 + 0.257 * r + 0.504 * g + 0.098 * b
    u = 128 - 0.148 * r - 0.291 * g + 0.439 * b
    v = 128 + 0.439 * r - 0.368 * g - 0.071 * b

    def subsample(plane: np.ndarray) -> np.ndarray:
        return (plane[0::2, 0::2] + plane[1::2, 0::2] + plane[0::2, 1::2] + plane[1::2, 1::2]) / 4

    planes = (y, subsample(u), subsample(v))
    return b"".join(np.clip(np.rint(p), 0, 255).astype(np.uint8).tobytes() for p in planes)


def write_y4m(path: Path, frames: list[np.ndarray], fps: int = 30) -> Path:
    """Write RGB frames (all the same even size) as an uncompressed Y4M video Chromium can loop."""
    if not frames:
        raise ValueError("need at least one frame")
    height, width = frames[0].shape[:2]
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for frame in frames:
            if frame.shape[:2] != (height, width):
                raise ValueError(f"all frames must be {width}x{height}, got {frame.shape[1]}x{frame.shape[0]}")
            out.write(b"FRAME\n")
            out.write(rgb_to_i420(frame))
    os.replace(tmp, path)
    return path


def make_face_y4m(path: Path, width: int = 640, height: int = 480, seconds: float = 1.0, fps: int = 30) -> Path:
    """A ``seconds``-long Y4M clip of the astronaut face at ``width`` x ``height``, ``fps`` frames a second.

    The same still repeated: Chromium loops the file, so one second is plenty and the
    file stays small (about 0.5 MB a frame at 640x480).
    """
    frame = fit_to_frame(astronaut_rgb(), width, height)
    return write_y4m(path, [frame] * max(1, round(seconds * fps)), fps)


# --------------------------------------------------------------------------- app server


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class StreamlitServer:
    """A ``streamlit run`` subprocess; ``url`` is its base address, ``log`` its combined output."""

    process: subprocess.Popen
    url: str
    log: Path
    started_s: float  # seconds from spawn until /_stcore/health answered

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server and everything it started (it runs in its own process group)."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start_streamlit(
    data_dir: Path,
    app: str = "Home.py",
    cwd: Path = ROOT,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 60.0,
) -> StreamlitServer:
    """Start ``streamlit run app`` on a free port with loopback-only WebRTC and wait until it is healthy.

    ``EMUSE_ICE_SERVERS='[]'``: browser and server are on the same machine, so no STUN
    server (none is reachable here anyway; a configured one only delays ICE gathering).
    ``EMUSE_DATA_DIR`` keeps history and jobs out of the checkout.
    ``EMUSE_MAX_LIVE_SESSIONS=100``: these tests open streams back to back (the lifecycle
    test, 50 of them), faster than a vanished tab's live slot expires; the limit itself
    is tested in ``tests/pages/test_live.py``.
    """
    port = free_port()
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"streamlit-{port}.log"
    full_env = {
        **os.environ,
        "EMUSE_ICE_SERVERS": "[]",
        "EMUSE_MAX_LIVE_SESSIONS": "100",
        "EMUSE_DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    cmd = [
        sys.executable, "-m", "streamlit", "run", app,
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    t0 = time.monotonic()
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            cmd, cwd=cwd, env=full_env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = StreamlitServer(process, f"http://127.0.0.1:{port}", log, 0.0)
    deadline = t0 + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    server.started_s = time.monotonic() - t0
                    return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"streamlit did not become healthy within {timeout_s:.0f} s:\n{server.log_tail()}")


@contextlib.contextmanager
def running_streamlit(data_dir: Path, **kwargs: Any) -> Iterator[StreamlitServer]:
    """:func:`start_streamlit` as a context manager that always stops the server."""
    server = start_streamlit(data_dir, **kwargs)
    try:
        yield server
    finally:
        server.stop()


_TRACEBACK_RE = re.compile(r"Traceback \(most recent call last\):\n(?:[ \t].*\n)*(\S.*)")
# Raised inside Streamlit's own websocket handler when a browser tab closes abruptly (as a test's
# browser context does): server noise, not an error of the app.
_BENIGN_ERRORS = ("starlette.websockets.WebSocketDisconnected",)


def server_errors(log_text: str) -> list[str]:
    """The exception line of every traceback in a server log, except known-benign disconnects."""
    return [line for line in _TRACEBACK_RE.findall(log_text) if not any(benign in line for benign in _BENIGN_ERRORS)]


# --------------------------------------------------------------------------- page helpers


def wait_for_app(page: Page, timeout_ms: float = 60_000) -> None:
    """Wait until Streamlit has finished its script run (no 'running' indicator) and rendered the app."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app && app.getAttribute('data-test-script-state') !== 'running'
                && document.querySelector('[data-testid="stMainBlockContainer"]') !== null;
        }""",
        timeout=timeout_ms,
    )


def exception_texts(page: Page) -> list[str]:
    """The text of every Streamlit exception box on the page (empty when the page ran cleanly)."""
    return [box.inner_text() for box in page.locator('[data-testid="stException"]').all()]


def screenshot(page: Page, name: str, folder: Path) -> Path:
    """Save a PNG of ``page`` in ``folder`` and, when ``EMUSE_SCREENSHOT_DIR`` is set, copy it there too."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    extra = os.environ.get("EMUSE_SCREENSHOT_DIR")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, Path(extra) / path.name)
    return path


WEBRTC_IFRAME = 'iframe[title="streamlit_webrtc.component.webrtc_streamer"]'


def webrtc_frame(page: Page, timeout_ms: float = 60_000) -> FrameLocator:
    """The iframe streamlit-webrtc renders its video and START/STOP button in (waits for it to mount)."""
    page.wait_for_selector(WEBRTC_IFRAME, state="attached", timeout=timeout_ms)
    return page.frame_locator(WEBRTC_IFRAME).first


# Patterns for the Live page's status text (see pages/live.py).
_FRAMES_RE = re.compile(r"([\d,]+)\s+frames analysed")
_FPS_RE = re.compile(r"([\d.]+)\s*fps")
_CALLBACK_RE = re.compile(r"callback\s+([\d.]+)\s*ms")
_MOOD_RE = re.compile(r"Mood:\s*\**\s*([a-z]+)", re.IGNORECASE)


@dataclass(frozen=True)
class LiveStatus:
    """What the Live page says about the stream, read from its visible text."""

    frames: int | None
    fps: float | None
    callback_ms: float | None
    mood: str | None

    @classmethod
    def parse(cls, text: str) -> LiveStatus:
        def first(pattern: re.Pattern[str]) -> str | None:
            match = pattern.search(text)
            return match.group(1) if match else None

        frames, fps, callback, mood = (first(p) for p in (_FRAMES_RE, _FPS_RE, _CALLBACK_RE, _MOOD_RE))
        return cls(
            frames=int(frames.replace(",", "")) if frames else None,
            fps=float(fps) if fps else None,
            callback_ms=float(callback) if callback else None,
            mood=mood.lower() if mood else None,
        )


def live_status(page: Page) -> LiveStatus:
    """The Live page's current status, parsed from the main area's text."""
    main = page.locator('[data-testid="stMain"]')
    text = main.inner_text(timeout=10_000) if main.count() else page.inner_text("body")
    return LiveStatus.parse(text)


#: An init script that counts ``getUserMedia`` calls in each frame (``window.__emuseCameraRequests``).
COUNT_CAMERA_REQUESTS = """
(() => {
  const media = navigator.mediaDevices;
  if (!media || !media.getUserMedia) return;
  window.__emuseCameraRequests = 0;
  const original = media.getUserMedia.bind(media);
  media.getUserMedia = (constraints) => { window.__emuseCameraRequests += 1; return original(constraints); };
})();
"""


def camera_requests(page: Page) -> int:
    """How often the page and its frames asked for the camera (needs :data:`COUNT_CAMERA_REQUESTS`)."""
    return sum(int(frame.evaluate("() => window.__emuseCameraRequests || 0")) for frame in page.frames)


def click_start(page: Page, timeout_ms: float = 60_000) -> None:
    """Press streamlit-webrtc's START button inside its iframe."""
    button = webrtc_frame(page).get_by_role("button", name=re.compile(r"^\s*start\s*$", re.IGNORECASE))
    button.wait_for(state="visible", timeout=timeout_ms)
    button.click()


def start_stream(
    page: Page,
    first_frames_s: float = 15.0,
    attempts: int = 3,
) -> float:
    """Press START and wait until the page reports analysed frames; returns seconds from the click.

    streamlit-webrtc 0.79 under CPU load sometimes drops its context in the middle of
    a rerun and the stream never starts ("Context for key=... was not rendered");
    pressing START again recovers, so try up to ``attempts`` times.
    """
    last = LiveStatus(None, None, None, None)
    for _ in range(attempts):
        t0 = time.monotonic()
        click_start(page)
        deadline = t0 + first_frames_s
        while time.monotonic() < deadline:
            last = live_status(page)
            if last.frames:
                return time.monotonic() - t0
            time.sleep(0.25)
        # No frames: if the component still shows STOP, stop it first so START is offered again.
        stop = webrtc_frame(page).get_by_role("button", name=re.compile(r"^\s*stop\s*$", re.IGNORECASE))
        if stop.count() and stop.first.is_visible():
            stop.first.click()  # click_start then waits for START to come back
    raise AssertionError(f"no frames analysed after {attempts} presses of START; last status: {last}")


def wait_for_frames(page: Page, at_least: int, timeout_s: float = 30.0) -> LiveStatus:
    """Poll the Live page until it reports ``at_least`` analysed frames; returns that status."""
    deadline = time.monotonic() + timeout_s
    status = live_status(page)
    while time.monotonic() < deadline:
        status = live_status(page)
        if status.frames is not None and status.frames >= at_least:
            return status
        time.sleep(0.25)
    raise AssertionError(f"fewer than {at_least} frames analysed after {timeout_s:.0f} s; last status: {status}")


def temp_folder(prefix: str) -> Path:
    """A fresh temporary folder for a benchmark run (tests use pytest's ``tmp_path``)."""
    return Path(tempfile.mkdtemp(prefix=prefix))
