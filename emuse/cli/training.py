"""``python -m emuse train|evaluate|models list``: the training domain's commands.

Progress goes to stderr, results to stdout, so ``evaluate --json | jq`` works.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from emuse import registry
from emuse.cli.errors import EXIT_OK, CliError
from emuse.labels import EMOTIONS
from emuse.training.architectures import ARCHITECTURES
from emuse.training.data import DataError
from emuse.training.data_checks import quick_check
from emuse.training.evaluate import evaluate
from emuse.training.train import TrainConfig, train


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this domain's subcommands to ``python -m emuse``."""
    train = subparsers.add_parser("train", help="train an emotion model on FER2013 (CSV, image folders or zip)")
    train.add_argument("--data", required=True, help="fer2013.csv, a folder with train/ and test/, or a .zip")
    train.add_argument("--arch", default="mini_xception", choices=sorted(ARCHITECTURES), help="network to train")
    train.add_argument("--epochs", type=int, default=30, help="maximum epochs (early stopping may end sooner)")
    train.add_argument("--batch-size", type=int, default=64)
    train.add_argument("--out", type=Path, default=None, help="model folder to create (default: models/<arch>_<time>)")
    train.add_argument("--seed", type=int, default=1234)
    train.add_argument("--patience", type=int, default=8, help="epochs without validation improvement before stopping")
    train.add_argument("--no-augment", action="store_true", help="train without flips, rotations, shifts, zoom")
    train.add_argument("--overwrite", action="store_true", help="replace an existing model folder of that name")
    train.add_argument(
        "--resume", action="store_true", help="go on from the last epoch's checkpoint of this --out model"
    )
    train.add_argument(
        "--checkpoint-dir",
        type=Path,
        default=None,
        help="where each epoch's checkpoint goes (default: data/checkpoints/<name>)",
    )
    train.add_argument(
        "--init-from",
        default=None,
        metavar="MODEL",
        help="start from this registered model's weights (same --arch) to continue training it",
    )
    train.add_argument("--learning-rate", type=float, default=None, help="peak learning rate (default: the arch's)")
    train.add_argument(
        "--teacher",
        default=None,
        metavar="MODEL",
        help="distil: learn this registered model's scores on the training faces as well as the labels",
    )
    train.add_argument(
        "--teacher-weight",
        type=float,
        default=0.5,
        help="share of each target that is the teacher's scores, the rest the label (default 0.5, at most 0.5)",
    )
    train.add_argument(
        "--mixup",
        type=float,
        default=0.0,
        metavar="ALPHA",
        help="blend training faces in pairs, Beta(ALPHA, ALPHA) (0: off, the default; 0.2 is usual; at most 1)",
    )
    train.add_argument(
        "--mixed-precision",
        action="store_true",
        help="compute in bfloat16, about 1.4x faster on CPUs with AVX-512 BF16; the saved model is float32",
    )
    train.add_argument("--json", action="store_true", help="print the saved model's metrics as one JSON object")
    train.set_defaults(handler=cmd_train)

    evaluate = subparsers.add_parser("evaluate", help="accuracy, per-class F1 and confusion matrix of a model")
    evaluate.add_argument("--model", default=None, help="registered model name or folder (default: the default model)")
    evaluate.add_argument("--data", required=True, help="FER2013 CSV, image folders, a zip, or <class>/*.png folders")
    evaluate.add_argument("--split", default="test", help="train, val/PublicTest or test/PrivateTest (default: test)")
    evaluate.add_argument("--json", action="store_true", help="one JSON object with the metrics")
    evaluate.add_argument("--save", action="store_true", help="store the metrics in the model's meta.json")
    evaluate.set_defaults(handler=cmd_evaluate)

    models = subparsers.add_parser("models", help="the model registry")
    models_sub = models.add_subparsers(dest="models_command", required=True)
    listing = models_sub.add_parser("list", help="registered models with their test figures")
    listing.add_argument("--json", action="store_true", help="one JSON object per model")
    listing.set_defaults(handler=cmd_models_list)
    delete = models_sub.add_parser("delete", help="delete a model you trained (shipped models stay)")
    delete.add_argument("name", help="the model's name, as `models list` shows it")
    delete.set_defaults(handler=cmd_models_delete)


class _PrintProgress:
    """A TrainListener that prints one line per phase and per epoch to stderr."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs
        self.started = time.monotonic()

    def phase(self, name: str) -> None:
        print(f"[{time.monotonic() - self.started:6.0f}s] {name}", file=sys.stderr, flush=True)

    def data_loaded(self, data: Any) -> None:
        sizes = ", ".join(f"{name} {len(split)}" for name, split in data.splits.items())
        print(f"         data: {sizes} images", file=sys.stderr, flush=True)

    def batch(self, epoch: int, batch: int, batches: int) -> None:
        pass

    def epoch(self, epoch: int, logs: dict[str, float]) -> None:
        print(
            f"[{time.monotonic() - self.started:6.0f}s] epoch {epoch}/{self.epochs}: "
            f"loss {logs.get('loss', float('nan')):.4f} acc {logs.get('accuracy', float('nan')):.3f} | "
            f"val_loss {logs.get('val_loss', float('nan')):.4f} val_acc {logs.get('val_accuracy', float('nan')):.3f}",
            file=sys.stderr,
            flush=True,
        )

    def should_stop(self) -> bool:
        return False


def cmd_train(args: argparse.Namespace) -> int:
    root, name = (args.out.parent, args.out.name) if args.out else (None, None)
    cfg = TrainConfig(
        data=str(args.data),
        arch=args.arch,
        epochs=args.epochs,
        batch_size=args.batch_size,
        name=name,
        seed=args.seed,
        patience=args.patience,
        augment=not args.no_augment,
        overwrite=args.overwrite,
        checkpoint_dir=str(args.checkpoint_dir) if args.checkpoint_dir else None,
        resume=args.resume,
        init_from=args.init_from,
        learning_rate=args.learning_rate,
        mixed_precision=args.mixed_precision,
        teacher=args.teacher,
        teacher_weight=args.teacher_weight,
        mixup=args.mixup,
        command=shlex.join(["python", "-m", "emuse", *sys.argv[1:]]),
    )
    try:
        quick_check(args.data)  # the common mistakes, before any progress output
        result = train(cfg, _PrintProgress(args.epochs), root)  # type: ignore[arg-type]
    except (DataError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    if args.json:
        print(json.dumps({"model": result.info.name, "path": str(result.info.path), **result.metrics}))
    else:
        m = result.metrics
        print(f"saved {result.info.path}")
        print(f"{m['split']}: accuracy {m['accuracy']:.3f}, macro F1 {m['macro_f1']:.3f} on {m['n']} images")
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    try:
        metrics = evaluate(args.model, args.data, args.split)
    except (DataError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    if args.save:
        registry.update_meta(args.model or metrics["model"], {"metrics": metrics})
    if args.json:
        print(json.dumps(metrics))
    else:
        print(format_metrics(metrics))
    return EXIT_OK


def format_metrics(metrics: dict[str, Any]) -> str:
    """A plain-text report: headline, per-class table, confusion matrix (rows true, columns predicted)."""
    lines = [
        f"model {metrics.get('model', '?')} on {metrics.get('split', '?')} of {metrics.get('data', '?')}",
        f"accuracy {metrics['accuracy']:.3f}  macro F1 {metrics['macro_f1']:.3f}  ({metrics['n']} images)",
        "",
        f"{'class':<10}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}",
    ]
    for label, row in metrics["per_class"].items():
        lines.append(
            f"{label:<10}{row['precision']:>10.3f}{row['recall']:>10.3f}{row['f1']:>10.3f}{row['support']:>10}"
        )
    lines += [
        "",
        "confusion matrix (rows: true, columns: predicted)",
        " " * 10 + "".join(f"{e[:7]:>8}" for e in EMOTIONS),
    ]
    for label, row in zip(EMOTIONS, metrics["confusion_matrix"]["counts"], strict=True):
        lines.append(f"{label:<10}" + "".join(f"{v:>8}" for v in row))
    return "\n".join(lines)


def cmd_models_delete(args: argparse.Namespace) -> int:
    try:
        path = registry.delete_model(args.name)
    except registry.ModelError as exc:
        raise CliError(str(exc)) from exc
    print(f"deleted {path}")
    return EXIT_OK


def cmd_models_list(args: argparse.Namespace) -> int:
    rows = [registry.metrics_summary(info) for info in registry.list_models()]
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return EXIT_OK
    if not rows:
        print("no models registered; train one with: python -m emuse train --data fer2013.csv")
        return EXIT_OK
    print(f"{'':2}{'model':<32}{'architecture':<16}{'input':<10}{'accuracy':>9}{'macro F1':>9}  evaluated on")
    for row in rows:
        acc = f"{row['accuracy']:.3f}" if row["accuracy"] is not None else "-"
        f1 = f"{row['macro_f1']:.3f}" if row["macro_f1"] is not None else "-"
        mark = "* " if row["default"] else "  "
        arch = row["architecture"] or "?"
        print(f"{mark}{row['model']:<32}{arch:<16}{row['input']:<10}{acc:>9}{f1:>9}  {row['evaluated_on'] or '-'}")
    print("(* = default)")
    return EXIT_OK
