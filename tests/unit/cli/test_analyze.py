"""``python -m emuse analyze``: the JSON contract, quiet output and exit codes, in real subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from emuse.labels import EMOTIONS
from tests.support.paths import ROOT


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "emuse", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def media(tmp_path_factory, astronaut_bgr, webcam_frame) -> Path:
    folder = tmp_path_factory.mktemp("media")
    cv2.imwrite(str(folder / "astronaut.png"), astronaut_bgr)
    writer = cv2.VideoWriter(str(folder / "clip.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 480))
    for i in range(6):
        writer.write(np.roll(webcam_frame, i * 3, axis=1))
    writer.release()
    (folder / "notes.txt").write_text("not media")
    return folder


def test_analyze_folder_prints_one_json_line_per_image_or_frame(media: Path) -> None:
    result = run_cli("analyze", str(media), "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 1 + 6  # the image, then six video frames (the .txt is not media)
    image = records[0]
    assert image["source"].endswith("astronaut.png") and image["frame"] == 0 and image["t"] == 0
    (face,) = image["faces"]
    assert face["emotion"] == "happy"
    assert len(face["box"]) == 4 and all(isinstance(v, int) for v in face["box"])
    assert list(face["scores"]) == list(EMOTIONS)
    assert sum(face["scores"].values()) == pytest.approx(1.0, abs=0.01)
    frames = records[1:]
    assert [r["frame"] for r in frames] == list(range(6))
    assert frames[-1]["t"] == pytest.approx(0.5, abs=0.01)
    assert all(r["faces"] and r["faces"][0]["emotion"] == "happy" for r in frames)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.png", "no such file"),
        (lambda d: (d / "fake.png").write_bytes(b"this is text") and d / "fake.png", "not an image"),
        (lambda d: (d / "cut.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 50) and d / "cut.mp4", "video"),
    ],
    ids=["missing", "not-an-image", "truncated-video"],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, make, message: str) -> None:
    path = make(tmp_path)
    result = run_cli("analyze", str(path), "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("emuse: error:") and message in lines[0]
    assert "Traceback" not in result.stderr


def test_bad_usage_exits_2() -> None:
    result = run_cli("analyze")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_detector_choice_finds_the_turned_face_only_with_blazeface(tmp_path: Path, astronaut_bgr) -> None:
    """scikit-image's camera man turns his face behind his camera: BlazeFace finds it, the Haar cascade doesn't."""
    from skimage import data

    cv2.imwrite(str(tmp_path / "camera_man.png"), data.camera())
    cv2.imwrite(str(tmp_path / "astronaut.png"), astronaut_bgr)
    found = {}
    for detector in ("blazeface", "haar"):
        result = run_cli("analyze", str(tmp_path), "--json", "--detector", detector)
        assert result.returncode == 0, result.stderr
        found[detector] = {Path(r["source"]).name: r["faces"] for r in map(json.loads, result.stdout.splitlines())}
    assert [f["emotion"] for f in found["blazeface"]["astronaut.png"]] == ["happy"]
    assert [f["emotion"] for f in found["haar"]["astronaut.png"]] == ["happy"]
    assert len(found["blazeface"]["camera_man.png"]) == 1 and found["haar"]["camera_man.png"] == []
    bad = run_cli("analyze", str(tmp_path), "--detector", "yolo")
    assert bad.returncode == 2 and "invalid choice: 'yolo'" in bad.stderr
