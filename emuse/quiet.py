"""Keep native-library chatter (TensorFlow, absl, OpenCV's ffmpeg) out of our output.

Importing this module sets the libraries' log-level environment variables (only
where unset), so every module that loads OpenCV or TensorFlow imports it first.
The load-order fix for aiortc and TensorFlow is server-only: see
:mod:`emuse.ui.runtime`.

The CLI promises that stdout carries only results and stderr only our own error
line. TensorFlow prints C++ log lines straight to file descriptor 2 while it loads,
which ``warnings`` or ``logging`` cannot catch, so the import is done with fd 2
pointed at /dev/null.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from types import ModuleType

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")


@contextlib.contextmanager
def silenced_stderr() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for the duration (C-level output included)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (some notebook or test runners)
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def import_keras() -> ModuleType:
    """Import Keras (and TensorFlow under it) without its start-up log lines."""
    if "keras" in sys.modules:
        return sys.modules["keras"]
    with silenced_stderr(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import keras
        import tensorflow as tf

    tf.get_logger().setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)
    return keras
