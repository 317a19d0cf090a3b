"""Live video that stalls is noticed and reconnected, and a known cause of stalls is avoided.

**Stalled streams.** In the browser benchmark a session sometimes got its first frame
and then none (0 fps, no message) while two others streamed. A cause found by reading
streamlit-webrtc 0.79 (not caught in the act: in two three-session runs since, at load
10-15, nothing stalled and no prevented reset was logged): each run it compares the session's ``script_run_count`` with
the count when the component was last rendered, and if more than one complete run
went by it assumes the person left the page and came back, and stops the stream.
That count is incremented on the server's event loop when a run's "finished"
message is *sent*, not when the run ends; under load the loop lags the script
thread, two quick reruns (the SDP answer, a new mood) read the same count, and the
next run sees a jump of two: the worker is stopped while the browser still shows a
playing (now frozen) video. :func:`keep_stream_across_reruns` skips that check when
the last complete run was the Live page itself, which is the only case where the
jump cannot mean the person came back. Anything else that stalls a stream is caught
by :func:`watch_stream`: no frame :data:`~emuse.vision.live.FIRST_FRAME_TIMEOUT_S`
after START or :data:`~emuse.vision.live.FRAME_GAP_TIMEOUT_S` after the last one
-> reconnect with a fresh component that starts by itself, up to
:data:`MAX_RECONNECTS` times, then say so.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import streamlit as st
from streamlit_webrtc.session_info import get_script_run_count, get_this_session_info

from emuse.ui import state
from emuse.vision.live import LiveSession

log = logging.getLogger(__name__)

MAX_RECONNECTS = 3


def stream_key() -> str:
    """The webcam component's key: a reconnect gives the next generation a fresh component."""
    generation = st.session_state.get(state.LIVE_STREAM_GENERATION, 0)
    return "live" if generation == 0 else f"live-{generation}"


def keep_stream_across_reruns(context: Any, last_completed_page: str | None) -> bool:
    """Stop streamlit-webrtc from taking two quick reruns of this page for a return to it (see above).

    Returns whether the check was skipped. Touches ``_last_rendered_run_count``, a
    private attribute of streamlit-webrtc 0.79 (pinned in requirements.txt;
    tests/unit/ui/test_live.py fails if it disappears).
    """
    if context is None or last_completed_page != "live" or not hasattr(context, "_last_rendered_run_count"):
        return False
    last = context._last_rendered_run_count
    info = get_this_session_info()
    now = get_script_run_count(info) if info is not None else None
    if last is not None and now is not None and now > last + 1:
        log.warning("kept the live stream: run count %d -> %d between two runs of the Live page", last, now)
    context._last_rendered_run_count = None
    return True


def watch_stream(session: LiveSession, playing: bool) -> None:
    """Called on every refresh of the mood panel: reconnect a stalled stream, or say it stalled.

    Keeps the time the stream started playing; forgets it, and the reconnect count,
    when the person stops the stream.
    """
    if not playing:
        st.session_state.pop(state.LIVE_PLAYING_SINCE, None)
        if not st.session_state.get(state.LIVE_RECONNECTING):
            st.session_state.pop(state.LIVE_RECONNECTS, None)
        return
    now = time.monotonic()
    since = st.session_state.setdefault(state.LIVE_PLAYING_SINCE, now)
    stalled = session.stalled_for(since, now)
    if stalled is None:
        return
    attempts = st.session_state.get(state.LIVE_RECONNECTS, 0)
    if attempts >= MAX_RECONNECTS:
        st.warning(
            f"No video has reached the server for {stalled:.0f} s, and reconnecting {attempts} times did not "
            "help. The server may be overloaded: press **STOP**, wait a moment, then **START**."
        )
        return
    st.warning(f"No video has reached the server for {stalled:.0f} s: reconnecting…")
    st.session_state.pop(stream_key(), None)  # the old component and its stream are dropped with its iframe
    st.session_state[state.LIVE_STREAM_GENERATION] = st.session_state.get(state.LIVE_STREAM_GENERATION, 0) + 1
    st.session_state[state.LIVE_RECONNECTS] = attempts + 1
    st.session_state[state.LIVE_RECONNECTING] = True
    st.session_state.pop(state.LIVE_PLAYING_SINCE, None)
    st.rerun(scope="app")
