"""Writing files so that nobody ever sees half of one.

Playlists, ``sync_state.json``, ``meta.json``, training job status files and cached
TFLite models are all written here: to a temporary file in the same folder, flushed
to disk, then moved over the old file with ``os.replace``. A crash, a kill or a full
disk leaves the old file or the new one, never a mix, and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old or the new file, never a mix.

    An existing file keeps its permissions; a new one is readable by all (``mkstemp``
    alone would make it private to this user).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
