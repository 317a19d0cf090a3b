"""Read FER2013 in the forms people have it, and split it the way the data set intends.

Two layouts exist in the wild:

* the Kaggle CSV ``fer2013.csv`` with columns ``emotion,pixels,Usage`` (48x48 grayscale
  as 2304 space-separated numbers, labels 0..6 in :data:`~emuse.labels.EMOTIONS` order,
  ``Usage`` one of Training / PublicTest / PrivateTest);
* image folders ``train/<class>/*.png`` and ``test/<class>/*.png`` with the class names
  people use (``disgusted``, ``fearful``, ``surprised`` ... are mapped by
  :func:`~emuse.labels.normalize_label`).

Either can sit in a folder or a ``.zip``. A folder of ``<class>/*.png`` without train/test
is "a folder of labeled images" and becomes a single ``test`` split for evaluation.

Splits follow the data set: ``Training`` trains, ``PublicTest`` chooses (early stopping,
learning rate), ``PrivateTest`` is touched only for the final figure. The folder layout
has no validation split, so one is carved from ``train/``, stratified and seeded, so
that reruns compare like with like.

Everything here is numpy/pandas/OpenCV: the Train page can check data without paying
for a TensorFlow import. Bad data raises :class:`DataError` naming the file and row.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import cv2
import numpy as np
import pandas as pd

from emuse.labels import EMOTIONS, normalize_label
from emuse.training.zip_limits import image_problem, zip_problem

IMAGE_SIZE = 48
PIXELS = IMAGE_SIZE * IMAGE_SIZE
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
#: Kaggle ``Usage`` values and the eMuse split each one feeds.
USAGE_TO_SPLIT = {"training": "train", "publictest": "val", "privatetest": "test"}
#: Names accepted for a split on the command line and in folder trees.
SPLIT_ALIASES = {
    "train": "train",
    "training": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "publictest": "val",
    "test": "test",
    "testing": "test",
    "privatetest": "test",
}
REQUIRED_COLUMNS = ("emotion", "pixels")


class DataError(ValueError):
    """The data can't be used as it is; the message names the file (and row) and the fix."""


@dataclass
class Split:
    """Images ``x`` (N, 48, 48) uint8 and labels ``y`` (N,) as indexes into EMOTIONS."""

    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    def class_counts(self) -> list[int]:
        return np.bincount(self.y, minlength=len(EMOTIONS)).astype(int).tolist()


@dataclass
class FerData:
    """A loaded data set: ``splits`` maps train/val/test to :class:`Split`."""

    source: str
    layout: str  # "csv" or "folders"
    splits: dict[str, Split]
    #: Where each split came from, in words (goes into meta.json).
    split_sources: dict[str, str] = field(default_factory=dict)
    #: sha256 of the file the data came from (a zip or CSV; None for a folder), for meta.json.
    sha256: str | None = None

    def split(self, name: str) -> Split:
        key = split_key(name)
        if key not in self.splits:
            have = ", ".join(self.splits) or "none"
            raise DataError(f"{self.source} has no {name!r} split (it has: {have})")
        return self.splits[key]

    def describe(self) -> dict[str, object]:
        """Counts per split and class, for meta.json and the page."""
        return {
            "source": self.source,
            "layout": self.layout,
            "sha256": self.sha256,
            "image_size": [IMAGE_SIZE, IMAGE_SIZE],
            "counts": {name: dict(zip(EMOTIONS, s.class_counts(), strict=True)) for name, s in self.splits.items()},
        }


def split_key(name: str) -> str:
    """``PublicTest`` -> ``val`` etc.; raise DataError for an unknown split name."""
    key = SPLIT_ALIASES.get(str(name).strip().lower())
    if key is None:
        raise DataError(f"unknown split {name!r}; use train/Training, val/PublicTest or test/PrivateTest")
    return key


# --------------------------------------------------------------------------- entry point


def load(path: str | Path, *, val_fraction: float = 0.1, seed: int = 1234) -> FerData:
    """Load a CSV, an image-folder tree, or a zip holding either; split as described above.

    :func:`emuse.training.data_cache.load_cached` keeps the decoded arrays for the next run.
    """
    return _load(Path(path).expanduser(), val_fraction, seed)


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _load(path: Path, val_fraction: float, seed: int) -> FerData:
    if not path.exists():
        raise DataError(f"{path} does not exist; give a FER2013 CSV, a folder with train/ and test/, or a .zip")
    if path.is_dir():
        files = {p.relative_to(path).as_posix(): p for p in path.rglob("*") if p.is_file()}
        csvs = [name for name in files if name.lower().endswith(".csv")]
        if not image_names(files) and len(csvs) == 1:
            return _load(files[csvs[0]], val_fraction, seed)
        return _from_folders(str(path), files, lambda name: files[name].read_bytes(), val_fraction, seed)
    if path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
        data = _from_zip(path, val_fraction, seed)
        data.sha256 = data.sha256 or file_sha256(path)
        return data
    if path.suffix.lower() == ".csv":
        with open(path, "rb") as handle:
            data = _from_csv(handle, str(path), val_fraction, seed)
        data.sha256 = file_sha256(path)
        return data
    raise DataError(f"{path}: expected a .csv file, a .zip file or a folder (got a {path.suffix or 'plain'} file)")


# --------------------------------------------------------------------------- CSV


def check_columns(columns: Iterable[str], source: str, quote: bool = True) -> None:
    """``quote=False`` for files on the server: the message never repeats what a file says."""
    columns = list(columns)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        found = ", ".join(columns) if quote else f"{len(columns)} other columns"
        raise DataError(
            f"{source}: missing column {', '.join(repr(c) for c in missing)} (found {found}); "
            "a FER2013 CSV has the header emotion,pixels,Usage"
        )


def _from_csv(handle: io.BufferedIOBase | io.RawIOBase, source: str, val_fraction: float, seed: int) -> FerData:
    try:
        frame = pd.read_csv(handle, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{source} is not a readable CSV ({exc}); export it again as comma-separated text") from exc
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    check_columns(frame.columns, source)
    if frame.empty:
        raise DataError(f"{source} has a header but no rows")

    y = _parse_labels(frame["emotion"], source)
    x = _parse_pixels(frame["pixels"], source)
    if "usage" in frame.columns:
        usage = frame["usage"].str.strip().str.lower()
        bad = ~usage.isin(list(USAGE_TO_SPLIT))
        if bad.any():
            row = int(np.argmax(bad.to_numpy()))
            raise DataError(
                f"{source}, row {row + 2}: Usage {frame['usage'].iloc[row]!r} is not one of "
                "Training, PublicTest, PrivateTest"
            )
        keys = usage.map(USAGE_TO_SPLIT).to_numpy()
        splits = {key: Split(x[keys == key], y[keys == key]) for key in ("train", "val", "test") if (keys == key).any()}
        sources = {"train": "Usage=Training", "val": "Usage=PublicTest", "test": "Usage=PrivateTest"}
        if "train" in splits and "val" not in splits:
            splits["train"], splits["val"] = stratified_split(splits["train"], val_fraction, seed)
            sources["val"] = f"{val_fraction:.0%} of Training, stratified, seed {seed}"
    else:
        # Kaggle's challenge train.csv has no Usage column: carve validation and test, stratified.
        whole = Split(x, y)
        rest, test = stratified_split(whole, val_fraction, seed)
        train, val = stratified_split(rest, val_fraction, seed + 1)
        splits = {"train": train, "val": val, "test": test}
        note = f"stratified, seed {seed} (the CSV has no Usage column)"
        sources = {
            "train": f"the rest ({note})",
            "val": f"{val_fraction:.0%} of the rest",
            "test": f"{val_fraction:.0%} of all rows",
        }
    data = FerData(source, "csv", splits, {k: v for k, v in sources.items() if k in splits})
    _check_classes(data, source)
    return data


def _parse_labels(column: pd.Series, source: str) -> np.ndarray:
    """Labels as EMOTIONS indexes; accepts 0..6 or names. Names the first bad row."""
    values = column.str.strip()
    numeric = pd.to_numeric(values, errors="coerce")
    labels = np.empty(len(values), dtype=np.int64)
    for i, (text, number) in enumerate(zip(values, numeric, strict=True)):
        if not np.isnan(number) and float(number).is_integer() and 0 <= number < len(EMOTIONS):
            labels[i] = int(number)
            continue
        try:
            labels[i] = EMOTIONS.index(normalize_label(text))
        except ValueError:
            raise DataError(
                f"{source}, row {i + 2}: unknown label {text!r}; emotion must be 0..6 "
                f"({', '.join(f'{n}={e}' for n, e in enumerate(EMOTIONS))})"
            ) from None
    return labels


#: Rows parsed per chunk: large enough to be fast, small enough to keep the 290 MB CSV's peak memory low.
PARSE_CHUNK = 2048


def _parse_pixels(column: pd.Series, source: str) -> np.ndarray:
    """Fast parse in chunks of rows; on a mismatch, find and name the first bad row."""
    out = np.empty((len(column), IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    for start in range(0, len(column), PARSE_CHUNK):
        chunk = column.iloc[start : start + PARSE_CHUNK].tolist()
        out[start : start + len(chunk)] = _parse_chunk(chunk, start, source)
    return out


def _parse_chunk(cells: list[str], first_row: int, source: str) -> np.ndarray:
    text = " ".join(cells)
    digits_only = re.fullmatch(r"[\d\s]*", text) is not None
    flat = np.fromstring(text, dtype=np.int32, sep=" ") if digits_only and text.strip() else np.empty(0, np.int32)
    if digits_only and flat.size == len(cells) * PIXELS:
        if flat.size and flat.max() > 255:
            row = first_row + int(np.argmax((flat > 255).reshape(len(cells), PIXELS).any(axis=1)))
            raise DataError(f"{source}, row {row + 2}: pixel values must be 0..255")
        return flat.astype(np.uint8).reshape(len(cells), IMAGE_SIZE, IMAGE_SIZE)
    for i, cell in enumerate(cells, start=first_row):  # slow path, only to report the problem precisely
        tokens = cell.split()
        if len(tokens) != PIXELS:
            raise DataError(
                f"{source}, row {i + 2}: {len(tokens)} pixel values, expected {PIXELS} (48x48 grayscale); "
                "the row is cut off or from another data set"
            )
        if not all(t.isdigit() and int(t) <= 255 for t in tokens):
            raise DataError(f"{source}, row {i + 2}: pixels must be whole numbers 0..255 separated by spaces")
    raise DataError(f"{source}: pixels could not be parsed")  # pragma: no cover (the loop finds the row)


# --------------------------------------------------------------------------- folders and zips


def image_names(names: Iterable[str]) -> list[str]:
    return [n for n in names if PurePosixPath(n).suffix.lower() in IMAGE_SUFFIXES and "__MACOSX" not in n]


def _from_zip(path: Path, val_fraction: float, seed: int) -> FerData:
    if not zipfile.is_zipfile(path):
        raise DataError(f"{path} is not a zip file (it may be damaged or have the wrong name); re-create the zip")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise DataError(f"{path} is not a readable zip file ({exc})") from exc
    with zf:
        if problem := zip_problem(zf, str(path)):
            raise DataError(problem)
        names = [n for n in zf.namelist() if not n.endswith("/")]
        csvs = [n for n in names if n.lower().endswith(".csv") and "__MACOSX" not in n]
        if not image_names(names):
            if len(csvs) != 1:
                raise DataError(
                    f"{path}: expected one FER2013 CSV or image folders train/<class>/*.png in the zip "
                    f"(found {len(csvs)} CSV files and no images)"
                )
            with zf.open(csvs[0]) as handle:
                return _from_csv(handle, f"{path}:{csvs[0]}", val_fraction, seed)  # type: ignore[arg-type]
        return _from_folders(str(path), {n: n for n in names}, zf.read, val_fraction, seed)


def _from_folders(
    source: str, files: dict[str, object], read: Callable[[str], bytes], val_fraction: float, seed: int
) -> FerData:
    """Build splits from ``[prefix/]split/class/file`` or ``[prefix/]class/file`` names."""
    images = image_names(files)
    if not images:
        raise DataError(f"{source}: no images found; expected train/<class>/*.png and test/<class>/*.png")
    grouped: dict[str, dict[int, list[str]]] = {}
    for name in sorted(images):
        parts = PurePosixPath(name).parts
        if len(parts) < 2:
            raise DataError(f"{source}: {name} is not inside a class folder such as happy/ or train/happy/")
        class_dir = parts[-2]
        split_dir = parts[-3].lower() if len(parts) >= 3 else ""
        split = SPLIT_ALIASES.get(split_dir, "test" if len(parts) == 2 else None)
        if split is None:
            raise DataError(f"{source}: {name} is in {parts[-3]!r}/, expected train/, test/ (or val/)")
        try:
            label = EMOTIONS.index(normalize_label(class_dir))
        except ValueError:
            raise DataError(
                f"{source}: folder {'/'.join(parts[:-1])!r} is not an emotion; class folders must be named "
                f"{', '.join(EMOTIONS)} (or disgusted, fearful, surprised)"
            ) from None
        grouped.setdefault(split, {}).setdefault(label, []).append(name)

    splits: dict[str, Split] = {}
    for split, by_label in grouped.items():
        names = [(label, n) for label in sorted(by_label) for n in by_label[label]]
        x = np.empty((len(names), IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
        for i, (_, name) in enumerate(names):
            x[i] = _decode(read(name), f"{source}: {name}")
        splits[split] = Split(x, np.array([label for label, _ in names], dtype=np.int64))
    sources = {k: f"{k}/ folder" for k in splits}
    if "train" in splits and "val" not in splits:
        splits["train"], splits["val"] = stratified_split(splits["train"], val_fraction, seed)
        sources["val"] = f"{val_fraction:.0%} of train/, stratified, seed {seed}"
        sources["train"] = "train/ folder minus the validation part"
    if set(splits) == {"test"}:
        sources["test"] = "all images (class folders without train/test)"
    data = FerData(source, "folders", splits, sources)
    _check_classes(data, source)
    return data


def _decode(raw: bytes, where: str) -> np.ndarray:
    if problem := image_problem(raw, where):  # a 30000x30000 PNG is refused from its header, never decoded
        raise DataError(problem)
    image = cv2.imdecode(np.frombuffer(raw, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise DataError(f"{where} is not a readable image; delete it or replace it")
    if image.shape != (IMAGE_SIZE, IMAGE_SIZE):
        interpolation = cv2.INTER_AREA if image.shape[0] > IMAGE_SIZE else cv2.INTER_LINEAR
        image = cv2.resize(image, (IMAGE_SIZE, IMAGE_SIZE), interpolation=interpolation)
    return image


# --------------------------------------------------------------------------- splits and checks


def stratified_split(split: Split, fraction: float, seed: int) -> tuple[Split, Split]:
    """Hold out ``fraction`` of every class (at least one image where a class has two or more)."""
    if not 0 < fraction < 1:
        raise DataError(f"validation fraction must be between 0 and 1, got {fraction}")
    rng = np.random.default_rng(seed)
    held: list[np.ndarray] = []
    for label in range(len(EMOTIONS)):
        index = np.flatnonzero(split.y == label)
        if len(index) < 2:
            continue
        count = min(len(index) - 1, max(1, round(len(index) * fraction)))
        held.append(rng.permutation(index)[:count])
    mask = np.zeros(len(split), dtype=bool)
    if held:
        mask[np.concatenate(held)] = True
    return Split(split.x[~mask], split.y[~mask]), Split(split.x[mask], split.y[mask])


def _check_classes(data: FerData, source: str) -> None:
    train = data.splits.get("train")
    if train is not None:
        empty = [EMOTIONS[i] for i, n in enumerate(train.class_counts()) if n == 0]
        if empty:
            raise DataError(
                f"{source}: the training split has no images of {', '.join(empty)}; "
                "every emotion needs examples (add them or fix the class folder names)"
            )
    for name, split in data.splits.items():
        if len(split) == 0:
            raise DataError(f"{source}: the {name} split is empty")
