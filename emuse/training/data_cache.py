"""FER2013 decoded once: the arrays of a zip or CSV kept as one ``.npz``, named by the file's sha256.

Decoding the 35,887 JPEGs of the FER2013 zip takes seconds to tens of seconds on a busy
2-core machine, every run; reading the cached arrays back takes a fraction of a second.
The cache is keyed by content (and the split settings), so a changed file is decoded
again; a damaged cache file is rebuilt, never trusted.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from emuse.files import atomic_write_bytes
from emuse.training.data import FerData, Split, file_sha256, load


def load_cached(path: str | Path, cache_dir: Path, *, val_fraction: float = 0.1, seed: int = 1234) -> FerData:
    """:func:`emuse.training.data.load`, through the cache in ``cache_dir`` for a zip or CSV file."""
    path = Path(path).expanduser()
    if not path.is_file():
        return load(path, val_fraction=val_fraction, seed=seed)
    sha = file_sha256(path)
    cache = cache_dir / f"fer-{sha[:20]}-v{val_fraction:g}-s{seed}.npz"
    if cache.exists():
        try:
            with np.load(cache, allow_pickle=False) as arrays:
                splits = {k[2:]: Split(arrays[k], arrays["y_" + k[2:]]) for k in arrays.files if k.startswith("x_")}
                info = {k: str(arrays[k]) for k in ("source", "layout")}
                sources = {k[4:]: str(arrays[k]) for k in arrays.files if k.startswith("src_")}
            return FerData(info["source"], info["layout"], splits, sources, sha)
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache is rebuilt below
    data = load(path, val_fraction=val_fraction, seed=seed)
    data.sha256 = sha
    arrays: dict[str, object] = {"source": data.source, "layout": data.layout}
    for name, split in data.splits.items():
        arrays[f"x_{name}"], arrays[f"y_{name}"] = split.x, split.y
    arrays.update({f"src_{k}": v for k, v in data.split_sources.items()})
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    atomic_write_bytes(cache, buffer.getvalue())
    return data
