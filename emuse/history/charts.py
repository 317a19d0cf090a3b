"""Turning history rows into the things the Mood History page shows.

Rows are moments; people think in stretches of time. :func:`spans` gives each
mood row a duration (until the next row of its session, or one heartbeat when the
next row is too far away to mean "still the same"), and every chart weighs moods
by that time, so a heartbeat-heavy live session and a single snapshot count
fairly. Times are stored in UTC and shown in the viewer's time zone.

Pure pandas and plotly: no Streamlit, no TensorFlow, testable on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from emuse.history.schema import EXPORT_COLUMNS, spreadsheet_safe
from emuse.labels import COLORS, EMOJI, EMOTIONS

WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_ORDER = {"emotion": list(EMOTIONS)}


def zone(name: str | None) -> ZoneInfo:
    """The viewer's time zone, or UTC when the browser didn't say or said something unknown."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def day_range(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """``[start 00:00, end+1 00:00)`` in ``tz``, as aware datetimes (both days included)."""
    return (
        datetime.combine(start, time(), tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time(), tzinfo=tz),
    )


def spans(moods: pd.DataFrame, heartbeat_s: float = 5.0, gap_factor: float = 3.0) -> pd.DataFrame:
    """Each mood row with ``start``, ``end`` and ``seconds``.

    A row lasts until the next row of the same session if that comes within
    ``gap_factor`` heartbeats (the recorder would have written a heartbeat
    otherwise), else for one heartbeat: the person left, or it was a snapshot.
    """
    if moods.empty:
        return pd.DataFrame(columns=["session", "source", "emotion", "confidence", "start", "end", "seconds"])
    frame = moods.sort_values(["session", "time", "id"] if "id" in moods else ["session", "time"]).copy()
    frame["start"] = frame["time"]
    following = frame.groupby("session")["time"].shift(-1)
    nominal = frame["start"] + pd.Timedelta(seconds=heartbeat_s)
    close = (following - frame["start"]) <= pd.Timedelta(seconds=heartbeat_s * gap_factor)
    frame["end"] = following.where(close, nominal)
    frame["seconds"] = (frame["end"] - frame["start"]).dt.total_seconds()
    return frame[["session", "source", "emotion", "confidence", "start", "end", "seconds"]].reset_index(drop=True)


def bands(span_frame: pd.DataFrame) -> pd.DataFrame:
    """Join touching spans of the same emotion and session into one band for the timeline."""
    if span_frame.empty:
        return span_frame.assign(minutes=pd.Series(dtype=float))
    frame = span_frame.sort_values(["session", "start"]).reset_index(drop=True)
    previous_end = frame.groupby("session")["end"].shift()
    previous_emotion = frame.groupby("session")["emotion"].shift()
    new_band = (frame["emotion"] != previous_emotion) | (frame["start"] > previous_end)
    frame["band"] = new_band.cumsum()
    merged = frame.groupby("band").agg(
        session=("session", "first"),
        source=("source", "first"),
        emotion=("emotion", "first"),
        confidence=("confidence", "mean"),
        start=("start", "min"),
        end=("end", "max"),
        seconds=("seconds", "sum"),
    )
    merged["minutes"] = merged["seconds"] / 60
    return merged.reset_index(drop=True)


def local(frame: pd.DataFrame, tz: ZoneInfo, columns: Sequence[str]) -> pd.DataFrame:
    """A copy with the given UTC time columns shown in ``tz``."""
    frame = frame.copy()
    for column in columns:
        frame[column] = frame[column].dt.tz_convert(tz)
    return frame


def summary(span_frame: pd.DataFrame, songs: pd.DataFrame) -> dict[str, object]:
    """Headline numbers: time recorded, most frequent mood, sessions, songs."""
    total = float(span_frame["seconds"].sum()) if not span_frame.empty else 0.0
    top = span_frame.groupby("emotion")["seconds"].sum().idxmax() if total > 0 else None
    sessions = set(span_frame["session"]) | set(songs["session"])
    return {"minutes": total / 60, "top": top, "sessions": len(sessions), "songs": len(songs)}


def _empty_figure(message: str) -> go.Figure:
    figure = go.Figure()
    figure.add_annotation(text=message, showarrow=False, font={"size": 16})
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


def timeline_figure(band_frame: pd.DataFrame) -> go.Figure:
    """One horizontal band per emotion; each bar is a stretch of time in that mood."""
    if band_frame.empty:
        return _empty_figure("No moods in this selection")
    figure = px.timeline(
        band_frame,
        x_start="start",
        x_end="end",
        y="emotion",
        color="emotion",
        color_discrete_map=COLORS,
        category_orders=_ORDER,
        hover_data={"session": True, "source": True, "minutes": ":.1f", "confidence": ":.0%"},
    )
    figure.update_yaxes(title=None, categoryarray=list(EMOTIONS), categoryorder="array")
    figure.update_xaxes(title=None)
    figure.update_layout(showlegend=False, margin={"t": 10}, height=380)
    return figure


def share_figure(span_frame: pd.DataFrame) -> go.Figure:
    """How much of the recorded time was spent in each mood."""
    if span_frame.empty:
        return _empty_figure("No moods in this selection")
    totals = span_frame.groupby("emotion", as_index=False)["seconds"].sum()
    totals["minutes"] = totals["seconds"] / 60
    totals["mood"] = [f"{EMOJI[e]} {e}" for e in totals["emotion"]]
    figure = px.pie(
        totals,
        names="mood",
        values="minutes",
        color="emotion",
        color_discrete_map=COLORS,
        category_orders={"mood": [f"{EMOJI[e]} {e}" for e in EMOTIONS]},
        hole=0.45,
    )
    figure.update_traces(
        textinfo="percent+label", sort=False, hovertemplate="%{label}: %{value:.1f} min<extra></extra>"
    )
    figure.update_layout(showlegend=False, margin={"t": 10})
    return figure


def _share_by(span_frame: pd.DataFrame, key: pd.Series, key_name: str, order: list) -> go.Figure:
    frame = span_frame.assign(**{key_name: key.to_numpy()})
    table = frame.groupby([key_name, "emotion"], as_index=False)["seconds"].sum()
    table["minutes"] = table["seconds"] / 60
    figure = px.bar(
        table,
        x=key_name,
        y="minutes",
        color="emotion",
        color_discrete_map=COLORS,
        category_orders={**_ORDER, key_name: order},
        hover_data={"minutes": ":.1f"},
    )
    figure.update_yaxes(title="share of time (%)")
    figure.update_layout(barnorm="percent", margin={"t": 10}, legend_title=None)
    return figure


def hour_figure(span_frame: pd.DataFrame, tz: ZoneInfo) -> go.Figure:
    """Mood share per hour of the day (viewer's time zone)."""
    if span_frame.empty:
        return _empty_figure("No moods in this selection")
    hours = span_frame["start"].dt.tz_convert(tz).dt.hour
    figure = _share_by(span_frame, hours, "hour", list(range(24)))
    figure.update_xaxes(title="hour of day", dtick=1, range=[-0.5, 23.5])
    return figure


def weekday_figure(span_frame: pd.DataFrame, tz: ZoneInfo) -> go.Figure:
    """Mood share per day of the week (viewer's time zone)."""
    if span_frame.empty:
        return _empty_figure("No moods in this selection")
    days = span_frame["start"].dt.tz_convert(tz).dt.dayofweek.map(lambda d: WEEKDAYS[d])
    figure = _share_by(span_frame, days, "day", list(WEEKDAYS))
    figure.update_xaxes(title=None)
    return figure


def songs_figure(songs: pd.DataFrame) -> go.Figure:
    """How many songs were recommended (and played) for each mood."""
    if songs.empty:
        return _empty_figure("No songs in this selection")
    counts = songs.groupby(["emotion", "event"], as_index=False).size().rename(columns={"size": "songs"})
    figure = px.bar(
        counts,
        x="emotion",
        y="songs",
        color="emotion",
        pattern_shape="event",
        color_discrete_map=COLORS,
        category_orders={**_ORDER, "event": ["recommended", "played"]},
        barmode="stack",  # one bar per mood; "played" stacks on "recommended" with a pattern
    )
    figure.update_traces(offsetgroup="", width=0.7)  # px offsets each colour; here colour is the x category
    figure.update_xaxes(title=None)
    figure.update_layout(margin={"t": 10}, legend_title=None)
    return figure


def top_songs(songs: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The songs that came up most often, with the moods they came up for."""
    if songs.empty:
        return pd.DataFrame(columns=["name", "artists", "moods", "times", "url"])
    grouped = songs.groupby(["track_id", "name", "artists"], as_index=False).agg(
        moods=("emotion", lambda s: ", ".join(sorted(set(s), key=EMOTIONS.index))),
        times=("emotion", "size"),
        url=("url", "first"),
    )
    return grouped.sort_values("times", ascending=False).head(n)[["name", "artists", "moods", "times", "url"]]


def export_csv(moods: pd.DataFrame, songs: pd.DataFrame) -> bytes:
    """Rows as CSV in the same layout as ``python -m emuse history export`` (UTC ISO times)."""
    parts = []
    for kind, frame in (("mood", moods), ("song", songs)):
        if frame.empty:
            continue
        part = frame.drop(columns=["id"], errors="ignore").assign(kind=kind)
        part["time"] = part["time"].map(lambda t: t.isoformat())
        parts.append(part)
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    table = table.reindex(columns=list(EXPORT_COLUMNS)).map(spreadsheet_safe)  # no formula runs when opened
    return table.to_csv(index=False).encode("utf-8")


def session_labels(sessions: pd.DataFrame, tz: ZoneInfo) -> dict[str, str]:
    """Readable names for the session filter: ``web-1b4e28ba2fa1 · live · 3 Jun 14:02 · 12 moods``."""
    labels = {}
    for row in sessions.itertuples(index=False):
        started = row.first.astimezone(tz).strftime("%d %b %H:%M")
        source = f" · {row.source}" if row.source else ""
        labels[row.session] = f"{row.session}{source} · {started} · {row.moods} moods, {row.songs} songs"
    return labels
