"""The live session between streamlit-webrtc's video thread and the page."""

from __future__ import annotations

import queue
import threading

import numpy as np
import pytest

from emuse.vision.live import FIRST_FRAME_TIMEOUT_S, FRAME_GAP_TIMEOUT_S, LiveSession


def test_page_sees_only_the_newest_update_and_the_video_thread_never_blocks(classifier, webcam_frame) -> None:
    live = LiveSession(classifier)
    for _ in range(5):  # nobody reads: the queue must not fill up or block
        out = live.process(webcam_frame.copy())
    assert out.shape == webcam_frame.shape
    update = live.updates.get_nowait()
    assert update.frames == 5 and update.faces == 1
    assert update.mood is not None and update.mood.label == "happy"
    with pytest.raises(queue.Empty):
        live.updates.get_nowait()


def test_sessions_are_independent_and_share_the_model(classifier, webcam_frame, grace_hopper_bgr) -> None:
    happy, other = LiveSession(classifier), LiveSession(classifier)
    assert happy.analyzer.classifier is other.analyzer.classifier
    assert happy.analyzer is not other.analyzer
    frame_b = np.full((480, 640, 3), 90, np.uint8)
    frame_b[0:480, 100:500] = grace_hopper_bgr[60:540, 56:456]

    def feed(session: LiveSession, frame: np.ndarray) -> None:
        for _ in range(20):
            session.process(frame.copy())

    threads = [
        threading.Thread(target=feed, args=(happy, webcam_frame)),
        threading.Thread(target=feed, args=(other, frame_b)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert happy.updates.get_nowait().mood.label == "happy"
    assert other.updates.get_nowait().mood.label != "happy"


def test_reset_on_stop_forgets_counters_and_mood(classifier, webcam_frame) -> None:
    live = LiveSession(classifier)
    live.process(webcam_frame.copy())
    live.reset()
    live.updates.get_nowait()  # the update from before STOP
    live.process(np.zeros((480, 640, 3), np.uint8))
    update = live.updates.get_nowait()
    assert update.frames == 1 and update.mood is None


def test_a_stream_that_stops_sending_frames_is_reported_as_stalled(classifier, webcam_frame) -> None:
    """Video time only: the caller's clock, never the wall clock."""
    live = LiveSession(classifier)
    start = 1000.0
    assert live.stalled_for(start, start + 5.0) is None  # connecting: the first frame may take seconds
    assert live.stalled_for(start, start + FIRST_FRAME_TIMEOUT_S) == FIRST_FRAME_TIMEOUT_S  # it never came
    for i in range(10):
        live.process(webcam_frame, now=start + 2.0 + i / 30)
    last = start + 2.0 + 9 / 30
    assert live.stalled_for(start, last + 1.0) is None  # flowing; a second's hiccup is not a stall
    assert live.stalled_for(start, last + FRAME_GAP_TIMEOUT_S) == pytest.approx(FRAME_GAP_TIMEOUT_S)
    # A new stream (a reconnect) starts its own count: old frames do not make it look alive.
    assert live.stalled_for(last + 10, last + 12) is None
    assert live.stalled_for(last + 10, last + 10 + FIRST_FRAME_TIMEOUT_S) == FIRST_FRAME_TIMEOUT_S
    live.reset()
    assert live.stalled_for(start, start + 1) is None
