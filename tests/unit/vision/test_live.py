"""The live session between streamlit-webrtc's video thread and the page."""

from __future__ import annotations

import queue
import threading

import numpy as np
import pytest

from emuse.vision.live import LiveSession


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
