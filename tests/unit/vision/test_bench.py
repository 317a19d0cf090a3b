"""The fast per-frame path gives the same answers as the slow one, from any number of threads.

These tests check correctness, never timing (timing belongs to ``python -m emuse bench``
and ``benchmarks/pipeline_bench.py``): tracking plus TFLite must find the same faces
with the same emotions as a full scan of every frame with the Keras model; sessions
sharing one classifier must not disturb each other; the bench command's JSON has the
promised shape; the TFLite cache can never break the classifier.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from emuse.cli import main
from emuse.vision import bench, synthetic_clip
from emuse.vision.detect import DetectorSettings, FaceTracker
from emuse.vision.frame_analysis import FrameAnalyzer
from emuse.vision.frames import to_gray

FULL_SCANS = DetectorSettings(full_scan_every=1)


@pytest.fixture(scope="module")
def clip() -> list[np.ndarray]:
    from skimage import data

    return synthetic_clip.astronaut_clip(data.astronaut(), 150)


def test_optimized_path_agrees_with_full_scans_and_keras(fast, reference, clip) -> None:
    optimized = bench.run(clip, lambda: FrameAnalyzer(fast), warmup=0)
    unoptimized = bench.run(clip, lambda: FrameAnalyzer(reference, FULL_SCANS), warmup=0)
    assert fast.backend == "tflite" and reference.backend == "keras"
    # The reference itself sees her, smiling, in (nearly) every frame: the comparison means something.
    assert sum(len(a.faces) == 1 and a.faces[0].emotion == "happy" for a in unoptimized.analyses) >= 0.95 * len(clip)
    assert bench.agreement(optimized.analyses, unoptimized.analyses) >= 0.95
    # Tracking really replaced most full scans (otherwise this test would prove nothing about it).
    assert optimized.full_scans <= len(clip) // 5
    assert unoptimized.full_scans == len(clip)


def test_tflite_scores_match_keras_on_real_faces(fast, reference, clip) -> None:
    gray = to_gray(clip[0])
    boxes = FaceTracker(FULL_SCANS).update(gray)
    assert len(boxes) == 1
    crops = fast.crop_faces(gray, boxes * 3)  # a batch of three also exercises the interpreter's resize
    np.testing.assert_allclose(fast.predict_batch(crops), reference.predict_batch(crops), atol=1e-4)
    np.testing.assert_allclose(fast.predict_batch(crops[:1]), reference.predict_batch(crops[:1]), atol=1e-4)


def test_three_sessions_at_once_match_sequential(fast, clip) -> None:
    frames = clip[:60]
    sequential = bench.run(frames, lambda: FrameAnalyzer(fast), warmup=0).analyses
    results: list[list] = [[] for _ in range(3)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def session(index: int) -> None:
        try:
            analyzer = FrameAnalyzer(fast)
            barrier.wait()
            results[index] = [analyzer.analyze(frame, now=i / 30) for i, frame in enumerate(frames)]
        except BaseException as exc:  # surfaced below; a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=session, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    for session_results in results:
        assert len(session_results) == len(frames)
        for got, want in zip(session_results, sequential, strict=True):
            assert [f.box for f in got.faces] == [f.box for f in want.faces]
            assert [f.emotion for f in got.faces] == [f.emotion for f in want.faces]
            np.testing.assert_allclose([f.scores for f in got.faces], [f.scores for f in want.faces], atol=1e-6)
            assert (got.mood.label if got.mood else None) == (want.mood.label if want.mood else None)


def test_one_analyzer_fed_from_two_threads_stays_consistent(fast, clip) -> None:
    analyzer = FrameAnalyzer(fast)
    errors: list[BaseException] = []

    def feed(offset: int) -> None:
        try:
            for i, frame in enumerate(clip[offset : offset + 30]):
                assert len(analyzer.analyze(frame, now=(offset + i) / 30).faces) == 1
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=feed, args=(k * 30,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors


def test_tracker_lets_go_of_a_face_that_leaves_and_finds_one_that_arrives(clip) -> None:
    tracker = FaceTracker(DetectorSettings(full_scan_every=10))
    empty = np.full_like(to_gray(clip[0]), 100)
    assert len(tracker.update(to_gray(clip[0]))) == 1 and tracker.last_was_full_scan
    assert len(tracker.update(to_gray(clip[1]))) == 1 and not tracker.last_was_full_scan
    assert tracker.update(empty) == []  # lost: a full scan, at once, not a stale box
    assert tracker.last_was_full_scan
    assert len(tracker.update(to_gray(clip[2]))) == 1  # nothing tracked: every frame is a full scan
    assert len(tracker.update(to_gray(clip[3]))) == 1 and not tracker.last_was_full_scan
    narrower = np.ascontiguousarray(to_gray(clip[4])[:, 100:500])  # another stream size: old boxes mean nothing
    assert len(tracker.update(narrower)) == 1 and tracker.last_was_full_scan


def test_bad_detector_settings_are_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match="full_scan_every=0 must be 1"):
        DetectorSettings(full_scan_every=0)
    with pytest.raises(ValueError, match="scale_factor"):
        DetectorSettings(scale_factor=1.0)


@pytest.fixture(scope="module")
def clip_file(tmp_path_factory: pytest.TempPathFactory, clip: list[np.ndarray]) -> Path:
    return synthetic_clip.write_video(clip[:24], tmp_path_factory.mktemp("video") / "astronaut.avi")


def test_bench_cli_prints_one_json_object(models_dir: Path, clip_file: Path, capfd) -> None:
    # capfd, not capsys: a library printing from C straight to file descriptor 1 would break `--json | jq`.
    assert main(["bench", str(clip_file), "--json", "--frames", "16", "--warmup", "3"]) == 0
    captured = capfd.readouterr()
    out = captured.out.strip().splitlines()
    assert len(out) == 1, captured.out
    assert captured.err == ""
    report = json.loads(out[0])
    assert report["frames"] == 16
    assert report["faces_per_frame"] == pytest.approx(1.0)
    assert set(report["ms_per_frame"]) >= {"median", "p95"}
    assert 0 < report["ms_per_frame"]["median"] <= report["ms_per_frame"]["p95"]
    assert report["fps"] > 0
    assert {"detect", "classify", "preprocess", "smooth"} <= set(report["stages"])
    assert all(value >= 0 for value in report["stages"].values())
    assert report["warmup_frames"] == 3 and report["frame_size"] == [640, 480]
    assert report["backend"] == "tflite" and report["model"] == "fer2013_mini_xception"


def test_bench_cli_text_output_and_unoptimized_mode(models_dir: Path, clip_file: Path, capsys) -> None:
    args = ["bench", str(clip_file), "--frames", "6", "--warmup", "0", "--full-scan-every", "1", "--backend", "keras"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "6 frames 640x480" in out and "(keras)" in out and "full scans: 6 of 6" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--frames", "0"], "--frames must be 1 or more"),
        (["--full-scan-every", "0"], "--full-scan-every"),
    ],
)
def test_bench_cli_bad_options(models_dir: Path, clip_file: Path, capsys, args: list[str], message: str) -> None:
    assert main(["bench", str(clip_file), *args]) == 2
    assert message in capsys.readouterr().err


def test_bench_cli_missing_file(tmp_path: Path, capsys) -> None:
    assert main(["bench", str(tmp_path / "nope.mp4"), "--json"]) == 2
    err = capsys.readouterr().err
    assert "no such file" in err and err.count("\n") == 1
