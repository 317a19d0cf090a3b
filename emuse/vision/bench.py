"""``python -m emuse bench PATH``: how fast the per-frame pipeline runs on a video, stage by stage.

Honest-measurement rules, so numbers from different runs and machines compare:

- Frames are decoded up front and are not timed: decoding depends on the codec,
  not on eMuse. What is timed is ``FrameAnalyzer.analyze``: gray conversion,
  detection, crop and resize, classification and smoothing.
- Warm-up is excluded and said so: the first ``warmup`` frames go through a separate
  analyzer first (TensorFlow's first calls, OpenCV's buffers), and the classifier's
  background TFLite conversion is waited for. Then a fresh analyzer times every frame.
- Medians and 95th percentiles, never a best run; ``fps`` is frames divided by the
  summed frame times (what a loop over the video sustains, full scans included).

:func:`synthetic_frames` makes the test video the benchmark and the tests use: a
real photograph moving slightly over a 640x480 canvas, like a person in front of a
webcam. It takes the image as an argument so this module needs no data package.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from emuse.vision.detect import DetectorSettings, iou
from emuse.vision.pipeline import FrameAnalysis, FrameAnalyzer

STAGES = ("convert", "detect", "preprocess", "classify", "smooth")


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if len(values) else 0.0


@dataclass(frozen=True)
class BenchResult:
    """Per-frame times and what was found, for one pass over the frames."""

    frame_ms: list[float]
    stage_ms: dict[str, list[float]]
    analyses: list[FrameAnalysis]
    full_scans: int
    warmup: int

    def summary(self) -> dict[str, Any]:
        """The JSON object ``bench --json`` prints."""
        frames = len(self.frame_ms)
        total_s = sum(self.frame_ms) / 1e3
        return {
            "frames": frames,
            "faces_per_frame": round(sum(len(a.faces) for a in self.analyses) / frames, 4) if frames else 0.0,
            "ms_per_frame": {
                "median": round(statistics.median(self.frame_ms), 3) if frames else 0.0,
                "p95": round(percentile(self.frame_ms, 95), 3),
                "mean": round(total_s * 1e3 / frames, 3) if frames else 0.0,
            },
            "fps": round(frames / total_s, 1) if total_s > 0 else 0.0,
            "stages": {name: round(statistics.median(v), 3) for name, v in self.stage_ms.items() if v},
            "stages_p95": {name: round(percentile(v, 95), 3) for name, v in self.stage_ms.items() if v},
            "full_scans": self.full_scans,
            "warmup_frames": self.warmup,
        }


def run(
    frames: Sequence[np.ndarray],
    make_analyzer: Any,
    warmup: int = 10,
    fps: float = 30.0,
) -> BenchResult:
    """Time ``make_analyzer()``'s ``analyze`` on every frame, after an untimed warm-up on another analyzer.

    ``now`` advances at ``fps`` so the mood smoother sees video time, not wall time.
    """
    warm = make_analyzer()
    for i, frame in enumerate(frames[:warmup]):
        warm.analyze(frame, now=i / fps)
    analyzer: FrameAnalyzer = make_analyzer()
    frame_ms: list[float] = []
    stage_ms: dict[str, list[float]] = {name: [] for name in STAGES}
    analyses: list[FrameAnalysis] = []
    full_scans = 0
    for i, frame in enumerate(frames):
        start = time.perf_counter()
        result = analyzer.analyze(frame, now=i / fps)
        frame_ms.append((time.perf_counter() - start) * 1e3)
        full_scans += analyzer.tracker.last_was_full_scan
        for name, ms in result.timings_ms.items():
            stage_ms.setdefault(name, []).append(ms)
        analyses.append(result)
    return BenchResult(frame_ms, stage_ms, analyses, full_scans, min(warmup, len(frames)))


def agreement(results: Sequence[FrameAnalysis], reference: Sequence[FrameAnalysis], min_iou: float = 0.5) -> float:
    """Share of frames where both found the same faces (IoU >= ``min_iou``) with the same emotion."""
    if len(results) != len(reference):
        raise ValueError("agreement needs results for the same frames")
    if not results:
        return 1.0
    same = sum(frames_agree(a, b, min_iou) for a, b in zip(results, reference, strict=True))
    return same / len(results)


def frames_agree(a: FrameAnalysis, b: FrameAnalysis, min_iou: float = 0.5) -> bool:
    """Same number of faces, each matched to one of the other's by overlap, with the same emotion."""
    if len(a.faces) != len(b.faces):
        return False
    unmatched = list(b.faces)
    for face in a.faces:
        best = max(unmatched, key=lambda other: iou(face.box, other.box))
        if iou(face.box, best.box) < min_iou or best.emotion != face.emotion:
            return False
        unmatched.remove(best)
    return True


def synthetic_frames(
    image_rgb: np.ndarray,
    count: int = 150,
    size: tuple[int, int] = (640, 480),
    scale: float = 1.0,
    anchor: tuple[float, float] | None = None,
    seed: int = 0,
) -> list[np.ndarray]:
    """A webcam-like clip of a still photo: slow sway and zoom, a little jitter and sensor noise.

    ``anchor`` is the point of ``image_rgb`` (its pixels, before ``scale``) that is kept
    near the middle of the upper half of the frame, usually the face's centre.
    Deterministic for a given ``seed``. Returns BGR uint8 frames.
    """
    rng = np.random.default_rng(seed)
    width, height = size
    source = cv2.cvtColor(np.asarray(image_rgb, dtype=np.uint8), cv2.COLOR_RGB2BGR)
    ax, ay = anchor if anchor is not None else (source.shape[1] / 2, source.shape[0] / 2)
    background = np.linspace(60, 140, width, dtype=np.float32)[None, :, None].repeat(height, 0).repeat(3, 2)
    frames = []
    for i in range(count):
        t = i / 30.0
        zoom = scale * (1.0 + 0.06 * np.sin(2 * np.pi * t / 4.0))
        dx = 45 * np.sin(2 * np.pi * t / 5.0) + rng.normal(0, 1.5)
        dy = 15 * np.sin(2 * np.pi * t / 3.0) + rng.normal(0, 1.5)
        # Affine map: source pixel (ax, ay) lands at (width/2 + dx, height*0.4 + dy), scaled by zoom.
        matrix = np.float32([[zoom, 0, width / 2 + dx - zoom * ax], [0, zoom, height * 0.4 + dy - zoom * ay]])
        canvas = background.copy()
        warped = cv2.warpAffine(source, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
        mask = cv2.warpAffine(
            np.ones(source.shape[:2], np.uint8), matrix, (width, height), flags=cv2.INTER_NEAREST, borderValue=0
        )
        canvas[mask > 0] = warped[mask > 0]
        canvas += rng.normal(0, 3.0, canvas.shape).astype(np.float32)
        frames.append(np.clip(canvas, 0, 255).astype(np.uint8))
    return frames


def astronaut_clip(count: int = 150, seed: int = 0) -> list[np.ndarray]:
    """The benchmark's and tests' clip: scikit-image's astronaut photo, head and shoulders, swaying.

    Eileen Collins, smiling, public domain. Needs scikit-image (a development
    dependency); the app never calls this.
    """
    try:
        from skimage import data
    except ImportError as exc:
        raise RuntimeError("the astronaut clip needs scikit-image: pip install -r requirements-dev.txt") from exc
    head = data.astronaut()[0:230, 80:380]  # her face is at about (144, 113) of this crop
    return synthetic_frames(head, count, scale=1.6, anchor=(144, 113), seed=seed)


def write_video(frames: Sequence[np.ndarray], path: Path, fps: float = 30.0) -> Path:
    """Write BGR frames as a Motion-JPEG AVI (every OpenCV build can read and write it)."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    if not writer.isOpened():
        raise OSError(f"OpenCV cannot write {path}")
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()
    return path


# -- CLI ------------------------------------------------------------------------------------


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="time the per-frame pipeline on a video (decode excluded, warm-up excluded)",
        description="Decode a video's frames up front, then time detection, preprocessing, classification "
        "and smoothing on every frame. Medians and 95th percentiles; warm-up frames are not timed.",
    )
    parser.add_argument("path", type=Path, help="a video (or image, or folder of them)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--frames", type=int, default=300, help="use at most N frames (default 300)")
    parser.add_argument("--model", default=None, help="registered model name or folder (default: the default)")
    parser.add_argument(
        "--backend", choices=("auto", "tflite", "keras"), default="auto", help="classifier backend (default auto)"
    )
    parser.add_argument(
        "--full-scan-every",
        type=int,
        default=DetectorSettings.full_scan_every,
        help="scan the whole frame every N frames, tracking faces between (1 = no tracking)",
    )
    parser.add_argument("--warmup", type=int, default=10, help="untimed warm-up frames (default 10)")
    parser.set_defaults(handler=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    from emuse.cli import EXIT_OK, CliError
    from emuse.vision.classifier import EmotionClassifier
    from emuse.vision.media import iter_media

    if args.frames < 1:
        raise CliError(f"--frames must be 1 or more, not {args.frames}")
    if args.warmup < 0:
        raise CliError(f"--warmup must be 0 or more, not {args.warmup}")
    try:
        settings = DetectorSettings(full_scan_every=args.full_scan_every)
    except ValueError as exc:
        raise CliError(f"--full-scan-every: {exc}") from None
    frames = [frame.image for frame in iter_media(args.path, args.frames)][: args.frames]
    classifier = EmotionClassifier(args.model, backend=args.backend)
    classifier.wait_ready()
    result = run(frames, lambda: FrameAnalyzer(classifier, settings), warmup=args.warmup)
    summary = {
        **result.summary(),
        "frame_size": list(frames[0].shape[1::-1]),
        "model": classifier.name,
        "backend": classifier.backend,
        "full_scan_every": settings.full_scan_every,
    }
    if args.json:
        print(json.dumps(summary), flush=True)
    else:
        ms = summary["ms_per_frame"]
        stages = ", ".join(f"{name} {value:.2f}" for name, value in summary["stages"].items())
        print(
            f"{summary['frames']} frames {summary['frame_size'][0]}x{summary['frame_size'][1]}, "
            f"{summary['faces_per_frame']:.2f} faces/frame, model {classifier.name} ({classifier.backend})\n"
            f"ms per frame: median {ms['median']:.2f}, p95 {ms['p95']:.2f}, mean {ms['mean']:.2f} "
            f"-> {summary['fps']:.0f} fps\n"
            f"stage medians (ms): {stages}\n"
            f"full scans: {summary['full_scans']} of {summary['frames']} frames (one every "
            f"{settings.full_scan_every}, or when a face is lost); warm-up: {summary['warmup_frames']} "
            "frames, not timed; decoding not timed",
            flush=True,
        )
    return EXIT_OK
