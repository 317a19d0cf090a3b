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

from emuse.history import export
from emuse.labels import COLORS, EMOTIONS

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


def days_covered(sessions: pd.DataFrame, tz: ZoneInfo) -> tuple[date, date]:
    """The first and last day (in ``tz``) with any row, from :meth:`HistoryStore.sessions`."""
    return sessions["first"].min().astimezone(tz).date(), sessions["last"].max().astimezone(tz).date()


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


def bands(span_frame: pd.DataFrame, min_seconds: float = 0.0) -> pd.DataFrame:
    """Touching spans of the same session joined into bands for the timeline.

    Spans of the same emotion always join. With ``min_seconds``, a band shorter than
    that is merged into its neighbour (the one before it if they touch, else the one
    after), for display only: a normal 3-minute session has one-second flickers that
    would draw the timeline as a barcode. The stored rows, the minutes per mood and
    the export keep every row.
    """
    columns = ["session", "source", "emotion", "confidence", "start", "end", "seconds"]
    if span_frame.empty:
        return span_frame.reindex(columns=columns).assign(minutes=pd.Series(dtype=float))
    records = span_frame.sort_values(["session", "start"])[columns].to_dict("records")
    merged = _absorb(_absorb(records, 0.0), min_seconds)  # whole bands first, then the short ones go
    frame = pd.DataFrame(merged, columns=columns)
    frame["minutes"] = frame["seconds"] / 60
    return frame


def _absorb(records: list[dict], min_seconds: float) -> list[dict]:
    """One pass: join touching same-emotion neighbours; give a band under ``min_seconds`` to a neighbour."""
    merged: list[dict] = []
    for row in records:
        last = merged[-1] if merged else None
        touches = last is not None and last["session"] == row["session"] and row["start"] <= last["end"]
        if touches and (row["emotion"] == last["emotion"] or row["seconds"] < min_seconds):
            last["end"], last["seconds"] = max(last["end"], row["end"]), last["seconds"] + row["seconds"]
            continue
        if touches and last["seconds"] < min_seconds:  # a short band before this one: this one takes it over
            merged.pop()
            row = {**row, "start": last["start"], "seconds": row["seconds"] + last["seconds"]}
            before = merged[-1] if merged else None
            joins = before and before["session"] == row["session"] and before["emotion"] == row["emotion"]
            if joins and row["start"] <= before["end"]:
                before["end"], before["seconds"] = row["end"], before["seconds"] + row["seconds"]
                continue
        merged.append(dict(row))
    return merged


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


def timeline_figure(band_frame: pd.DataFrame, session_names: dict[str, str] | None = None) -> go.Figure:
    """One row per session, from its first minute; each band is a stretch of time in one mood, coloured and named.

    Rows are laid side by side from their own start (minutes into the session), not on
    one clock axis: a 3-minute session on a two-day axis would be a sliver. Each row's
    name (see :func:`session_labels`) says when it was; the band's mood is written
    inside it where it fits, and the legend names every colour.
    """
    if band_frame.empty:
        return _empty_figure("No moods in this selection")
    names = session_names or {}
    first = band_frame.groupby("session")["start"].transform("min")
    frame = band_frame.assign(
        row=[_short(names.get(s, s)) for s in band_frame["session"]],
        offset=(band_frame["start"] - first).dt.total_seconds() / 60,
        mood=band_frame["emotion"],
        began=band_frame["start"].dt.strftime("%H:%M:%S"),
    )
    figure = px.bar(
        frame,
        x="minutes",
        base="offset",
        y="row",
        orientation="h",
        color="emotion",
        text="mood",
        color_discrete_map=COLORS,
        category_orders=_ORDER,
        hover_data={"row": False, "mood": False, "offset": False, "began": True, "minutes": ":.1f"},
    )
    figure.update_traces(textposition="inside", insidetextanchor="middle", textfont_color="#222")
    figure.update_yaxes(title=None, autorange="reversed")
    figure.update_xaxes(title="minutes into the session", rangemode="tozero")
    rows = frame["row"].nunique()
    figure.update_layout(
        barmode="overlay",
        uniformtext={"minsize": 10, "mode": "hide"},  # a band too narrow for its name shows none
        legend={"title": None, "orientation": "h", "y": -0.35},
        margin={"t": 10},
        height=190 + 45 * min(rows, 10),
    )
    return figure


def _short(label: str, width: int = 40) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def minutes_figure(span_frame: pd.DataFrame) -> go.Figure:
    """Minutes spent in each mood, one labelled bar per mood: reads as well with one minute as with hours."""
    if span_frame.empty:
        return _empty_figure("No moods in this selection")
    totals = span_frame.groupby("emotion")["seconds"].sum().reindex(list(EMOTIONS)).dropna().reset_index()
    totals["minutes"] = totals["seconds"] / 60
    totals["label"] = [duration(seconds) for seconds in totals["seconds"]]
    figure = px.bar(
        totals,
        x="minutes",
        y="emotion",
        orientation="h",
        color="emotion",
        color_discrete_map=COLORS,
        category_orders=_ORDER,
        text="label",
    )
    figure.update_traces(textposition="outside", cliponaxis=False, hovertemplate="%{y}: %{text}<extra></extra>")
    figure.update_yaxes(title=None)
    figure.update_xaxes(title="minutes")
    figure.update_layout(showlegend=False, margin={"t": 10, "r": 60}, height=140 + 36 * len(totals))
    return figure


def duration(seconds: float) -> str:
    """``"40 s"``, ``"3.5 min"``, ``"2.1 h"``: short sessions don't read as "0 min"."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min" if seconds < 3600 else f"{seconds / 3600:.1f} h"


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
    """How many songs were suggested for each mood (hover: how many of them were played)."""
    if songs.empty:
        return _empty_figure("No songs in this selection")
    counts = (
        songs.assign(played=songs["event"].eq("played"), suggested=songs["event"].eq("recommended"))
        .groupby("emotion", as_index=False)[["suggested", "played"]]
        .sum()
    )
    figure = px.bar(
        counts,
        x="emotion",
        y="suggested",
        color="emotion",
        color_discrete_map=COLORS,
        category_orders=_ORDER,
        text="suggested",
        hover_data={"emotion": False, "played": True},
    )
    figure.update_traces(textposition="outside", cliponaxis=False)
    figure.update_xaxes(title=None)
    figure.update_yaxes(title="songs suggested")
    figure.update_layout(showlegend=False, margin={"t": 10})
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


def distinct_hours(span_frame: pd.DataFrame, tz: ZoneInfo) -> int:
    """How many different hours of the day the selection covers (the hour chart needs several)."""
    return 0 if span_frame.empty else int(span_frame["start"].dt.tz_convert(tz).dt.hour.nunique())


def distinct_days(span_frame: pd.DataFrame, tz: ZoneInfo) -> int:
    """How many different days of the week the selection covers."""
    return 0 if span_frame.empty else int(span_frame["start"].dt.tz_convert(tz).dt.dayofweek.nunique())


def session_labels(sessions: pd.DataFrame, sources: pd.DataFrame, tz: ZoneInfo) -> dict[str, str]:
    """Names for sessions by where their moods came from and when: ``Tue 7 May: Live, 14:02-14:05, 3 uploads``.

    ``sessions`` is :meth:`HistoryStore.sessions` (its order is kept), ``sources``
    :meth:`HistoryStore.session_sources`. A session with songs and no moods is
    named by its time alone.
    """
    by_session = dict(iter(sources.groupby("session", sort=False)))
    labels = {}
    for row in sessions.itertuples(index=False):
        first = row.first.astimezone(tz)
        parts = []
        group = by_session.get(row.session)
        for part in [] if group is None else group.sort_values("first").itertuples(index=False):
            start, end = (t.astimezone(tz).strftime("%H:%M") for t in (part.first, part.last))
            if part.source == "live":
                parts.append(f"Live, {start}-{end}" if end != start else f"Live, {start}")
            elif part.source == "cli":
                parts.append(f"command line, {start}")
            else:
                parts.append(f"{part.moods} {part.source}{'s' if part.moods != 1 else ''}")
        if not parts:
            parts = [f"songs only, {first:%H:%M}"]
        labels[row.session] = f"{first:%a} {first.day} {first:%b}: " + ", ".join(parts)
    return labels


def export_csv(moods: pd.DataFrame, songs: pd.DataFrame, tz: ZoneInfo | None = None) -> bytes:
    """These rows as CSV, in the layout of ``python -m emuse history export`` (see :mod:`emuse.history.export`)."""
    return export.frames_to_csv(moods, songs, tz)
