"""BlazeFace against Haar (and ``fer``), on the hard clip and on still images with known faces, in one run.

Run from the project root with the benchmark environment (it has ``fer``; without it
the fer rows are left out and said so)::

    benchmarks/setup_venv.sh
    benchmarks/.venv/bin/python benchmarks/make_clip.py          # data/bench/hard_clip.avi (+ .json truth)
    benchmarks/.venv/bin/python benchmarks/detector_bench.py     # ~4 minutes on 2 shared cores

Writes ``benchmarks/results/detectors.json`` and ``detectors.md``.

**The clip** is ``benchmarks/make_clip.py``'s: real faces (scikit-image's astronaut and
camera man, matplotlib's Grace Hopper) with scale changes, head roll, a squeezed
"yaw", a real turned face, a mirrored face, lighting changes, motion blur, JPEG noise,
frames with no face and a second face entering; 720 frames of 640x360 at 30 fps, with
a ground-truth box per visible face. Frames are decoded up front and not timed.

**Contestants**, each through the same per-frame function (gray conversion, detection,
crop, classification; eMuse also smooths), sharing one TFLite emotion model:

- eMuse with BlazeFace full range, BlazeFace short range and Haar, each tracked (the
  shipped way: full detection every 0.2 s of video, template checks between) and
  unoptimized (full detection every frame);
- ``fer`` 25.10.3 ``FER().detect_emotions`` (Haar on the full frame, its TFLite model).

**Timing**: rounds interleaved (round 1 of everyone, then round 2) so load from
elsewhere on the shared machine hits everyone alike; each contestant's first
``--warmup`` frames of each round go through a separate analyser first and are not
timed. Median, 95th percentile and mean ms per frame over all timed frames of all
rounds; the machine's load average is recorded before and after.

**Faces found**: a detection matches a truth face at IoU >= 0.3 (one to one, truth
boxes are hand-measured forehead-to-chin boxes, detectors frame differently); recall
over all visible truth faces, per segment; false detections per frame.
**Agreement**: share of frames where a tracked contestant gives the same faces (IoU >=
0.5) with the same emotion as its own unoptimized path; and where BlazeFace and Haar
(both unoptimized) both found the frontal face of a segment, how often they read the
same emotion from it.

**Still images**: real photos (the three sources), and composites of them with known
face boxes: rolled by 15/30/45 degrees, squeezed (a crude yaw), mirrored, small,
dim, motion-blurred, a group of five (one with sunglasses drawn on, one rolled and
mirrored, the real turned face), and the same group small.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")

import cv2  # noqa: E402
import make_clip  # noqa: E402
import numpy as np  # noqa: E402

from emuse.quiet import silenced_stderr  # noqa: E402
from emuse.vision.classifier import EmotionClassifier  # noqa: E402
from emuse.vision.detect import DetectorSettings, iou  # noqa: E402
from emuse.vision.frame_analysis import FrameAnalyzer  # noqa: E402
from emuse.vision.tracking import make_detector  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
CLIP = ROOT / "data" / "bench" / "hard_clip.avi"
MATCH_IOU = 0.3
FRONTAL = ("scale", "mirrored", "lighting", "back")
Faces = list[tuple[tuple[int, int, int, int], str]]


@dataclass
class Contestant:
    name: str
    make: Callable[[], Callable[[np.ndarray, float], Faces]]
    reference: str | None = None  # name of its unoptimized twin
    times: list[float] = field(default_factory=list)
    results: list[Faces] = field(default_factory=list)


def emuse(name: str, classifier: EmotionClassifier, settings: DetectorSettings, reference: str | None) -> Contestant:
    def make() -> Callable[[np.ndarray, float], Faces]:
        analyzer = FrameAnalyzer(classifier, settings)
        if analyzer.tracker.kind != settings.kind:
            raise SystemExit(f"{name}: asked for {settings.kind}, got {analyzer.tracker.kind}: {analyzer.tracker.note}")

        def analyse(frame: np.ndarray, now: float) -> Faces:
            return [(face.box, face.emotion) for face in analyzer.analyze(frame, now).faces]

        return analyse

    return Contestant(name, make, reference)


def fer_contestant() -> Contestant | None:
    try:
        logging.getLogger("fer").setLevel(logging.ERROR)
        with silenced_stderr():
            from fer.fer import FER

            detector = FER()
    except ImportError:
        return None

    def make() -> Callable[[np.ndarray, float], Faces]:
        def analyse(frame: np.ndarray, now: float) -> Faces:
            out = []
            for face in detector.detect_emotions(frame):
                scores = face["emotions"]
                out.append((tuple(int(v) for v in face["box"]), max(scores, key=scores.get)))
            return out

        return analyse

    return Contestant("fer FER().detect_emotions", make)


def contestants(classifier: EmotionClassifier) -> list[Contestant]:
    out = []
    for label, kind, model in (
        ("BlazeFace full range", "blazeface", "full_range"),
        ("BlazeFace short range", "blazeface", "short_range"),
        ("Haar", "haar", "full_range"),
    ):
        every = f"eMuse {label}, every frame"
        out.append(
            emuse(f"eMuse {label}, tracked", classifier, DetectorSettings(kind=kind, blazeface_model=model), every)
        )
        out.append(
            emuse(every, classifier, DetectorSettings(kind=kind, blazeface_model=model, full_scan_every=1), None)
        )
    fer = fer_contestant()
    if fer is not None:
        out.append(fer)
    return out


def time_round(contestant: Contestant, frames: Sequence[np.ndarray], fps: float, warmup: int, keep: bool) -> None:
    warm = contestant.make()
    for i, frame in enumerate(frames[:warmup]):
        warm(frame, i / fps)
    analyse = contestant.make()
    results = []
    for i, frame in enumerate(frames):
        start = time.perf_counter()
        faces = analyse(frame, i / fps)
        contestant.times.append((time.perf_counter() - start) * 1e3)
        results.append(faces)
    if keep:
        contestant.results = results


def match(found: Sequence[tuple[int, int, int, int]], truth: Sequence[Sequence[int]]) -> list[int | None]:
    """For each truth box, the index of the detection matched to it (greedy by IoU, one to one), or None."""
    pairs = sorted(
        ((iou(tuple(t), f), ti, fi) for ti, t in enumerate(truth) for fi, f in enumerate(found)), reverse=True
    )
    out: list[int | None] = [None] * len(truth)
    used: set[int] = set()
    for overlap, ti, fi in pairs:
        if overlap < MATCH_IOU:
            break
        if out[ti] is None and fi not in used:
            out[ti], _ = fi, used.add(fi)
    return out


def same_faces(a: Faces, b: Faces) -> bool:
    if len(a) != len(b):
        return False
    rest = list(b)
    for box, emotion in a:
        best = max(rest, key=lambda other: iou(box, other[0]))
        if iou(box, best[0]) < 0.5 or best[1] != emotion:
            return False
        rest.remove(best)
    return True


def clip_scores(contestant: Contestant, truth: list[dict]) -> dict[str, Any]:
    segments: dict[str, list[int]] = {}
    found = total = false = 0
    for faces, frame in zip(contestant.results, truth, strict=True):
        matched = match([box for box, _ in faces], [face["box"] for face in frame["faces"]])
        hits = sum(m is not None for m in matched)
        seg = segments.setdefault(frame["segment"], [0, 0])
        seg[0] += hits
        seg[1] += len(matched)
        found, total, false = found + hits, total + len(matched), false + len(faces) - hits
    return {
        "recall": round(found / total, 4),
        "false_per_frame": round(false / len(truth), 4),
        "faces_per_frame": round(sum(len(f) for f in contestant.results) / len(truth), 4),
        "recall_by_segment": {name: round(h / n, 3) if n else None for name, (h, n) in segments.items()},
    }


def emotion_agreement(a: Contestant, b: Contestant, truth: list[dict]) -> dict[str, Any]:
    """Where both found the frontal face of a frontal segment: same emotion?"""
    both = same = 0
    for fa, fb, frame in zip(a.results, b.results, truth, strict=True):
        if frame["segment"] not in FRONTAL or len(frame["faces"]) != 1:
            continue
        (ma,), (mb,) = (
            match([x for x, _ in fa], [frame["faces"][0]["box"]]),
            match([x for x, _ in fb], [frame["faces"][0]["box"]]),
        )
        if ma is not None and mb is not None:
            both += 1
            same += fa[ma][1] == fb[mb][1]
    return {"frames_both_found": both, "same_emotion": round(same / both, 4) if both else None}


# -- still images ---------------------------------------------------------------------------------


def still_images() -> list[tuple[str, np.ndarray, list[list[int]]]]:
    """(name, BGR image, truth boxes) for real photos and honest composites of them."""
    people = make_clip.sprites()
    images = [
        ("astronaut photo", people["A"].image, [people["A"].face]),
        ("Grace Hopper photo", people["B"].image, [people["B"].face]),
        ("camera man photo (turned, occluded)", people["C"].image, [people["C"].face]),
    ]
    images = [
        (n, np.clip(im, 0, 255).astype(np.uint8), [[round(v) for v in f] for f in faces]) for n, im, faces in images
    ]

    def compose(size: tuple[int, int], placed: list[tuple[str, make_clip.Pose]], gain: float = 1.0) -> tuple:
        frame = make_clip.background(*size)
        truth = []
        for name, pose in placed:
            frame, box, _ = make_clip.paste(frame, people[name], pose)
            truth.append(box)
        return np.clip(frame * gain, 0, 255).astype(np.uint8), truth

    single = [
        ("rolled 15 degrees", make_clip.Pose(320, 170, 120, angle=15)),
        ("rolled 30 degrees", make_clip.Pose(320, 170, 120, angle=30)),
        ("rolled 45 degrees", make_clip.Pose(320, 170, 120, angle=45)),
        ("squeezed to 60% (yaw)", make_clip.Pose(320, 170, 120, squeeze=0.6)),
        ("mirrored", make_clip.Pose(320, 170, 120, mirror=True)),
        ("small (40 px)", make_clip.Pose(320, 170, 40)),
        ("tiny (26 px)", make_clip.Pose(320, 170, 26)),
        ("motion blur (20 px)", make_clip.Pose(320, 170, 120, velocity=(25.0, 0.0))),
    ]
    for name, pose in single:
        frame, truth = compose((640, 360), [("A", pose)])
        images.append((f"astronaut {name}", frame, truth))
    frame, truth = compose((640, 360), [("A", make_clip.Pose(320, 170, 120))], gain=0.3)
    images.append(("astronaut dim (30% exposure)", frame, truth))

    shades = people["B"]
    shaded = shades.image.copy()
    fx, fy, fw, fh = shades.face
    for ex in (0.3, 0.7):  # sunglasses: two dark lenses over her eyes and glasses
        cv2.ellipse(
            shaded,
            (round(fx + ex * fw), round(fy + 0.33 * fh)),
            (round(fw * 0.17), round(fh * 0.1)),
            0,
            0,
            360,
            (20, 20, 25),
            -1,
        )
    people["S"] = make_clip.Sprite(shaded, shades.face, shades.alpha)
    for label, scale in (("", 1.0), (" small", 0.5)):
        group = [
            ("A", make_clip.Pose(150, 170, 110 * scale)),
            ("B", make_clip.Pose(330, 160, 100 * scale)),
            ("C", make_clip.Pose(500, 190, 90 * scale)),
            ("A", make_clip.Pose(660, 170, 105 * scale, angle=20, mirror=True)),
            ("S", make_clip.Pose(820, 165, 100 * scale)),
        ]
        if scale < 1:
            group = [
                (n, make_clip.Pose(480 + (p.cx - 480) * 0.6, p.cy, p.face_width, p.angle, mirror=p.mirror))
                for n, p in group
            ]
        frame, truth = compose((960, 400), group)
        images.append((f"group of five{label} (sunglasses, rolled+mirrored, turned)", frame, truth))
    return images


def still_table(classifier: EmotionClassifier) -> list[dict[str, Any]]:
    detectors = {}
    for label, kind, model in (
        ("BlazeFace full", "blazeface", "full_range"),
        ("BlazeFace short", "blazeface", "short_range"),
        ("Haar", "haar", "full_range"),
    ):
        detector, note = make_detector(DetectorSettings(kind=kind, blazeface_model=model))
        assert not note, note
        detectors[label] = lambda bgr, d=detector: d.detect_frame(bgr, cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
    fer = fer_contestant()
    if fer is not None:
        analyse = fer.make()
        detectors["fer"] = lambda bgr: [box for box, _ in analyse(bgr, 0.0)]
    rows = []
    for name, image, truth in still_images():
        row: dict[str, Any] = {"image": name, "size": list(image.shape[1::-1]), "faces": len(truth)}
        for label, detect in detectors.items():
            found = detect(image)
            hits = sum(m is not None for m in match(found, truth))
            row[label] = {"found": hits, "false": len(found) - hits}
        rows.append(row)
    return rows


# -- report -----------------------------------------------------------------------------------------


def summarise(racers: list[Contestant], truth: list[dict], rounds: int, warmup: int) -> dict[str, Any]:
    by_name = {c.name: c for c in racers}
    fer = by_name.get("fer FER().detect_emotions")
    rows = []
    for c in racers:
        row = {
            "name": c.name,
            "median_ms": round(statistics.median(c.times), 3),
            "p95_ms": round(float(np.percentile(c.times, 95)), 3),
            "mean_ms": round(statistics.fmean(c.times), 3),
            **clip_scores(c, truth),
        }
        if c.reference:
            row["same_as_unoptimized"] = round(
                sum(same_faces(a, b) for a, b in zip(c.results, by_name[c.reference].results, strict=True))
                / len(truth),
                4,
            )
        if fer is not None:
            row["median_vs_fer"] = round(row["median_ms"] / statistics.median(fer.times), 3)
            row["mean_vs_fer"] = round(row["mean_ms"] / statistics.fmean(fer.times), 3)
        rows.append(row)
    agreement = emotion_agreement(
        by_name["eMuse BlazeFace full range, every frame"], by_name["eMuse Haar, every frame"], truth
    )
    return {"rows": rows, "blazeface_vs_haar_emotions": agreement, "rounds": rounds, "warmup_frames": warmup}


def markdown(result: dict[str, Any]) -> str:
    clip = result["clip"]
    lines = [
        f"Measured {result['measured']} on {result['machine']}; load average {result['load_before']} before / "
        f"{result['load_after']} after: **the machine was shared with a training run and other sessions**, so "
        "compare rows with each other, not with other runs. "
        f"Clip: `{clip['name']}` from benchmarks/make_clip.py (the hardest we have), {clip['frames']} frames "
        f"{clip['size'][0]}x{clip['size'][1]} at {clip['fps']} fps, {clip['faces']} visible faces in all; "
        f"{result['summary']['rounds']} interleaved rounds, {result['summary']['warmup_frames']} warm-up frames "
        "per contestant and round not timed, decoding not timed. "
        f"Emotion model {result['model']} ({result['backend']}).",
        "",
        "| pipeline | median ms | p95 ms | mean ms | median / fer | mean / fer | recall | false/frame | faces/frame "
        "| same as its unoptimized path |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["summary"]["rows"]:
        lines.append(
            f"| {r['name']} | {r['median_ms']:.2f} | {r['p95_ms']:.2f} | {r['mean_ms']:.2f} | "
            f"{r.get('median_vs_fer', '-')} | {r.get('mean_vs_fer', '-')} | {r['recall']:.1%} | "
            f"{r['false_per_frame']:.3f} | {r['faces_per_frame']:.2f} | "
            + (f"{r['same_as_unoptimized']:.1%}" if "same_as_unoptimized" in r else "(reference)")
            + " |"
        )
    segments = list(result["summary"]["rows"][0]["recall_by_segment"])
    lines += [
        "",
        "Recall by segment (share of visible truth faces found):",
        "",
        "| pipeline | " + " | ".join(segments) + " |",
        "|---|" + "---:|" * len(segments),
    ]
    for r in result["summary"]["rows"]:
        cells = [r["recall_by_segment"][s] for s in segments]
        lines.append(f"| {r['name']} | " + " | ".join("-" if v is None else f"{v:.0%}" for v in cells) + " |")
    agree = result["summary"]["blazeface_vs_haar_emotions"]
    lines += [
        "",
        f"Emotions, BlazeFace full range vs Haar (both every frame), frontal segments ({', '.join(FRONTAL)}), "
        f"frames where both found the face: {agree['frames_both_found']}, same emotion on "
        + (f"{agree['same_emotion']:.1%}." if agree["same_emotion"] is not None else "n/a."),
        "",
        "Faces found on still images (found of known faces; false detections in brackets):",
        "",
    ]
    labels = [k for k in result["stills"][0] if k not in ("image", "size", "faces")]
    lines += ["| image | faces | " + " | ".join(labels) + " |", "|---|---:|" + "---:|" * len(labels)]
    totals = dict.fromkeys(labels, 0)
    for row in result["stills"]:
        cells = []
        for label in labels:
            totals[label] += row[label]["found"]
            cells.append(f"{row[label]['found']}" + (f" (+{row[label]['false']})" if row[label]["false"] else ""))
        lines.append(f"| {row['image']} | {row['faces']} | " + " | ".join(cells) + " |")
    lines.append(
        f"| **all** | {sum(r['faces'] for r in result['stills'])} | "
        + " | ".join(str(totals[k]) for k in labels)
        + " |"
    )
    if not result["fer_available"]:
        lines += ["", "fer is not installed in this environment: run with benchmarks/.venv for its rows."]
    return "\n".join(lines) + "\n"


def read_clip(path: Path) -> tuple[list[np.ndarray], dict]:
    truth_file = path.with_suffix(".json")
    if not path.is_file() or not truth_file.is_file():
        raise SystemExit(f"{path} or its .json is missing: run `python benchmarks/make_clip.py --out {path}` first")
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    truth = json.loads(truth_file.read_text())
    if len(frames) != len(truth["frames"]):
        raise SystemExit(f"{path}: {len(frames)} frames but {len(truth['frames'])} in the truth file; make it again")
    return frames, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", type=Path, default=CLIP)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    frames, truth = read_clip(args.clip)
    classifier = EmotionClassifier(backend="tflite")
    load_before = round(os.getloadavg()[0], 2)
    racers = contestants(classifier)
    for round_index in range(args.rounds):
        for racer in racers:
            time_round(racer, frames, float(truth["fps"]), args.warmup, keep=round_index == 0)
    result: dict[str, Any] = {
        "measured": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.processor() or platform.machine()} ({os.cpu_count()} cores)",
        "load_before": load_before,
        "clip": {
            "name": args.clip.name,
            "frames": len(frames),
            "size": truth["size"],
            "fps": truth["fps"],
            "faces": sum(len(f["faces"]) for f in truth["frames"]),
        },
        "model": classifier.name,
        "backend": classifier.backend,
        "fer_available": any(r.name.startswith("fer") for r in racers),
        "summary": summarise(racers, truth["frames"], args.rounds, args.warmup),
    }
    result["stills"] = still_table(classifier)
    result["load_after"] = round(os.getloadavg()[0], 2)
    text = markdown(result)
    print(text)
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "detectors.json").write_text(json.dumps(result, indent=2) + "\n")
        (RESULTS / "detectors.md").write_text(text)


if __name__ == "__main__":
    main()
