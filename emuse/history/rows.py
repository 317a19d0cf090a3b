"""Checking and building the values of history rows, and the time and session filters of queries.

Kept apart from :mod:`.store` (transactions, retries, reading) so each stays short:
everything a row must satisfy before it is written is here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select

from emuse.history import schema
from emuse.labels import EMOTIONS, normalize_label
from emuse.mood import Mood


def utc(value: datetime | None = None) -> datetime:
    """An aware UTC datetime: now, or ``value`` converted (a naive value is taken to be UTC)."""
    if value is None:
        return datetime.now(UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def session_id(session: str) -> str:
    session = str(session).strip()
    if not session or len(session) > 64:
        raise ValueError("a history session id must be 1 to 64 characters")
    return session


def mood_values(session: str, source: str, mood: Mood, time: datetime | None = None) -> dict[str, Any]:
    if source not in schema.SOURCES:
        raise ValueError(f"unknown mood source {source!r}; expected one of {', '.join(schema.SOURCES)}")
    if len(mood.scores) != len(EMOTIONS):
        raise ValueError(f"a mood needs {len(EMOTIONS)} scores in EMOTIONS order, got {len(mood.scores)}")
    values: dict[str, Any] = {
        "time": utc(time),
        "session": session_id(session),
        "source": source,
        "emotion": normalize_label(mood.label),
        "confidence": float(mood.confidence),
    }
    values.update({name: float(score) for name, score in zip(schema.SCORE_COLUMNS, mood.scores, strict=True)})
    return values


def song_values(
    session: str,
    emotion: str,
    track_id: str,
    name: str,
    artists: str | Sequence[str],
    url: str = "",
    event: str = "recommended",
    time: datetime | None = None,
) -> dict[str, Any]:
    if event not in schema.SONG_EVENTS:
        raise ValueError(f"unknown song event {event!r}; expected one of {', '.join(schema.SONG_EVENTS)}")
    return {
        "time": utc(time),
        "session": session_id(session),
        "emotion": normalize_label(emotion),
        "track_id": str(track_id or ""),
        "name": str(name),
        "artists": artists if isinstance(artists, str) else ", ".join(artists),
        "url": str(url or ""),
        "event": event,
    }


def filtered(
    query: Select, table: Any, start: datetime | None, end: datetime | None, sessions: Sequence[str] | None
) -> Select:
    if start is not None:
        query = query.where(table.c.time >= utc(start))
    if end is not None:
        query = query.where(table.c.time < utc(end))
    if sessions is not None:
        query = query.where(table.c.session.in_(list(sessions)))
    return query.order_by(table.c.time, table.c.id)


def song_feedback_values(
    session: str,
    emotion: str,
    liked: bool,
    track_id: str,
    name: str,
    artists: str | Sequence[str],
    url: str = "",
    time: datetime | None = None,
) -> dict[str, Any]:
    """A 👍/👎 row: the song's fields, no scores."""
    values = song_values(session, emotion, track_id, name, artists, url, "recommended", time)
    del values["event"]
    return {**values, "feedback": "up" if liked else "down", "corrected_to": ""}


def correction_values(
    session: str, shown: str, corrected_to: str, scores: Sequence[float], time: datetime | None = None
) -> dict[str, Any]:
    """A "Not right? I'm …" row: what eMuse showed, what the person said, and the classifier's seven scores."""
    if len(scores) != len(EMOTIONS):
        raise ValueError(f"a correction needs {len(EMOTIONS)} scores in EMOTIONS order, got {len(scores)}")
    values: dict[str, Any] = {
        "time": utc(time),
        "session": session_id(session),
        "feedback": "correction",
        "emotion": normalize_label(shown),
        "corrected_to": normalize_label(corrected_to),
        **dict.fromkeys(("track_id", "name", "artists", "url"), ""),
    }
    values.update({name: float(v) for name, v in zip(schema.SCORE_COLUMNS, scores, strict=True)})
    return values
