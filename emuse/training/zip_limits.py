"""Bounds on training data, checked before anything is decompressed or decoded.

A 3 MB zip can hold a 3 GB CSV, and a 100-byte PNG can claim 30000x30000 pixels:
both were OOM-killed jobs with no message. The zip's directory gives every entry's
uncompressed size (Python's zipfile never returns more than that), and an image's
header gives its size, so both are checked first and the entry is named.
"""

from __future__ import annotations

import zipfile
from pathlib import PurePosixPath

from emuse.vision.media import image_header_size

#: FER2013's CSV is 290 MB uncompressed and its 35,887 PNGs 48x48 each.
MAX_ZIP_CSV_BYTES = 400 * 1024 * 1024
MAX_ZIP_IMAGE_BYTES = 8 * 1024 * 1024
MAX_ZIP_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
#: A training image is shrunk to 48x48 anyway; a larger one is refused from its header (2048x2048).
MAX_IMAGE_PIXELS = 2048 * 2048
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}


def _size(n: int) -> str:
    return f"{n / 1024**3:.1f} GB" if n >= 1024**3 else f"{n / 1024**2:.0f} MB"


def zip_problem(zf: zipfile.ZipFile, source: str) -> str | None:
    """Why this zip is too big to read (naming the entry), or ``None``; reads only the directory."""
    total = 0
    for info in zf.infolist():
        if info.is_dir():
            continue
        suffix = PurePosixPath(info.filename).suffix.lower()
        limit = MAX_ZIP_CSV_BYTES if suffix == ".csv" else MAX_ZIP_IMAGE_BYTES if suffix in IMAGE_SUFFIXES else None
        if limit is not None and info.file_size > limit:
            kind = "CSV" if suffix == ".csv" else "training image"
            return (
                f"{source}: {info.filename} is {_size(info.file_size)} uncompressed, over the {_size(limit)} "
                f"limit for a {kind}; remove it from the zip"
            )
        total += info.file_size
        if total > MAX_ZIP_TOTAL_BYTES:
            return (
                f"{source}: the zip holds over {_size(MAX_ZIP_TOTAL_BYTES)} uncompressed (at {info.filename}); "
                "FER2013 is about 300 MB: remove what is not the data set"
            )
    return None


def image_problem(raw: bytes, where: str) -> str | None:
    """Why this training image can't be decoded safely (unknown format, too many pixels), or ``None``."""
    size = image_header_size(raw)
    if size is None:
        return f"{where} is not a readable image; delete it or replace it"
    if size[0] * size[1] > MAX_IMAGE_PIXELS:
        return (
            f"{where}: the image is too large (over {MAX_IMAGE_PIXELS // 1_000_000} megapixels); "
            "training images are 48x48: shrink it or delete it"
        )
    return None
