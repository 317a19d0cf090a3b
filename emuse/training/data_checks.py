"""Cheap checks before a training job starts: the common mistakes, caught in milliseconds.

The full load (:func:`emuse.training.data.load`) runs in the job's own process and
takes minutes on FER2013; these checks run on the page or the command line first,
so a wrong path, a damaged zip or a CSV without the ``emotion,pixels`` header is
reported at once, with what to do.
"""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath
from typing import IO

from emuse.training.data import DataError, check_columns, image_names
from emuse.training.zip_limits import zip_problem


def quick_check(path: str | Path) -> str:
    """Cheap checks before a training job starts (exists, zip is a zip, CSV header); returns a summary.

    The full load runs in the job; this catches the common mistakes in milliseconds so
    the page can say so at once. A file or folder that can't be read is a
    :class:`DataError` too, never a PermissionError traceback.
    """
    try:
        return _quick_check(Path(path).expanduser())
    except OSError as exc:
        raise DataError(f"{path} can't be read ({exc.strerror or type(exc).__name__}); check its permissions") from None


def _quick_check(path: Path) -> str:
    if not path.exists():
        raise DataError(f"{path} does not exist on the server; check the path or upload the file instead")
    if path.is_dir():
        names = [p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()]
        if not names:
            raise DataError(f"{path} is an empty folder")
        if not image_names(names) and not any(n.lower().endswith(".csv") for n in names):
            raise DataError(f"{path} has no images and no CSV; expected train/<class>/*.png or fer2013.csv")
        return f"folder with {len(names)} files"
    if path.suffix.lower() == ".zip":
        if not zipfile.is_zipfile(path):
            raise DataError(f"{path} is not a zip file (it may be damaged or have the wrong name); re-create the zip")
        with zipfile.ZipFile(path) as zf:
            if problem := zip_problem(zf, str(path)):
                raise DataError(problem)
            return f"zip with {len(zf.namelist())} entries"
    if path.suffix.lower() == ".csv":
        with open(path, "rb") as handle:
            header = handle.readline().decode("utf-8", errors="replace")
        columns = [c.strip().lower() for c in header.strip().split(",")]
        check_columns(columns, str(path), quote=False)  # a server file: never quote what it says
        return "CSV with the FER2013 columns"
    raise DataError(f"{path}: expected a .csv file, a .zip file or a folder")


def check_upload(name: str, stream: IO[bytes]) -> str:
    """:func:`quick_check` for an uploaded file (a binary stream), before it is copied anywhere."""
    suffix = PurePosixPath(name).suffix.lower()
    start = stream.tell()
    try:
        if suffix == ".zip":
            if not zipfile.is_zipfile(stream):
                raise DataError(f"{name} is not a zip file (it may be damaged or have the wrong name); re-create it")
            stream.seek(start)
            with zipfile.ZipFile(stream) as zf:
                if problem := zip_problem(zf, name):
                    raise DataError(problem)
                return f"zip with {len(zf.namelist())} entries"
        if suffix == ".csv":
            header = stream.readline().decode("utf-8", errors="replace")
            columns = [c.strip().lower() for c in header.strip().split(",")]
            check_columns(columns, name)
            return f"CSV with columns {', '.join(columns)}"
        raise DataError(f"{name}: upload the FER2013 .csv or a .zip of image folders")
    finally:
        stream.seek(start)
