"""The guard against streamlit-webrtc stopping a stream on two quick reruns of the Live page."""

from __future__ import annotations

import inspect

from streamlit_webrtc import component
from streamlit_webrtc.component import WebRtcStreamerContext, WebRtcStreamerState

from emuse.ui.live_stream import keep_stream_across_reruns


def playing_context() -> WebRtcStreamerContext:
    context = WebRtcStreamerContext(worker=None, state=WebRtcStreamerState(playing=True, signalling=False))
    context._last_rendered_run_count = 5  # rendered in run 5; the racing count now reads 7
    return context


def test_the_check_is_skipped_only_when_the_last_complete_run_was_live() -> None:
    context = playing_context()
    assert keep_stream_across_reruns(context, "live")
    assert context._last_rendered_run_count is None  # streamlit-webrtc's orphan check does not fire
    back_from_history = playing_context()
    assert not keep_stream_across_reruns(back_from_history, "history")  # a real return: let it reset
    assert back_from_history._last_rendered_run_count == 5
    assert not keep_stream_across_reruns(None, "live")


def test_streamlit_webrtc_still_has_the_check_this_guards() -> None:
    """If an upgrade renames or drops it, this fails: re-read the Live page's stall notes in emuse/ui/live.py."""
    source = inspect.getsource(component._get_or_create_context)
    assert "_last_rendered_run_count + 1" in source and "_reset_context(context)" in source
