"""Which server paths the Train page may read: only inside configured data folders.

A public deployment lets every visitor type a path. Without confinement the field
was a file-system probe: an existing path gave a different error than a missing
one, ``/`` a PermissionError traceback, and a readable CSV its first line in the
error. So:

* the folders are ``EMUSE_DATA_DIR`` and ``EMUSE_TRAIN_DATA_DIRS`` (a list
  separated by ``os.pathsep``), and only when set; with neither the page offers
  no path field at all (:func:`server_paths_enabled` is false);
* a path is checked lexically first (``..`` collapsed, nothing touched on disk),
  then with every symlink resolved, and must be inside a folder both times, so a
  link inside a data folder can't lead out of it;
* a refused path gets the same message whether or not it exists, and no message
  quotes a file's contents.
"""

from __future__ import annotations

import os
from pathlib import Path

from emuse.training.data import DataError


def server_data_dirs() -> list[Path]:
    """The folders server paths may point into; empty unless a deployment configured them."""
    raw = [os.environ.get("EMUSE_DATA_DIR", ""), *os.environ.get("EMUSE_TRAIN_DATA_DIRS", "").split(os.pathsep)]
    dirs: list[Path] = []
    for item in raw:
        item = item.strip()
        if item:
            path = Path(os.path.abspath(os.path.expanduser(item)))
            if path not in dirs:
                dirs.append(path)
    return dirs


def server_paths_enabled() -> bool:
    """Whether the Train page may offer "a path on the server" at all (only where folders are configured)."""
    return bool(server_data_dirs())


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def allowed_data_path(text: str, dirs: list[Path] | None = None) -> Path:
    """The path ``text`` names, if it is inside a data folder (before and after resolving links).

    A relative path is taken relative to the first folder. Raises :class:`DataError`
    with the same message for a path outside, whether or not it exists.
    """
    dirs = server_data_dirs() if dirs is None else dirs
    if not dirs:
        raise DataError("reading data from a server path is switched off here; upload the file instead")
    names = ", ".join(str(d) for d in dirs)
    refused = DataError(f"server paths must be inside the data folders ({names}); put the data set there or upload it")
    text = text.strip()
    if not text or "\x00" in text:
        raise refused
    raw = os.path.expanduser(text)
    lexical = os.path.normpath(raw if os.path.isabs(raw) else os.path.join(dirs[0], raw))
    if not any(_inside(lexical, str(d)) for d in dirs):
        raise refused  # decided without touching the disk: existence is not revealed
    real = os.path.realpath(lexical)
    if not any(_inside(real, os.path.realpath(d)) for d in dirs):
        raise refused  # a symlink inside a data folder that leads out of it
    if not os.path.exists(real):
        raise DataError(f"{text} is not in the data folders ({names}); check the name or upload the file")
    return Path(lexical)
