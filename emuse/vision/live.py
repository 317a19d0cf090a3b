"""One browser's live video session, between streamlit-webrtc's video thread and the page.

streamlit-webrtc calls the frame callback on its own worker thread. That thread
must never touch ``st.session_state`` and must never wait for the page, so results
leave it through a ``queue.Queue`` that holds only the newest :class:`LiveUpdate`
(a small immutable record). If the page is slow to read, older updates are
replaced, not queued: the page always shows the present.

Frames are dropped, never queued, when the server falls behind. streamlit-webrtc's
``async_processing`` mode drops frames the callback can't keep up with, but only
after aiortc has decoded them into an unbounded queue that is drained at the pace
of the outgoing video encoder. With three sessions on two cores that queue grew by
7-22 MB a second and the returned video lagged further and further behind.
:func:`emuse.ui.runtime.drop_stale_frames` makes the incoming track hand over only its newest frame.
"""

from __future__ import annotations

import contextlib
import queue
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from emuse.mood import Mood
from emuse.vision.classifier import EmotionClassifier
from emuse.vision.frame_analysis import FrameAnalyzer, draw


@dataclass(frozen=True)
class LiveUpdate:
    """What the page needs to show after a frame: small, immutable, safe to pass between threads."""

    mood: Mood | None
    faces: int
    frames: int  # frames analysed since START
    fps: float  # frames analysed per second, over the last couple of seconds
    callback_ms: float  # median time a frame spent in the callback, recent frames
    at: float  # time.monotonic() of the frame


class LiveSession:
    """Per-browser-session analysis state; the classifier inside is shared by all sessions."""

    def __init__(self, classifier: EmotionClassifier, window: int = 60) -> None:
        self.analyzer = FrameAnalyzer(classifier)
        self.updates: queue.Queue[LiveUpdate] = queue.Queue(maxsize=1)
        self._lock = threading.Lock()  # guards the counters against overlapping callbacks
        self._frames = 0
        self._times: deque[float] = deque(maxlen=window)
        self._durations: deque[float] = deque(maxlen=window)

    @property
    def model_name(self) -> str:
        return self.analyzer.classifier.name

    def process(self, bgr: np.ndarray) -> np.ndarray:
        """Analyse one frame, draw on it, publish a :class:`LiveUpdate`; returns the annotated frame."""
        start = time.perf_counter()
        now = time.monotonic()
        result = self.analyzer.analyze(bgr, now)
        if result.faces:
            if not bgr.flags.writeable:
                bgr = bgr.copy()
            draw(bgr, result)
        with self._lock:
            self._frames += 1
            self._times.append(now)
            self._durations.append((time.perf_counter() - start) * 1e3)
            span = self._times[-1] - self._times[0]
            fps = (len(self._times) - 1) / span if span > 0 else 0.0
            update = LiveUpdate(
                mood=result.mood,
                faces=len(result.faces),
                frames=self._frames,
                fps=fps,
                callback_ms=statistics.median(self._durations),
                at=now,
            )
        self._publish(update)
        return bgr

    def _publish(self, update: LiveUpdate) -> None:
        """Keep only the newest update in the queue; never block the video thread."""
        while True:
            try:
                self.updates.put_nowait(update)
                return
            except queue.Full:
                with contextlib.suppress(queue.Empty):
                    self.updates.get_nowait()

    def reset(self) -> None:
        """Forget counters and mood (on STOP), so the next START begins fresh."""
        with self._lock:
            self._frames = 0
            self._times.clear()
            self._durations.clear()
        self.analyzer.reset()


class LiveSlots:
    """At most ``limit`` live streams per server process; the rest are told the server is busy.

    Ten tabs on two cores used to give two streams and eight black boxes with no
    word. A session holds a slot while it streams and renews it with every frame
    (and from the page, twice a second); a slot not renewed for ``ttl_s`` is free
    again, so a tab closed without STOP gives its slot back within 10 s without
    anyone's help. Thread-safe (the video threads renew); one per process.
    """

    def __init__(self, limit: int, ttl_s: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1:
            raise ValueError(f"the live session limit must be 1 or more, not {limit}")
        self.limit = limit
        self.ttl_s = ttl_s
        self._clock = clock
        self._held: dict[str, float] = {}
        self._lock = threading.Lock()

    def _expire(self, now: float) -> None:
        for session, seen in list(self._held.items()):
            if now - seen > self.ttl_s:
                del self._held[session]

    def acquire(self, session: str) -> bool:
        """Take or renew ``session``'s slot; ``False`` when every slot is held by someone else."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            if session in self._held or len(self._held) < self.limit:
                self._held[session] = now
                return True
            return False

    def is_full_for(self, session: str) -> bool:
        """Whether ``session`` would be refused now (without taking anything)."""
        with self._lock:
            self._expire(self._clock())
            return session not in self._held and len(self._held) >= self.limit

    def release(self, session: str) -> None:
        with self._lock:
            self._held.pop(session, None)

    @property
    def in_use(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._held)
