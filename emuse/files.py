"""Writing files so that nobody ever sees half of one.

Playlists, ``sync_state.json``, ``meta.json``, training job status files and cached
TFLite models are all written here: to a temporary file in the same folder, flushed
to disk, then moved over the old file with ``os.replace``. A crash, a kill or a full
disk leaves the old file or the new one, never a mix, and no temporary file behind.
:func:`locked` is the one folder lock (playlists, a training run's checkpoints).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

try:  # POSIX; on Windows the callers' own checks (playlist versions) are the only guard
    import fcntl
except ImportError:  # pragma: no cover - not on Linux/macOS
    fcntl = None  # type: ignore[assignment]


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


@contextlib.contextmanager
def locked(folder: Path, *, wait: bool = True) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (created if missing; released by the OS if the process dies).

    With ``wait=False`` a folder another process (or another ``locked``) holds raises
    ``BlockingIOError`` at once instead of waiting: a training run must not share its
    checkpoint folder with a run that is still alive.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
