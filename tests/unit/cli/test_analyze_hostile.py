"""``python -m emuse analyze`` on awkward input: a folder with a bad file, a frame limit of 0, a link loop."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

from tests.support.paths import ROOT


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "emuse", *args], cwd=ROOT, capture_output=True, text=True, timeout=180)


def test_a_folder_run_reports_an_unreadable_file_goes_on_and_exits_1(tmp_path: Path) -> None:
    picture = cv2.imencode(".png", np.full((64, 64, 3), 180, np.uint8))[1].tobytes()
    (tmp_path / "a.png").write_bytes(picture)
    (tmp_path / "b.png").write_bytes(b"this is not a picture")
    (tmp_path / "c.png").write_bytes(picture)
    done = run_cli("analyze", str(tmp_path), "--json")
    assert done.returncode == 1, done.stderr
    assert [Path(json.loads(line)["source"]).name for line in done.stdout.splitlines()] == ["a.png", "c.png"]
    errors = done.stderr.strip().splitlines()
    assert errors[0].startswith("emuse: error: ") and "b.png: not an image" in errors[0]
    assert errors[-1] == "emuse: 1 file(s) could not be analysed (see above)"


def test_a_frame_limit_of_zero_and_a_link_loop_are_explained(tmp_path: Path) -> None:
    loop = tmp_path / "loop.mp4"
    loop.symlink_to(loop)
    done = run_cli("analyze", str(loop))
    assert done.returncode == 2 and "symbolic link loop" in done.stderr
    (tmp_path / "a.png").write_bytes(cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))[1].tobytes())
    done = run_cli("analyze", str(tmp_path / "a.png"), "--max-frames", "0")
    assert done.returncode == 2 and "frame limit must be 1 or more, not 0" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
