"""Ship eMuse's own model and choose the default by measurement on FER2013's PublicTest.

Run from the project root after ``python -m emuse train`` has produced a model::

    python models/make_default.py --trained data/models/emuse_resnet \\
        --data ../shared/fer2013/fer2013-train-val.zip

What it does, in order:

1. Copies the trained model into ``models/<name>/`` (``model.keras`` and ``meta.json``),
   adds FER2013's measured framing (:mod:`emuse.vision.framing`) and converts it to
   TFLite beside it (the classifier checks the conversion against Keras).
2. Scores PublicTest once per candidate network, LiteRT conversion (float, dynamic-range
   or int8 quantized, :mod:`emuse.vision.litert`; int8 calibrated on 500 training faces)
   and test-time augmentation (none or mirror) through
   :class:`~emuse.vision.classifier.EmotionClassifier`, the class the Live page uses, and
   times one face per call (median of 300 calls after 30 warm-up calls, one thread). Each
   network keeps its fastest conversion whose mirrored accuracy is within
   ``QUANTIZATION_LOSS`` of the float one's.
3. Tries every weighted ensemble of the trained model, the networks named by ``--also``
   (for example an earlier run of ours) and the ``fer`` model on a grid of weights in
   0.1 steps (an ensemble's scores are the weighted mean of its members', exactly what
   the classifier computes), keeps those within the time budget whose disgust and fear
   recall beat the ``fer`` model's, and picks the best PublicTest accuracy. A per-class
   log-score bias for disgust and fear (their decision thresholds) is searched with it.
   Everything is chosen on PublicTest, as FER2013 intends; the figure that judges the
   choice is PrivateTest, which is not here.
4. Registers the winner (a single network's ``meta.json`` gets its TTA; an ensemble is a
   folder with only ``meta.json`` naming its members), re-evaluates it through
   ``emuse.training.evaluate`` to store its metrics, and writes ``models/DEFAULT``
   when it beats the ``fer`` model. The table of every candidate goes to
   ``benchmarks/results/model_choice.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
from itertools import product
from pathlib import Path

import numpy as np

from emuse import registry
from emuse.files import atomic_write_bytes
from emuse.labels import EMOTIONS
from emuse.quiet import import_keras
from emuse.training.data import Split, load
from emuse.training.evaluate import classifier_scores, evaluate
from emuse.training.metrics import many_metrics
from emuse.vision import litert
from emuse.vision.bench import ms_per_face
from emuse.vision.calibration import log_scores
from emuse.vision.classifier import EmotionClassifier, resized
from emuse.vision.framing import FER2013

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
FER_MODEL = "fer2013_mini_xception"
#: The issue's budget: at most 1.5 ms per face at the median through LiteRT on the 2-core CPU.
BUDGET_MS = 1.5
#: PublicTest accuracy a quantized conversion may lose against the float one (with mirror TTA) to be used.
QUANTIZATION_LOSS = 0.003
#: Training faces that set an int8 conversion's activation ranges.
CALIBRATION_FACES = 500
#: Per-class log-score biases tried for the two rare classes (the rest stay 0): their decision thresholds.
BIASES = [
    {k: v for k, v in (("disgust", d), ("fear", f)) if v}
    for d in (0.0, 0.25, 0.5, 0.75, 1.0, 1.5)
    for f in (0.0, 0.1, 0.2, 0.3, 0.4, 0.6)
]


#: The index of "no bias" in :data:`BIASES`.
NO_BIAS = BIASES.index({})


def bias_vector(bias: dict[str, float]) -> np.ndarray:
    return np.array([bias.get(e, 0.0) for e in EMOTIONS])


def ship(trained: Path, name: str) -> Path:
    """Copy a trained model into models/<name>/ with FER2013's framing in its meta.json.

    A model.keras already there with the same weights is kept as it is: Keras writes a new
    zip (new timestamps) on every save, and each one would be another 5 MB in git's history.
    """
    target = MODELS / name
    target.mkdir(exist_ok=True)
    # Without the optimizer's state (a third of the file size, and a training-only loss function).
    keras = import_keras()
    model = keras.models.load_model(trained / "model.keras", compile=False)
    shipped = target / "model.keras"
    if not (shipped.exists() and same_weights(keras.models.load_model(shipped, compile=False), model)):
        model.save(shipped)
    meta = json.loads((trained / "meta.json").read_text())
    meta.update({"name": name, "framing": FER2013.as_meta(), "inference": {"tta": "none"}})
    registry.write_meta(target, meta)
    return target


def same_weights(a: object, b: object) -> bool:
    wa, wb = a.get_weights(), b.get_weights()  # type: ignore[attr-defined]
    return len(wa) == len(wb) and all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(wa, wb, strict=True))


def with_tta(name: str, tta: str, log_bias: dict[str, float] | None = None, quantization: str | None = None) -> None:
    """Set a network's TTA (and bias); its quantization stays unless one is given."""
    info = registry.resolve(name)
    quantization = quantization or (info.meta.get("inference") or {}).get("quantization", "none")
    inference = {"tta": tta, "quantization": quantization, **({"log_bias": log_bias} if log_bias else {})}
    registry.write_meta(info.path, {**info.meta, "inference": inference})


def convert(name: str, quantization: str, train_x: np.ndarray) -> None:
    """Register ``name`` with ``quantization`` and make that conversion beside it (its others removed)."""
    with_tta(name, "none", quantization=quantization)
    reference = EmotionClassifier(name, backend="keras")
    if quantization == "int8":
        faces = train_x[np.random.default_rng(0).choice(len(train_x), CALIBRATION_FACES, replace=False)]
        representative = resized(faces, reference.size).astype(np.float32)[..., None]
        litert.convert(reference.model, reference.tflite_path(), "int8", representative)
    classifier = EmotionClassifier(name, backend="tflite")  # makes a float or dynamic one; checks any
    if classifier.quantization != quantization:
        raise SystemExit(f"{name}: the {quantization} conversion could not be used ({classifier.backend_note})")


def register(best: dict, trained: str, fer_tta: str, ensemble: str) -> tuple[str, list[tuple[str, float, str]]]:
    """Register the candidate row ``best`` (an ensemble as ``ensemble``); returns the default's name and its
    (member, weight, tta)s."""
    members = [(name, weight, tta) for name, (weight, tta) in best["members"].items() if weight > 0]
    with_tta(FER_MODEL, fer_tta)  # the fer model at its best, for comparison (unless the candidate says)
    for name, _, tta in members:
        with_tta(name, tta)
    if len(members) == 1:
        default = members[0][0]
        with_tta(default, members[0][2], best["log_bias"])
        return default, members
    default = ensemble
    base = registry.resolve(trained).meta
    registry.write_meta(
        MODELS / default,
        {
            "name": default,
            "labels": base["labels"],
            "input_shape": base["input_shape"],
            "architecture": "ensemble",
            "framing": FER2013.as_meta(),
            "inference": {"log_bias": best["log_bias"]} if best["log_bias"] else {},
            "ensemble": {
                "members": [{"model": name, "weight": weight} for name, weight, _ in members],
                "chosen": "the best PublicTest accuracy within 1.5 ms per face as registered (models/make_default.py)",
            },
        },
    )
    return default, members


def candidates(
    names: list[str], val: Split, train_x: np.ndarray
) -> tuple[dict[tuple[str, str], tuple[np.ndarray, float]], dict[str, dict]]:
    """Scores on PublicTest and ms per face for every (network, tta), each network at its chosen conversion.

    Also returns every conversion's figures, per network, for the record.
    """
    found, record = {}, {}
    for name in names:
        tried = {}
        for quantization in litert.QUANTIZATIONS:
            convert(name, quantization, train_x)
            for tta in ("none", "mirror"):
                with_tta(name, tta)
                classifier = EmotionClassifier(name, backend="tflite")
                scores = classifier_scores(classifier, val.x)
                accuracy = float((scores.argmax(axis=1) == val.y).mean())
                tried[(quantization, tta)] = (scores, ms_per_face(classifier), accuracy)
                print(f"{name} {quantization} tta={tta}: {accuracy:.4f}, {tried[(quantization, tta)][1]:.3f} ms/face")
        floor = tried[("none", "mirror")][2] - QUANTIZATION_LOSS
        chosen = min(
            (q for q in litert.QUANTIZATIONS if tried[(q, "mirror")][2] >= floor), key=lambda q: tried[(q, "mirror")][1]
        )
        convert(name, chosen, train_x)
        for tta in ("none", "mirror"):
            found[(name, tta)] = tried[(chosen, tta)][:2]
        record[name] = {"chosen": chosen}
        for (q, tta), (_, ms, accuracy) in tried.items():
            record[name][f"{q} {tta}"] = {"accuracy": round(accuracy, 4), "ms_per_face": round(ms, 3)}
        print(f"{name}: {chosen} conversion", flush=True)
    return found, record


def weight_grid(k: int, step: float = 0.1) -> list[tuple[float, ...]]:
    """Every k-tuple of weights in ``step`` steps that sums to 1 (one member alone included)."""
    n = round(1 / step)
    found: list[tuple[float, ...]] = []

    def extend(prefix: tuple[int, ...], left: int) -> None:
        if len(prefix) == k - 1:
            found.append(tuple(round(v / n, 2) for v in (*prefix, left)))
            return
        for v in range(left + 1):
            extend((*prefix, v), left - v)

    extend((), n)
    return found


class Grid:
    """Every candidate: each weighting and TTA of the networks (a "config"), with each of :data:`BIASES`.

    Figures are arrays indexed ``[config, bias]``, from :func:`~emuse.training.metrics.many_metrics` over
    the biases at once: six networks make ~2 million candidates, scored in minutes and held in ~150 MB
    where a dictionary per candidate took 0.25 ms and ~1 kB each.
    """

    def __init__(self, names: list[str], scored: dict[tuple[str, str], tuple[np.ndarray, float]], y: np.ndarray):
        self.names = names
        self.configs: list[tuple[tuple[float, ...], tuple[str, ...]]] = []
        ms, accuracy, macro_f1, recall = [], [], [], []
        biases = np.stack([bias_vector(bias) for bias in BIASES])
        for weights in weight_grid(len(names)):
            used = [i for i, w in enumerate(weights) if w > 0]
            # Mirror TTA only for members in use (an unused member's TTA would only repeat a row).
            for ttas in product(*[("none", "mirror") if i in used else ("none",) for i in range(len(names))]):
                mixed = sum(weights[i] * scored[(names[i], ttas[i])][0] for i in used)
                # The class the biased scores pick, without their softmax (the same argmax).
                picked = (log_scores(mixed)[None] + biases[:, None, :]).argmax(axis=2)
                figures = many_metrics(y, picked)
                self.configs.append((weights, ttas))
                ms.append(sum(scored[(names[i], ttas[i])][1] for i in used))
                accuracy.append(figures["accuracy"])
                macro_f1.append(figures["macro_f1"])
                recall.append(figures["recall"])
        self.ms_per_face = np.array(ms)
        self.accuracy, self.macro_f1 = np.array(accuracy), np.array(macro_f1)
        self.recall = np.array(recall)

    def best_first(self) -> np.ndarray:
        """Flat ``[config, bias]`` indices by accuracy, best first (ties in grid order)."""
        return np.argsort(-self.accuracy.ravel(), kind="stable")

    def fer_alone(self) -> int:
        """The flat index of the fer model alone, unbiased, at its better TTA."""
        fer = self.names.index(FER_MODEL)
        alone = [c for c, (weights, _) in enumerate(self.configs) if weights[fer] == 1.0]
        return max((c * len(BIASES) + NO_BIAS for c in alone), key=lambda i: self.accuracy.flat[i])

    def row(self, flat: int) -> dict:
        """One candidate as ``model_choice.json`` records it."""
        c, b = divmod(int(flat), len(BIASES))
        weights, ttas = self.configs[c]
        return {
            "members": {name: [weights[i], ttas[i]] for i, name in enumerate(self.names)},
            "log_bias": BIASES[b],
            "accuracy": float(self.accuracy[c, b]),
            "macro_f1": float(self.macro_f1[c, b]),
            "recall": {e: float(self.recall[c, b, i]) for i, e in enumerate(EMOTIONS)},
            "ms_per_face": round(float(self.ms_per_face[c]), 3),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trained", type=Path, required=True, help="the folder `emuse train` saved")
    parser.add_argument("--name", default="emuse_resnet", help="its name in models/")
    parser.add_argument(
        "--also", nargs="*", default=[], help="other shipped networks that may join the ensemble (names in models/)"
    )
    parser.add_argument(
        "--ensemble-name", default="emuse_resnet_ensemble", help="the name an ensemble default is registered under"
    )
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "fer2013" / "fer2013-train-val.zip")
    args = parser.parse_args()

    ship(args.trained, args.name)
    fer = registry.resolve(FER_MODEL)
    registry.write_meta(fer.path, {**fer.meta, "framing": FER2013.as_meta()})  # it learned FER2013's framing too
    data = load(args.data)
    val = data.split("val")
    names = [args.name, *args.also, FER_MODEL]
    scored, conversions = candidates(names, val, data.split("train").x)

    grid = Grid(names, scored, val.y)
    fer_alone = grid.row(grid.fer_alone())
    within = grid.ms_per_face[:, None] <= BUDGET_MS
    # The bar: besides accuracy, disgust and fear recall above the fer model's (at its best).
    better_rare = within & np.all(
        [grid.recall[..., EMOTIONS.index(e)] > fer_alone["recall"][e] for e in ("disgust", "fear")], axis=0
    )
    eligible = better_rare if better_rare.any() else within
    order = grid.best_first()
    ranked = (grid.row(i) for i in order if eligible.flat[i])
    # The budget above adds the members' times measured apart; the registered model runs them one after
    # the other with its own overhead (measured: 0.2-0.5 ms more). So the candidates are registered in
    # order of accuracy and timed as they run; the first whose median is within the budget is chosen.
    timed: list[dict] = []
    fer_tta = fer_alone["members"][FER_MODEL][1]
    for best in ranked:
        config = {name: tuple(v) for name, v in best["members"].items() if v[0] > 0}
        if any(config == t["config"] for t in timed):
            continue  # the same networks, weights and TTA as one already timed (only the bias differs)
        default, members = register(best, args.name, fer_tta, args.ensemble_name)
        measured = statistics.median(ms_per_face(EmotionClassifier(default)) for _ in range(3))
        timed.append({"config": config, "accuracy": best["accuracy"], "measured_ms_per_face": round(measured, 3)})
        print(f"{default} {config}: {best['accuracy']:.4f}, {measured:.3f} ms/face as registered", flush=True)
        if measured <= BUDGET_MS:
            break
    else:  # nothing fits as registered: say so rather than ship an over-budget default
        raise SystemExit(f"no candidate ran within {BUDGET_MS} ms per face as registered: {timed}")
    print(json.dumps(best, indent=2))

    for name in {default, *(m[0] for m in members), FER_MODEL}:
        metrics = evaluate(name, args.data, "val")
        registry.update_meta(name, {"metrics": metrics})
        print(f"{name}: PublicTest accuracy {metrics['accuracy']:.4f}, macro F1 {metrics['macro_f1']:.4f}")
    fer_accuracy = registry.resolve(FER_MODEL).meta["metrics"]["accuracy"]
    if registry.resolve(default).meta["metrics"]["accuracy"] > fer_accuracy:
        atomic_write_bytes(MODELS / registry.DEFAULT_FILE, f"{default}\n".encode())
    results = ROOT / "benchmarks" / "results" / "model_choice.json"
    # The best 30, and the best 300 unbiased ones (five networks make ~14,000 unbiased rows: 2.5 MB).
    unbiased = [i for i in order[30:] if i % len(BIASES) == NO_BIAS][:300]
    kept = [grid.row(i) for i in [*order[:30], *unbiased]]
    summary = {
        "chosen": default,
        "best": best,
        "measured_ms_per_face": round(measured, 3),
        "timed": [{**t, "config": {k: list(v) for k, v in t["config"].items()}} for t in timed],
        "conversions": conversions,
        "candidates_tried": grid.accuracy.size,
        "candidates": kept,
    }
    atomic_write_bytes(results, (json.dumps(summary, indent=1) + "\n").encode())


if __name__ == "__main__":
    main()
