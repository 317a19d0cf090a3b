"""How fast the per-frame pipeline runs, stage by stage, and how often two runs agree.

``python -m emuse bench`` (:mod:`emuse.cli.bench`), ``benchmarks/pipeline_bench.py``
and the performance tests all time frames with :func:`run` and compare results with
:func:`agreement`.

Honest-measurement rules, so numbers from different runs and machines compare:

- Frames are decoded up front and are not timed: decoding depends on the codec,
  not on eMuse. What is timed is ``FrameAnalyzer.analyze``: gray conversion,
  detection, crop and resize, classification and smoothing.
- Warm-up is excluded and said so: the first ``warmup`` frames go through a separate
  analyzer first (TensorFlow's first calls, OpenCV's buffers), and the classifier's
  background TFLite conversion is waited for. Then a fresh analyzer times every frame.
- Medians and 95th percentiles, never a best run; ``fps`` is frames divided by the
  summed frame times (what a loop over the video sustains, full scans included).

The test video they time is made by :mod:`emuse.vision.synthetic_clip`.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from emuse.vision.detect import Box, iou
from emuse.vision.frame_analysis import FrameAnalysis, FrameAnalyzer

STAGES = ("convert", "detect", "preprocess", "classify", "smooth")


def ms_per_face(classifier: Any, calls: int = 300, warmup: int = 30) -> float:
    """Median ms for the classifier to score one face per call (as the Live page does for one person).

    ``warmup`` untimed calls first; the face is fixed random pixels at the model's input size.
    ``models/make_default.py`` and ``benchmarks/model_table.py`` report this figure.
    """
    width, height = classifier.size
    face = np.random.default_rng(0).integers(0, 256, (1, height, width), dtype=np.uint8)
    for _ in range(warmup):
        classifier.predict_batch(face)
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        classifier.predict_batch(face)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


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
    return face_agreement([labelled_faces(a) for a in results], [labelled_faces(b) for b in reference], min_iou)


def frames_agree(a: FrameAnalysis, b: FrameAnalysis, min_iou: float = 0.5) -> bool:
    """Same number of faces, each matched to one of the other's by overlap, with the same emotion."""
    return same_faces(labelled_faces(a), labelled_faces(b), min_iou)


#: What a frame's result comes down to for comparing: (box, emotion) per face. Other
#: detectors (the benchmark's contestants) produce it too.
LabelledFaces = Sequence[tuple[Box, str]]


def labelled_faces(analysis: FrameAnalysis) -> list[tuple[Box, str]]:
    return [(face.box, face.emotion) for face in analysis.faces]


def same_faces(a: LabelledFaces, b: LabelledFaces, min_iou: float = 0.5) -> bool:
    """Same number of faces, each matched to one of the other's by overlap (IoU), with the same emotion."""
    if len(a) != len(b):
        return False
    unmatched = list(b)
    for box, emotion in a:
        best = max(unmatched, key=lambda other: iou(box, other[0]))
        if iou(box, best[0]) < min_iou or best[1] != emotion:
            return False
        unmatched.remove(best)
    return True


def face_agreement(results: Sequence[LabelledFaces], reference: Sequence[LabelledFaces], min_iou: float = 0.5) -> float:
    """:func:`agreement` for results given as (box, emotion) lists."""
    if len(results) != len(reference):
        raise ValueError("agreement needs results for the same frames")
    if not results:
        return 1.0
    return sum(same_faces(a, b, min_iou) for a, b in zip(results, reference, strict=True)) / len(results)
