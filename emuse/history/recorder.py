"""When a mood is worth a row: on every change, and now and then while it holds.

A webcam gives a smoothed mood many times a second. Writing each one would fill
the database with identical rows; writing only changes would make a calm hour
look like a single instant on the timeline, and would not tell "held for an hour"
apart from "camera switched off right after". So a :class:`MoodRecorder` writes a
row when the smoothed label changes and a heartbeat at most every
``heartbeat_s`` seconds while it holds. The history page draws a mood as lasting
until the next row of its session, unless the gap is much longer than a heartbeat
(then the person had left).

It is plain Python, called from the video thread or the CLI, and never raises a
database error at its caller: a failing database must not stop the camera. The
last problem is kept in :attr:`MoodRecorder.last_error` for the UI to show.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from emuse.history.schema import SOURCES
from emuse.history.store import HistoryError, HistoryStore, utc
from emuse.mood import Mood

log = logging.getLogger(__name__)


def new_session_id(prefix: str) -> str:
    """A fresh session id such as ``cli-1b4e28ba2fa1`` (short enough to read in a filter)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class MoodRecorder:
    """Records one session's smoothed moods into a :class:`HistoryStore`.

    ``enabled`` can be flipped at any time (the privacy toggle); while it is off
    nothing is written, and the next mood after switching it back on is written
    as a change.
    """

    def __init__(
        self,
        store: HistoryStore,
        session_id: str,
        source: str,
        heartbeat_s: float = 5.0,
        enabled: bool = True,
    ) -> None:
        if source not in SOURCES:
            raise ValueError(f"unknown mood source {source!r}; expected one of {', '.join(SOURCES)}")
        self.store = store
        self.session_id = session_id
        self.source = source
        self.heartbeat_s = heartbeat_s
        self._enabled = enabled
        self.written = 0  # mood rows written so far
        self.failed = 0  # rows (moods or songs) lost to database errors
        self.last_error: str | None = None
        self._label: str | None = None
        self._last_write: datetime | None = None
        self._last_songs: tuple | None = None
        self._lock = threading.Lock()  # observe() from the video thread, toggles from the page

    @property
    def enabled(self) -> bool:
        return self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        with self._lock:
            if value and not self._enabled:
                self._label = self._last_write = None  # resume with a fresh "change" row
                self._last_songs = None
            self._enabled = bool(value)

    def reset(self) -> None:
        """Forget the current mood, so the next one is written as a change (new file, face lost)."""
        with self._lock:
            self._label = self._last_write = None

    def observe(self, mood: Mood | None, now: datetime | None = None) -> bool:
        """Offer the current smoothed mood (``None``: no face); returns whether a row was written.

        ``now`` is the wall-clock time of the observation (UTC; default: now).
        """
        if not self._enabled:
            return False
        if mood is None:
            self.reset()
            return False
        now = utc(now)
        with self._lock:
            changed = mood.label != self._label
            due = self._last_write is None or (now - self._last_write).total_seconds() >= self.heartbeat_s
            if not (changed or due):
                return False
            try:
                self.store.add_mood(self.session_id, self.source, mood, now)
            except HistoryError as exc:
                self.last_error = str(exc)
                self.failed += 1
                log.warning("mood not recorded: %s", exc)
                return False
            self._label, self._last_write = mood.label, now
            self.written += 1
            return True

    def song(
        self,
        emotion: str,
        track_id: str,
        name: str,
        artists: str | Sequence[str],
        url: str = "",
        event: str = "recommended",
        now: datetime | None = None,
    ) -> bool:
        """Record a song recommended for (or played in) this session; returns whether it was written."""
        if not self._enabled:
            return False
        try:
            self.store.add_song(self.session_id, emotion, track_id, name, artists, url, event, now)
        except HistoryError as exc:
            self.last_error = str(exc)
            self.failed += 1
            log.warning("song not recorded: %s", exc)
            return False
        return True

    def songs_shown(self, emotion: str, tracks: Sequence[Any], event: str = "recommended") -> int:
        """Record a list of songs shown for ``emotion``, once; returns how many rows were written.

        A Streamlit page reruns many times while the same list stays on screen, so
        the list is written only when it differs from the last one recorded.
        ``tracks`` are objects with ``track_id``, ``name``, ``artists`` and ``url``
        (such as :class:`emuse.music.store.Track`).
        """
        if not self._enabled or not tracks:
            return 0
        signature = (emotion, event, tuple((t.track_id, t.name) for t in tracks))
        if signature == self._last_songs:
            return 0
        now = utc()
        rows = [(self.session_id, emotion, t.track_id, t.name, t.artists, t.url, event, now) for t in tracks]
        try:
            written = self.store.add_songs(rows)
        except HistoryError as exc:
            self.last_error = str(exc)
            self.failed += len(rows)
            log.warning("songs not recorded: %s", exc)
            return 0
        self._last_songs = signature
        return written

    def song_feedback(self, emotion: str, track: Any, liked: bool, now: datetime | None = None) -> bool:
        """Record 👍/👎 on ``track`` (a :class:`emuse.music.store.Track`) shown for ``emotion``."""
        return self._write(
            lambda: self.store.add_song_feedback(
                self.session_id, emotion, liked, track.track_id, track.name, track.artists, track.open_url, now
            )
        )

    def correction(self, shown: str, corrected_to: str, scores: Sequence[float], now: datetime | None = None) -> bool:
        """Record "Not right? I'm …": eMuse showed ``shown``, the person said ``corrected_to``."""
        return self._write(lambda: self.store.add_correction(self.session_id, shown, corrected_to, scores, now))

    def _write(self, write: Any) -> bool:
        if not self._enabled:
            return False
        try:
            write()
        except HistoryError as exc:
            self.last_error = str(exc)
            self.failed += 1
            log.warning("feedback not recorded: %s", exc)
            return False
        return True
