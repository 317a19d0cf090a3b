"""Analyse a snapshot, an uploaded image or an uploaded video in one call.

The Live page's fallback when WebRTC can't connect (strict networks, no camera
permission): the same detector, classifier and smoother as the live stream, on
data that arrives whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from emuse.mood import Mood
from emuse.vision.calibration import Calibration
from emuse.vision.classifier import EmotionClassifier
from emuse.vision.detect import DetectorSettings
from emuse.vision.frame_analysis import FrameAnalysis, FrameAnalyzer, draw
from emuse.vision.media import MediaError, MediaFrame, decode_image, iter_video_bytes

#: An uploaded video is sampled at this rate: enough to follow a mood, cheap enough for a long clip.
VIDEO_SAMPLE_FPS = 5.0
MAX_VIDEO_SAMPLES = 300


@dataclass(frozen=True)
class StillResult:
    """The outcome of analysing an upload: the annotated picture to show and the mood it gives."""

    annotated: np.ndarray  # BGR
    mood: Mood | None
    faces: int
    frames: int
    timeline: tuple[tuple[float, str | None], ...]  # (seconds, smoothed label) per analysed frame


def analyze_image(
    classifier: EmotionClassifier,
    data: bytes,
    name: str = "upload",
    detector: DetectorSettings | None = None,
    calibration: Calibration | None = None,
) -> StillResult:
    """A photo or snapshot: faces, emotions and the mood of the largest face (with the session's calibration)."""
    image = decode_image(data, name)
    result = FrameAnalyzer(classifier, detector, calibration=calibration).analyze(image, now=0.0)
    return StillResult(draw(image, result), result.mood, len(result.faces), 1, ((0.0, _label(result)),))


def analyze_video(
    classifier: EmotionClassifier,
    data: bytes,
    name: str = "upload",
    detector: DetectorSettings | None = None,
    calibration: Calibration | None = None,
) -> StillResult:
    """A short video: sampled frames through the smoother; the frame with the most faces is shown."""
    analyzer = FrameAnalyzer(classifier, detector, calibration=calibration)
    best: tuple[int, MediaFrame, FrameAnalysis] | None = None
    timeline: list[tuple[float, str | None]] = []
    mood: Mood | None = None
    for frame in _sampled(iter_video_bytes(data, name)):
        result = analyzer.analyze(frame.image, now=frame.t)
        timeline.append((frame.t, _label(result)))
        mood = result.mood or mood
        if best is None or len(result.faces) > best[0]:
            best = (len(result.faces), frame, result)
        if len(timeline) >= MAX_VIDEO_SAMPLES:
            break
    if best is None:
        raise MediaError(f"{name}: the video has no readable frames")
    _, frame, shown = best
    return StillResult(draw(frame.image.copy(), shown), mood, len(shown.faces), len(timeline), tuple(timeline))


def is_video(name: str, mime: str | None) -> bool:
    return (mime or "").startswith("video/") or name.lower().endswith((".mp4", ".webm", ".mov", ".avi", ".mkv", ".m4v"))


def _sampled(frames: Iterator[MediaFrame]) -> Iterator[MediaFrame]:
    next_t = 0.0
    for frame in frames:
        if frame.t + 1e-6 >= next_t:
            next_t = frame.t + 1.0 / VIDEO_SAMPLE_FPS
            yield frame


def _label(result: FrameAnalysis) -> str | None:
    return result.mood.label if result.mood else None
