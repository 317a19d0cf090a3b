"""The process-wide patches (emuse/ui/runtime.py) and the upstream behaviour each one works around.

Each ``test_upstream_*`` test checks that the library still behaves the way that made
the patch necessary; when one fails, the patch may be unnecessary now: re-measure and
remove it rather than loosen the test.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpreceiver import RemoteStreamTrack
from streamlit.runtime.pages_manager import PagesManager

from emuse.ui import runtime
from emuse.ui.runtime import drop_stale_frames


def test_upstream_aiortc_still_queues_every_decoded_frame() -> None:
    """Without the patch, aiortc hands frames over oldest first: a slow reader falls further behind."""
    drop_stale_frames()
    original = RemoteStreamTrack.recv._emuse_original

    async def scenario() -> list:
        track = RemoteStreamTrack(kind="video")
        for n in range(3):
            track._queue.put_nowait(n)
        return [await original(track) for _ in range(3)]

    assert asyncio.run(scenario()) == [0, 1, 2]


def test_upstream_streamlit_still_treats_a_pages_folder_as_the_legacy_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Until ``st.navigation`` runs, a ``pages/`` folder next to the entry point means pages-folder mode."""
    (tmp_path / "pages").mkdir()
    (tmp_path / "Home.py").write_text("")
    monkeypatch.setattr(PagesManager, "uses_pages_directory", None)
    PagesManager(str(tmp_path / "Home.py"))
    assert PagesManager.uses_pages_directory is True


@pytest.mark.slow
def test_upstream_pylibsrtp_after_tensorflow_still_crashes() -> None:
    """Loading aiortc's OpenSSL binding after TensorFlow's BoringSSL kills the process; the other order works."""
    code = "import os; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'; import tensorflow; import pylibsrtp; print('ok')"
    crashed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert crashed.returncode != 0 and "ok" not in crashed.stdout, "fixed upstream? then drop the load-order import"


def test_apply_is_idempotent_and_switches_to_app_navigation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PagesManager, "uses_pages_directory", True)
    monkeypatch.setattr(runtime, "_applied", False)
    runtime.apply()
    assert PagesManager.uses_pages_directory is False
    assert "pylibsrtp" in sys.modules
    assert RemoteStreamTrack.recv._emuse_newest_only
    patched = RemoteStreamTrack.recv
    runtime.apply()
    assert RemoteStreamTrack.recv is patched  # applied once, never stacked


def test_incoming_video_track_hands_over_only_its_newest_frame() -> None:
    drop_stale_frames()
    drop_stale_frames()  # idempotent: wrapping twice would still work, but must not stack

    async def scenario() -> tuple[list, bool]:
        track = RemoteStreamTrack(kind="video")
        for n in range(5):
            track._queue.put_nowait(n)
        first = await track.recv()
        track._queue.put_nowait(5)
        track._queue.put_nowait(None)  # the peer hung up
        second = await track.recv()
        try:
            await track.recv()
        except MediaStreamError:
            ended = True
        else:
            ended = False
        return [first, second], ended

    frames, ended = asyncio.run(scenario())
    assert frames == [4, 5]
    assert ended


def test_audio_frames_are_never_dropped() -> None:
    drop_stale_frames()

    async def scenario() -> list:
        track = RemoteStreamTrack(kind="audio")
        for n in range(3):
            track._queue.put_nowait(n)
        return [await track.recv() for _ in range(3)]

    assert asyncio.run(scenario()) == [0, 1, 2]
