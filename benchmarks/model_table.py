"""The model table of the README and docs/training.md, measured again from ../shared/fer2013.

For every registered model (shipped and trained): PublicTest accuracy and macro F1
through the classifier the Live page uses (its TTA and ensemble included), recall of
the two weakest classes, parameters, the LiteRT conversion (float or quantized),
milliseconds per face (median of 300 calls of one face after 30 warm-up calls, one
thread) and training minutes from its
``meta.json``. Also draws the default model's confusion matrix as a picture.

    python benchmarks/model_table.py [--data ../shared/fer2013/fer2013-train-val.zip]

Writes ``benchmarks/results/model_table.json``, ``benchmarks/results/model_table.md`` and
``docs/confusion-default.png``. Needs the data (not in the repository), so it is a
benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from emuse import registry
from emuse.files import atomic_write_bytes
from emuse.labels import EMOTIONS
from emuse.training.data import load
from emuse.training.evaluate import classifier_scores
from emuse.training.metrics import classification_metrics
from emuse.vision.bench import ms_per_face
from emuse.vision.classifier import EmotionClassifier

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def parameters(info: registry.ModelInfo) -> int | None:
    if info.members:
        counts = [parameters(registry.resolve(name)) for name, _ in info.members]
        return None if None in counts else sum(counts)  # type: ignore[arg-type]
    if info.meta.get("parameters") is None and info.model_file.is_file():
        return int(EmotionClassifier(info.path, backend="keras").model.count_params())
    return info.meta.get("parameters")


def confusion_png(metrics: dict, title: str, path: Path) -> None:
    shares = np.array(metrics["confusion_matrix"]["normalized"])
    fig, ax = plt.subplots(figsize=(6.4, 5.4), dpi=110)
    ax.imshow(shares, cmap="Purples", vmin=0, vmax=1)
    ax.set_xticks(range(7), EMOTIONS, rotation=35, ha="right")
    ax.set_yticks(range(7), EMOTIONS)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true emotion")
    for i in range(7):
        for j in range(7):
            ax.text(
                j, i, f"{shares[i, j]:.0%}", ha="center", va="center", color="white" if shares[i, j] > 0.5 else "black"
            )
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "fer2013" / "fer2013-train-val.zip")
    args = parser.parse_args()
    val = load(args.data).split("val")
    default = registry.default_model_name()
    rows = []
    for info in registry.list_models():
        classifier = EmotionClassifier(info.name)
        classifier.wait_ready()
        metrics = classification_metrics(val.y, classifier_scores(classifier, val.x).argmax(axis=1))
        minutes = info.meta.get("training_time_s")
        rows.append(
            {
                "model": info.name,
                "default": info.name == default,
                "architecture": info.meta.get("architecture"),
                # An ensemble's members keep their own TTA and conversion (the README's table lists them).
                "tta": "members'" if info.members else classifier.tta,
                "conversion": "members'" if info.members else classifier.quantization,
                "accuracy": round(metrics["accuracy"], 4),
                "macro_f1": round(metrics["macro_f1"], 4),
                "fear_recall": round(metrics["per_class"]["fear"]["recall"], 3),
                "disgust_recall": round(metrics["per_class"]["disgust"]["recall"], 3),
                "parameters": parameters(info),
                "ms_per_face": round(ms_per_face(classifier), 3),
                "training_minutes": None if minutes is None else round(minutes / 60, 1),
            }
        )
        if info.name == default:
            title = f"{info.name} on PublicTest: accuracy {metrics['accuracy']:.1%}, macro F1 {metrics['macro_f1']:.3f}"
            confusion_png(metrics, title, ROOT / "docs" / "confusion-default.png")
        print(json.dumps(rows[-1]), flush=True)
    atomic_write_bytes(RESULTS / "model_table.json", (json.dumps(rows, indent=1) + "\n").encode())
    head = (
        "| model | network | TTA | LiteRT conversion | PublicTest accuracy | macro F1 | fear recall | disgust recall "
        "| parameters | ms/face | training min |"
    )
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        name = f"**{r['model']}** (default)" if r["default"] else r["model"]
        params = f"{r['parameters']:,}" if r["parameters"] else "—"
        train = r["training_minutes"] if r["training_minutes"] is not None else "—"
        lines.append(
            f"| {name} | {r['architecture']} | {r['tta']} | {r['conversion']} | {r['accuracy']:.1%} | "
            f"{r['macro_f1']:.3f} | "
            f"{r['fear_recall']:.1%} | {r['disgust_recall']:.1%} | {params} | {r['ms_per_face']:.2f} | {train} |"
        )
    atomic_write_bytes(RESULTS / "model_table.md", ("\n".join(lines) + "\n").encode())
    print("\n".join(lines))


if __name__ == "__main__":
    main()
