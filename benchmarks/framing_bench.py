"""Measure how BlazeFace's boxes relate to Haar's, and whether the mapped crop keeps the emotions.

The emotion model was trained on FER2013, whose 48x48 faces are framed about the way
the Haar cascade frames a face. BlazeFace draws a tighter, lower box. This script
learns the map from a BlazeFace box to the Haar box on real faces and checks that,
with it, switching detectors does not change the emotion read from a frontal face.

Run from the project root (needs ``../shared/fer2013/fer2013-train-val.zip``; nothing
from it is written anywhere but the numbers)::

    .venv/bin/python benchmarks/framing_bench.py                 # about 3 minutes on 2 cores
    .venv/bin/python benchmarks/framing_bench.py --fit 400 --check 400   # quicker

Method:

1. **Faces**: FER2013 JPEGs, upscaled 4x (bicubic, 192x192) and centred on a 384x384
   canvas of their mean gray, so every detector sees the whole face with room around
   it. ``--fit`` random ``train/`` images learn the map; ``--check`` random ``val/``
   images (different people) test it.
2. **Detectors**: the Haar cascade exactly as the app runs it (default
   :class:`~emuse.vision.detect.DetectorSettings`, 320-pixel working copy) and both
   BlazeFace models' raw boxes.
3. **Map** (per BlazeFace model): over faces both found exactly once, the medians of
   the Haar box centre's offset from the BlazeFace box centre (fractions of its width
   and height) and of the ratio of the sides. Medians, because a few faces each
   detector frames oddly should not move it; interquartile ranges are reported.
4. **FER2013 framing**: the median Haar box in the 48x48 frame, i.e. how much of the
   frame a Haar box covers (for the model's crop, see docs and /work notes).
5. **Check** on the held-out faces: IoU of the mapped box with Haar's, and how often
   the shipped emotion model gives the same emotion on the Haar crop and on the
   BlazeFace crop, mapped and raw; accuracy against the FER2013 labels for each.
6. **Real photos** that the test dependencies ship: scikit-image's astronaut and
   camera man, matplotlib's Grace Hopper: IoU of mapped BlazeFace boxes with Haar's.

Writes ``benchmarks/results/framing.json`` and ``framing.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from emuse.labels import EMOTIONS  # noqa: E402
from emuse.vision.blazeface import SPECS, BlazeFaceDetector, BoxMap  # noqa: E402
from emuse.vision.classifier import EmotionClassifier  # noqa: E402
from emuse.vision.detect import DetectorSettings, HaarDetector, iou  # noqa: E402

ZIP = ROOT.parent / "shared" / "fer2013" / "fer2013-train-val.zip"
RESULTS = ROOT / "benchmarks" / "results"
UP, PAD = 4, 96


def load(zf: zipfile.ZipFile, split: str, count: int, seed: int) -> list[tuple[str, np.ndarray]]:
    """``count`` random (label, 48x48 gray) faces of one split."""
    names = sorted(n for n in zf.namelist() if n.startswith(f"{split}/") and n.endswith(".jpg"))
    picked = np.random.default_rng(seed).permutation(len(names))[:count]
    out = []
    for i in sorted(picked):
        gray = cv2.imdecode(np.frombuffer(zf.read(names[i]), np.uint8), cv2.IMREAD_GRAYSCALE)
        out.append((names[i].split("/")[1], gray))
    return out


def canvas(gray48: np.ndarray) -> np.ndarray:
    big = cv2.resize(gray48, (48 * UP, 48 * UP), interpolation=cv2.INTER_CUBIC)
    return cv2.copyMakeBorder(big, PAD, PAD, PAD, PAD, cv2.BORDER_CONSTANT, value=int(gray48.mean()))


def detect_all(faces: list[tuple[str, np.ndarray]]) -> list[dict]:
    haar = HaarDetector(DetectorSettings(kind="haar"))
    blaze = {name: BlazeFaceDetector(spec) for name, spec in SPECS.items()}
    rows = []
    for label, gray48 in faces:
        gray = canvas(gray48)
        bgr = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
        row = {"label": label, "gray": gray, "haar": haar.detect(gray)}
        for name, detector in blaze.items():
            row[name] = [d.box for d in detector.detect_raw(bgr)]
        rows.append(row)
    return rows


def quartiles(values: np.ndarray) -> list[float]:
    return [round(float(v), 4) for v in np.percentile(values, [25, 50, 75])]


def fit_map(rows: list[dict], model: str) -> tuple[BoxMap, dict]:
    offsets = []
    for row in rows:
        if len(row["haar"]) == 1 and len(row[model]) == 1:
            (hx, hy, hw, hh), (bx, by, bw, bh) = row["haar"][0], row[model][0]
            offsets.append(((hx + hw / 2 - bx - bw / 2) / bw, (hy + hh / 2 - by - bh / 2) / bh, hw / bw, hh / bh))
    a = np.asarray(offsets)
    scale = float(np.median(np.sqrt(a[:, 2] * a[:, 3])))
    box_map = BoxMap(round(float(np.median(a[:, 0])), 3), round(float(np.median(a[:, 1])), 3), round(scale, 3))
    spread = {
        "faces": len(a),
        "dx_quartiles": quartiles(a[:, 0]),
        "dy_quartiles": quartiles(a[:, 1]),
        "scale_w_quartiles": quartiles(a[:, 2]),
        "scale_h_quartiles": quartiles(a[:, 3]),
    }
    return box_map, spread


def fer_framing(rows: list[dict]) -> dict:
    """Where the 48x48 FER2013 frame lies relative to the Haar box on it."""
    rel = []
    for row in rows:
        if len(row["haar"]) == 1:
            x, y, w, h = ((v - PAD) / UP if i < 2 else v / UP for i, v in enumerate(row["haar"][0]))
            rel.append(((24 - (x + w / 2)) / w, (24 - (y + h / 2)) / h, 48 / w, x, y, w))
    a = np.asarray(rel)
    return {
        "faces": len(a),
        "haar_box_in_48px_frame_median": [round(float(v), 2) for v in np.median(a[:, 3:6], axis=0)],
        "frame_centre_offset_dx_dy_quartiles": [quartiles(a[:, 0]), quartiles(a[:, 1])],
        "frame_side_over_haar_side_quartiles": quartiles(a[:, 2]),
    }


def check(rows: list[dict], maps: dict[str, BoxMap], classifier: EmotionClassifier) -> dict:
    """On faces Haar and the BlazeFace model both found once: overlap, and emotions per crop.

    Four crops of each face: the FER2013 frame itself (the framing the model was
    trained on, the reference), Haar's box, BlazeFace's raw box, and the mapped box.
    """
    out: dict = {}
    size = 48 * UP + 2 * PAD
    frame_box = (PAD, PAD, 48 * UP, 48 * UP)
    for model, box_map in maps.items():
        both = [r for r in rows if len(r["haar"]) == 1 and len(r[model]) == 1]
        ious: dict[str, list[float]] = {"raw": [], "mapped": []}
        same_as_haar = {"raw": 0, "mapped": 0}
        same_as_frame = {"haar": 0, "raw": 0, "mapped": 0}
        correct = {"frame": 0, "haar": 0, "raw": 0, "mapped": 0}
        for row in both:
            raw = row[model][0]
            boxes = {"frame": frame_box, "haar": row["haar"][0], "raw": raw, "mapped": box_map.apply(raw, size, size)}
            scores = classifier.classify(row["gray"], list(boxes.values()))
            emotion = {key: EMOTIONS[int(np.argmax(s))] for key, s in zip(boxes, scores, strict=True)}
            for key in ious:
                ious[key].append(iou(boxes["haar"], boxes[key]))
                same_as_haar[key] += emotion[key] == emotion["haar"]
            for key in same_as_frame:
                same_as_frame[key] += emotion[key] == emotion["frame"]
            for key in correct:
                correct[key] += emotion[key] == row["label"]
        n = max(1, len(both))
        out[model] = {
            "faces_found_by_both": len(both),
            "iou_with_haar_median": {k: round(float(np.median(v)), 3) for k, v in ious.items()},
            "same_emotion_as_haar": {k: round(v / n, 4) for k, v in same_as_haar.items()},
            "same_emotion_as_fer_frame": {k: round(v / n, 4) for k, v in same_as_frame.items()},
            "accuracy_vs_label": {k: round(v / n, 4) for k, v in correct.items()},
        }
    return out


def real_photos(maps: dict[str, BoxMap]) -> list[dict]:
    from matplotlib import cbook
    from skimage import data

    photos = {
        "skimage astronaut": cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR),
        "skimage camera": cv2.cvtColor(data.camera(), cv2.COLOR_GRAY2BGR),
        "matplotlib grace_hopper": cv2.imread(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))),
    }
    haar = HaarDetector(DetectorSettings(kind="haar"))
    out = []
    for name, bgr in photos.items():
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        haar_boxes = haar.detect(gray)
        row: dict = {"photo": name, "haar": [list(b) for b in haar_boxes]}
        for model, box_map in maps.items():
            raw = [d.box for d in BlazeFaceDetector(SPECS[model]).detect_raw(bgr)]
            mapped = [box_map.apply(b, bgr.shape[1], bgr.shape[0]) for b in raw]
            row[model] = {"raw": [list(b) for b in raw], "mapped": [list(b) for b in mapped]}
            if haar_boxes and raw:
                row[model]["iou_with_haar"] = {
                    "raw": round(iou(haar_boxes[0], raw[0]), 3),
                    "mapped": round(iou(haar_boxes[0], mapped[0]), 3),
                }
        out.append(row)
    return out


def markdown(result: dict) -> str:
    lines = [
        f"Measured {result['measured']} on {result['machine']}, load average {result['load_before']} before / "
        f"{result['load_after']} after (a training run shared the machine). FER2013 faces upscaled 4x on a "
        f"384x384 canvas; map fitted on {result['fit_faces']} random train/ faces, checked on "
        f"{result['check_faces']} random val/ faces. Emotion model: {result['model']}.",
        "",
        "| detector | found exactly once: fit set | check set |",
        "|---|---:|---:|",
    ]
    for name, found in result["found"].items():
        lines.append(f"| {name} | {found['fit']} | {found['check']} |")
    lines += [
        "",
        "Check set, faces Haar and the BlazeFace model both found once. 'Same emotion as the FER2013 frame': the "
        "emotion from the crop agrees with the one from the 48x48 frame itself (the framing the model was "
        "trained on); Haar's own crop is the baseline.",
        "",
        "| BlazeFace model | map dx, dy, scale | faces | IoU with Haar: raw -> mapped "
        "| same emotion as Haar: raw -> mapped | same emotion as FER frame: Haar / raw / mapped "
        "| accuracy: frame / Haar / raw / mapped |",
        "|---|---|---:|---|---|---|---|",
    ]
    for model, m in result["maps"].items():
        c = result["check"][model]
        f, a = c["same_emotion_as_fer_frame"], c["accuracy_vs_label"]
        lines.append(
            f"| {model} | {m['dx']}, {m['dy']}, {m['scale']} | {c['faces_found_by_both']} | "
            f"{c['iou_with_haar_median']['raw']} -> {c['iou_with_haar_median']['mapped']} | "
            f"{c['same_emotion_as_haar']['raw']:.1%} -> {c['same_emotion_as_haar']['mapped']:.1%} | "
            f"{f['haar']:.1%} / {f['raw']:.1%} / {f['mapped']:.1%} | "
            f"{a['frame']:.1%} / {a['haar']:.1%} / {a['raw']:.1%} / {a['mapped']:.1%} |"
        )
    f = result["fer_framing"]
    lines += [
        "",
        f"FER2013 framing: the Haar box on a FER2013 face is, at the median, {f['haar_box_in_48px_frame_median']} "
        f"(x, y, side) of the 48x48 frame; the frame's side is {f['frame_side_over_haar_side_quartiles'][1]} "
        f"times the Haar box's (quartiles {f['frame_side_over_haar_side_quartiles']}) over {f['faces']} faces.",
        "",
        "Real photos (first face; IoU of BlazeFace with Haar, raw -> mapped):",
        "",
    ]
    for row in result["real_photos"]:
        parts = [
            f"{model} {row[model]['iou_with_haar']['raw']} -> {row[model]['iou_with_haar']['mapped']}"
            for model in result["maps"]
            if "iou_with_haar" in row[model]
        ]
        found = ", ".join(f"{model} {len(row[model]['raw'])}" for model in result["maps"])
        lines.append(f"- {row['photo']}: Haar {len(row['haar'])} face(s), {found}; " + ("; ".join(parts) or "no pair"))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zip", type=Path, default=ZIP)
    parser.add_argument("--fit", type=int, default=1500, help="train/ faces to fit the map on")
    parser.add_argument("--check", type=int, default=1500, help="val/ faces to check it on")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true", help="print, do not write benchmarks/results/")
    args = parser.parse_args()
    if not args.zip.is_file():
        raise SystemExit(f"{args.zip} is missing; pass --zip PATH to the FER2013 zip (see README)")
    load_before = round(os.getloadavg()[0], 2)
    started = time.perf_counter()
    with zipfile.ZipFile(args.zip) as zf:
        fit_rows = detect_all(load(zf, "train", args.fit, args.seed))
        check_rows = detect_all(load(zf, "val", args.check, args.seed))
    maps, spreads = {}, {}
    for model in SPECS:
        maps[model], spreads[model] = fit_map(fit_rows, model)
    classifier = EmotionClassifier(backend="tflite")
    result = {
        "measured": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.processor() or platform.machine()} ({os.cpu_count()} cores)",
        "load_before": load_before,
        "model": classifier.name,
        "fit_faces": args.fit,
        "check_faces": args.check,
        "found": {
            name: {
                "fit": sum(len(r[name]) == 1 for r in fit_rows),
                "check": sum(len(r[name]) == 1 for r in check_rows),
            }
            for name in ("haar", *SPECS)
        },
        "maps": {model: {"dx": m.dx, "dy": m.dy, "scale": m.scale, **spreads[model]} for model, m in maps.items()},
        "fer_framing": fer_framing(fit_rows),
        "check": check(check_rows, maps, classifier),
        "real_photos": real_photos(maps),
    }
    result["load_after"] = round(os.getloadavg()[0], 2)
    result["seconds"] = round(time.perf_counter() - started, 1)
    text = markdown(result)
    print(text)
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "framing.json").write_text(json.dumps(result, indent=2) + "\n")
        (RESULTS / "framing.md").write_text(text)


if __name__ == "__main__":
    main()
