"""Which test-time views pay: mirror, 2-pixel shifts, both; for each network and for the default ensemble.

Every network of the default ensemble scores PublicTest once per view (the face; its
mirror; the face moved 2 pixels left, right, up and down, edges repeated; the mirrors
of those), as registered (its quantization) but without its own TTA or bias. The views
are then averaged in memory, so each TTA mode costs no extra network calls here:

    none      the face                         1 view
    mirror    + its mirror (what ships)        2 views
    shift5    + the four shifts                5 views
    mirror10  mirror + shifts + their mirrors  10 views

For the ensemble the members keep the default's weights and log-score bias, all in the
same mode. Measured 2026-12-02 (``benchmarks/results/tta_views.json``): shifts help a
network alone (``emuse_resnet`` 67.7% mirrored, 68.4% with ten views; the ``fer`` model
66.2% and 67.3%) but not the ensemble: the four-network default of that morning scored
70.1% mirrored and 69.6% with ten views; the five-network default 69.9% with all members
mirrored and 69.9% with ten views (70.2% as registered, some members without TTA).
Averaging networks already smooths what averaging shifted views smooths, so five times
the network calls buy nothing and the members stay on mirror TTA or none.

    python benchmarks/tta_views.py [--data ../shared/fer2013/fer2013-train-val.zip]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from emuse.files import atomic_write_bytes
from emuse.training.data import load
from emuse.training.evaluate import classifier_scores
from emuse.vision.calibration import shift_log_scores
from emuse.vision.classifier import EmotionClassifier

ROOT = Path(__file__).resolve().parent.parent
SHIFTS = {"left": (-2, 0), "right": (2, 0), "up": (0, -2), "down": (0, 2)}
MODES = {
    "none": ["face"],
    "mirror": ["face", "mirror"],
    "shift5": ["face", *SHIFTS],
    "mirror10": ["face", "mirror", *SHIFTS, *(f"mirror {s}" for s in SHIFTS)],
}


def shifted(faces: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """(N, H, W) faces moved ``dx`` pixels right and ``dy`` down, the edge rows and columns repeated."""
    height, width = faces.shape[1:]
    rows = np.clip(np.arange(height) - dy, 0, height - 1)
    cols = np.clip(np.arange(width) - dx, 0, width - 1)
    return faces[:, rows][:, :, cols]


def views(faces: np.ndarray) -> dict[str, np.ndarray]:
    """Every view of the faces, each a contiguous array (OpenCV resizes no mirrored, negative-stride view)."""
    found = {"face": faces, "mirror": faces[:, :, ::-1]}
    for name, (dx, dy) in SHIFTS.items():
        found[name] = shifted(faces, dx, dy)
        found[f"mirror {name}"] = found[name][:, :, ::-1]
    return {view: np.ascontiguousarray(x) for view, x in found.items()}


def network_scores(classifier: EmotionClassifier, faces: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The network's scores for every view, as registered but without its own TTA and bias."""
    classifier.tta, classifier.log_bias = "none", np.zeros_like(classifier.log_bias)
    return {view: classifier_scores(classifier, x) for view, x in faces.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "fer2013" / "fer2013-train-val.zip")
    args = parser.parse_args()

    val = load(args.data).split("val")
    default = EmotionClassifier(None)
    default.wait_ready()
    bias = default.log_bias.copy()  # before a lone network's own bias is switched off below
    networks = default.members or [(default, 1.0)]
    faces = views(val.x)
    scored = {network.name: network_scores(network, faces) for network, _ in networks}
    members = [(network.name, weight) for network, weight in networks]

    def accuracy(scores: np.ndarray) -> float:
        return round(float((scores.argmax(axis=1) == val.y).mean()), 4)

    table: dict[str, dict[str, float]] = {}
    for name, per_view in scored.items():
        table[name] = {mode: accuracy(np.mean([per_view[v] for v in used], axis=0)) for mode, used in MODES.items()}
    total = sum(weight for _, weight in members)
    table[f"{default.name} (weights and bias as registered)"] = {
        mode: accuracy(
            shift_log_scores(
                sum(weight * np.mean([scored[name][v] for v in used], axis=0) for name, weight in members) / total,
                bias,
            )
        )
        for mode, used in MODES.items()
    }
    print(f"{'PublicTest accuracy':60}" + "".join(f"{mode:>10}" for mode in MODES))
    for name, row in table.items():
        print(f"{name:60}" + "".join(f"{row[mode]:10.2%}" for mode in MODES))
    out = ROOT / "benchmarks" / "results" / "tta_views.json"
    atomic_write_bytes(
        out, json.dumps({"data": str(args.data), "faces": len(val.y), "accuracy": table}, indent=1).encode()
    )
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
