"""The process-wide patches the Streamlit server needs, in one place, applied once.

``Home.py`` calls :func:`apply` before anything else; a page calls
:func:`enter_through_home` first, for the one case where Streamlit runs a page
without ``Home.py``. Each patch works around a measured failure of an upstream
library; ``tests/unit/ui/test_runtime.py`` checks that the upstream behaviour is
still there, so a patch that has become unnecessary fails a test instead of lingering.

1. **Native library load order.** TensorFlow bundles BoringSSL and exports its
   symbols; importing aiortc's ``pylibsrtp`` (OpenSSL through cffi) after TensorFlow
   crashes the process with a segmentation fault (tensorflow-cpu 2.21, aiortc 1.16:
   the server died when the Live page opened after a model had loaded). Importing
   this module imports aiortc, and with it ``pylibsrtp``, first (21 ms).
2. **Newest frame only** (:func:`drop_stale_frames`). streamlit-webrtc's
   ``async_processing`` drops frames the callback can't keep up with, but only after
   aiortc has decoded them into an unbounded queue drained at the pace of the outgoing
   encoder: with three sessions on two cores it grew by 7-22 MB a second and the
   returned video lagged further and further behind.
3. **App navigation from the first request** (:func:`enter_through_home`). Streamlit
   treats a folder literally named ``pages/`` as the legacy multipage layout until some
   session has run ``st.navigation``; the first visitor of a deep link (``/live``) on a
   fresh server, or after a Community Cloud wake-up, would get the page without
   ``Home.py``: wrong sidebar, no page config.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import streamlit as st
from aiortc.rtcrtpreceiver import RemoteStreamTrack  # also loads pylibsrtp: see 1. above
from streamlit.runtime.pages_manager import PagesManager

from emuse import quiet  # noqa: F401  (library log levels, set before OpenCV or TensorFlow load)
from emuse.ui import state

_lock = threading.Lock()
_applied = False


def apply() -> None:
    """Apply every process-wide patch, once per process (later calls return at once)."""
    global _applied
    with _lock:
        if _applied:
            return
        if "pylibsrtp" not in sys.modules:  # pragma: no cover - aiortc stopped importing it at import time
            raise RuntimeError("emuse.ui.runtime expected aiortc to load pylibsrtp before TensorFlow")
        drop_stale_frames()
        PagesManager.uses_pages_directory = False  # Home.py runs st.navigation right after this
        _applied = True


def run_navigation(pages: list[Any]) -> None:
    """Run the chosen page and remember which page a complete run showed (see :mod:`emuse.ui.live`).

    Only a run that completes gets here: a run interrupted by a rerun raises through
    ``page.run()``, so this records what the person really saw last.
    """
    page = st.navigation(pages)
    page.run()
    st.session_state[state.LAST_COMPLETED_PAGE] = page.url_path


def enter_through_home() -> None:
    """Call first on every page: if Streamlit ran this page without ``Home.py``, rerun through it.

    That happens only on the first request of a fresh server when it is a deep link
    (see 3. above); switching the process to navigation mode and rerunning sends the
    run through ``Home.py``, which picks the same page by its URL path.
    """
    if PagesManager.uses_pages_directory:
        apply()
        PagesManager.uses_pages_directory = False  # again: AppTest resets it before every run
        st.rerun()


def drop_stale_frames() -> None:
    """Make aiortc's incoming video tracks return their newest decoded frame, dropping older ones.

    aiortc offers no setting for this, so ``RemoteStreamTrack.recv`` is wrapped, once per
    process. Audio is left alone (eMuse streams none; dropping audio frames would be
    audible). The end-of-stream marker is kept, so a closed connection still ends the track.
    """
    if getattr(RemoteStreamTrack.recv, "_emuse_newest_only", False):
        return
    original = RemoteStreamTrack.recv

    async def recv_newest(self: RemoteStreamTrack) -> Any:
        frame = await original(self)
        if self.kind != "video":
            return frame
        while not self._queue.empty():
            newer = self._queue.get_nowait()
            if newer is None:  # the connection closed: let the next recv() end the track
                self._queue.put_nowait(None)
                break
            frame = newer
        return frame

    recv_newest._emuse_newest_only = True  # type: ignore[attr-defined]
    recv_newest._emuse_original = original  # type: ignore[attr-defined]  (tests check aiortc's own behaviour)
    RemoteStreamTrack.recv = recv_newest  # type: ignore[method-assign]
