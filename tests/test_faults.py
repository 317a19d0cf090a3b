"""Faults with real processes: a sync killed at any moment leaves every playlist CSV as before or as after."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from emuse.music import store
from tests.support import fake_spotify as fs
from tests.support.paths import ROOT

pytestmark = pytest.mark.slow

EMOTIONS = ("happy", "sad", "angry")


def run_sync(folder: Path) -> subprocess.Popen:
    env = dict(os.environ, EMUSE_PLAYLISTS_DIR=str(folder))
    return subprocess.Popen(
        [sys.executable, "-m", "emuse", "sync"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_sync_killed_at_any_moment_leaves_each_csv_before_or_after(fake: fs.FakeSpotify, tmp_path: Path) -> None:
    before_dir = tmp_path / "before"
    before_dir.mkdir()
    (before_dir / "sources.csv").write_text("emotion,playlist\nhappy,p1\nsad,p2\nangry,p3\n")
    for n, emotion in enumerate(EMOTIONS):
        tracks = [store.manual_track("", f"{emotion} song {i}", "Someone") for i in range(3)]
        store.save_playlist(emotion, tracks, None, folder=before_dir)
        fake.playlists[f"p{n + 1}"] = [fs.track(1000 * n + i) for i in range(300)]  # several pages each
        fake.delay[f"p{n + 1}"] = 0.15  # per request: the sync takes a couple of seconds
    before = {e: (before_dir / f"{e}.csv").read_bytes() for e in EMOTIONS}

    after_dir = tmp_path / "after"
    shutil.copytree(before_dir, after_dir)
    start = time.monotonic()
    assert run_sync(after_dir).wait(120) == 0
    duration = time.monotonic() - start
    after = {e: (after_dir / f"{e}.csv").read_bytes() for e in EMOTIONS}
    assert all(after[e] != before[e] for e in EMOTIONS)

    outcomes = set()
    for fraction in (0.3, 0.45, 0.6, 0.7, 0.8, 0.9, 1.0):
        work = tmp_path / f"kill-{fraction}"
        shutil.copytree(before_dir, work)
        proc = run_sync(work)
        time.sleep(duration * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        for emotion in EMOTIONS:
            content = (work / f"{emotion}.csv").read_bytes()
            assert content in (before[emotion], after[emotion]), f"{emotion}.csv is neither before nor after"
            outcomes.add(content == after[emotion])
            assert store.load_playlist(emotion, folder=work)  # and it reads cleanly
    assert outcomes == {True, False}, "the kills should land both before and after some writes"
