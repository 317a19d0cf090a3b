"""Many browsers come and go mid-stream: the server gives back what each one took.

A class demo means dozens of people opening the Live page, streaming for a few
seconds and closing the tab (or losing Wi-Fi) without pressing STOP. Each stream
costs the server threads (streamlit-webrtc's worker and polling threads, aiortc's
decoder and encoder threads), sockets (ICE, DTLS) and memory (our ``LiveSession``
and its queue). If any of that outlives the browser, a long-running server dies of
it. So this test runs the real server and real Chromium through 50 connect /
disconnect cycles and checks that the server process's thread count, open file
descriptors and memory come back to where they were after one warm-up cycle.

Per cycle: a new browser context (a new Streamlit session), ``/live``, START, wait
until the page reports analysed frames, then close the context abruptly (every
fifth cycle presses STOP first, the polite way out).

Streamlit keeps a disconnected session for ``server.disconnectedSessionTTL`` seconds
(120 by default) in case the browser comes back; the test server runs with 3 s so
the wait is short. Its store only reaps expired sessions when another session is
stored, so the test ends with one plain page visit after the TTL. The peer
connections close on their own when the browser stops answering ICE (within ~30 s);
so do those of the STOP cycles when the tab closes before the server has run the
rerun that STOP asks for.

Process metrics alone can't tell a leaked session from memory the allocator keeps
for reuse, so the server also gets a census hook, for this test only: a
``sitecustomize.py`` on its ``PYTHONPATH`` starts a thread that, when the test
drops a request file, runs ``gc.collect()``, counts live objects by class
(``LiveSession``, Streamlit's ``AppSession``, aiortc's ``RTCPeerConnection`` ...),
calls glibc's ``malloc_trim(0)`` and writes the counts back. Nothing in the app
changes and no endpoint is opened. Measured on the 2-core dev machine: threads and
fds come back exactly; raw RSS keeps ~150-250 MB of the peak (freed heap in glibc's
per-thread arenas: ``malloc_trim`` returns it), trimmed RSS stays flat over 60 cycles.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import browser as bs

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CYCLES = 50
STOP_EVERY = 5  # every fifth cycle presses STOP before leaving; the others just vanish
SESSION_TTL_S = 3  # server.disconnectedSessionTTL for the test server (Streamlit's default: 120)
THREAD_TOLERANCE = 5
FD_TOLERANCE = 5
RSS_TOLERANCE_MB = 150.0  # after malloc_trim; one leaked session a cycle would add far more
SETTLE_TIMEOUT_S = 120.0  # ICE consent (~30 s) + TTL + polling threads (1 s) + slack for a loaded machine
OBJECT_TOLERANCE = 2  # a pooled thread may keep the last script-run context (one session) until its next job
# Per-session objects that must not pile up: ours, Streamlit's session, streamlit-webrtc's worker, aiortc's.
COUNTED = ("LiveSession", "AppSession", "WebRtcWorker", "RTCPeerConnection", "RemoteStreamTrack")

# Installed as sitecustomize.py for the server process only (see the module docstring).
CENSUS_HOOK = textwrap.dedent(
    """
    import os

    if os.environ.get("EMUSE_TEST_CENSUS_DIR"):
        import collections, ctypes, gc, json, threading, time

        def _census(folder):
            request = os.path.join(folder, "request")
            while True:
                time.sleep(0.3)
                if not os.path.exists(request):
                    continue
                with open(request) as f:
                    names = f.read().split()
                os.remove(request)
                gc.collect()
                counts = collections.Counter(type(o).__name__ for o in gc.get_objects())
                ctypes.CDLL("libc.so.6").malloc_trim(0)
                part = os.path.join(folder, "counts.json.part")
                with open(part, "w") as f:
                    json.dump({name: counts.get(name, 0) for name in names}, f)
                os.replace(part, os.path.join(folder, "counts.json"))

        folder = os.environ["EMUSE_TEST_CENSUS_DIR"]
        threading.Thread(target=_census, args=(folder,), name="test-census", daemon=True).start()
    """
)


@dataclass(frozen=True)
class Resources:
    """What the server process holds at one moment."""

    threads: int
    fds: int
    rss_mb: float

    def __str__(self) -> str:
        return f"{self.threads} threads, {self.fds} fds, {self.rss_mb:.0f} MB RSS"


def resources(pid: int) -> Resources:
    import psutil

    process = psutil.Process(pid)
    return Resources(process.num_threads(), process.num_fds(), process.memory_info().rss / 2**20)


def census(folder: Path, timeout_s: float = 30.0) -> dict[str, int]:
    """Live objects of each ``COUNTED`` class in the server, after a full collection (trims the heap too)."""
    answer = folder / "counts.json"
    answer.unlink(missing_ok=True)
    (folder / "request").write_text(" ".join(COUNTED))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if answer.exists():
            return json.loads(answer.read_text())
    raise AssertionError(f"the server's census hook did not answer within {timeout_s:.0f} s")


@pytest.fixture(scope="module")
def chromium_path() -> str:
    return bs.require_chromium()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser-lifecycle")


@pytest.fixture(scope="module")
def census_dir(workdir: Path) -> Path:
    return workdir / "census"


@pytest.fixture(scope="module")
def server(chromium_path: str, workdir: Path, census_dir: Path) -> Iterator[bs.StreamlitServer]:
    hook = workdir / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(CENSUS_HOOK)
    census_dir.mkdir()
    env = {
        "STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": str(SESSION_TTL_S),
        "EMUSE_TEST_CENSUS_DIR": str(census_dir),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")])),
    }
    with bs.running_streamlit(workdir / "data", env=env) as running:
        yield running


@pytest.fixture(scope="module")
def browser(chromium_path: str, workdir: Path):
    with bs.face_camera_browser(workdir, chromium_path) as browser:
        yield browser


def stream_once(browser, url: str, press_stop: bool) -> float:
    """One visitor: open /live in a fresh context, stream until a frame is analysed, leave; returns seconds."""
    t0 = time.monotonic()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)
    try:
        page = context.new_page()
        page.goto(f"{url}/live")
        bs.start_stream(page, first_frames_s=20.0)
        if press_stop:
            stop = bs.webrtc_frame(page).get_by_role("button", name=re.compile(r"^\s*stop\s*$", re.IGNORECASE))
            stop.click()
            bs.webrtc_frame(page).get_by_role("button", name=re.compile(r"^\s*start\s*$", re.IGNORECASE)).wait_for()
    finally:
        context.close()  # the tab is gone: websocket and peer connection drop without a goodbye
    return time.monotonic() - t0


def visit_home(browser, url: str) -> None:
    """A plain visit that stores one more disconnected session, so Streamlit reaps the expired ones."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url)
        bs.wait_for_app(page)
    finally:
        context.close()


def settle(
    browser, server: bs.StreamlitServer, census_dir: Path, baseline: Resources | None = None
) -> tuple[Resources, dict[str, int]]:
    """Wait for the server to release departed sessions; returns the last sample and census.

    Each round visits Home (so Streamlit reaps sessions whose TTL is over), waits a TTL
    (that visit's own connections close too), takes a census (which trims the heap) and
    samples the process. Done once no stream is left on the server (no streamlit-webrtc
    worker, no peer connection) and, with a ``baseline``, threads and fds are within
    tolerance of it; without one, once the thread count has stopped changing.
    """
    pid = server.process.pid
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    previous: Resources | None = None
    while True:
        visit_home(browser, server.url)
        time.sleep(SESSION_TTL_S + 1)
        raw_rss_mb = resources(pid).rss_mb
        objects = census(census_dir)
        now = resources(pid)
        streams_gone = objects["WebRtcWorker"] == 0 and objects["RTCPeerConnection"] == 0
        if baseline is None:
            done = streams_gone and previous is not None and now.threads == previous.threads
        else:
            done = streams_gone and now.threads <= baseline.threads + THREAD_TOLERANCE
            done = done and now.fds <= baseline.fds + FD_TOLERANCE
        if done or time.monotonic() > deadline:
            print(f"settled: {now} ({raw_rss_mb:.0f} MB before the heap trim), {objects}")
            return now, objects
        previous = now


def test_fifty_live_sessions_that_vanish_mid_stream_leave_nothing_behind(
    browser, server: bs.StreamlitServer, census_dir: Path
) -> None:
    pid = server.process.pid
    started = time.monotonic()
    # Warm-up: the first visit loads the model, the page modules and aiortc; that memory stays by design.
    stream_once(browser, server.url, press_stop=True)
    baseline, objects_before = settle(browser, server, census_dir)  # sampled right after a heap trim
    print(f"\nbaseline after one warm-up cycle: {baseline}, {objects_before} ({time.monotonic() - started:.0f} s)")

    peak = baseline
    durations = []
    for cycle in range(1, CYCLES + 1):
        durations.append(stream_once(browser, server.url, press_stop=cycle % STOP_EVERY == 0))
        sample = resources(pid)
        peak = Resources(max(peak.threads, sample.threads), max(peak.fds, sample.fds), max(peak.rss_mb, sample.rss_mb))
        if cycle % 10 == 0:
            print(f"after {cycle} cycles: {sample} ({sum(durations[-10:]) / 10:.1f} s a cycle)")
    assert server.process.poll() is None, f"the server died:\n{server.log_tail()}"

    settle_t0 = time.monotonic()
    after, objects_after = settle(browser, server, census_dir, baseline)
    print(
        f"peak during cycles: {peak}\nafter settling {time.monotonic() - settle_t0:.0f} s: {after}, {objects_after}\n"
        f"cycles {sum(durations):.0f} s (median {sorted(durations)[len(durations) // 2]:.1f} s), "
        f"total {time.monotonic() - started:.0f} s"
    )
    for name in COUNTED:
        assert objects_after[name] <= objects_before[name] + OBJECT_TOLERANCE, (
            f"{name} objects pile up: {objects_before} -> {objects_after}"
        )
    assert after.threads <= baseline.threads + THREAD_TOLERANCE, f"threads pile up: {baseline} -> {after}"
    assert after.fds <= baseline.fds + FD_TOLERANCE, f"file descriptors pile up: {baseline} -> {after}"
    assert after.rss_mb <= baseline.rss_mb + RSS_TOLERANCE_MB, f"memory piles up: {baseline} -> {after}"
    assert bs.server_errors(server.log.read_text(errors="replace")) == [], server.log_tail()
