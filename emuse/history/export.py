"""History rows as a file a person opens in a spreadsheet: the page's CSV download and ``history export``.

One layout for both (:data:`emuse.history.schema.EXPORT_COLUMNS`), made readable:
scores rounded to 4 digits (the model is not more precise than that; raw floats
came out with 17), times in ISO 8601 with their zone and whole seconds, and a
header that says what the ``emotion`` column holds, and no cell a spreadsheet would run as
a formula (:func:`emuse.history.schema.spreadsheet_safe`: song names come from anyone's
playlist). The ``emotion`` column is the *smoothed* mood, which keeps its label
until another mood leads it by the smoother's margin
(:class:`emuse.vision.smoothing.MoodSmoother`), so a row's emotion is not always
the one with the highest score: hysteresis, not a bug.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import pandas as pd

from emuse.history.schema import EXPORT_COLUMNS, SCORE_COLUMNS, spreadsheet_safe

SCORE_DIGITS = 4

#: The ``emotion`` column's header in CSV exports: the smoothing's hysteresis, said where it shows.
EMOTION_HEADER = "emotion (smoothed: kept until another mood leads by 0.1; not always the highest score)"

_ROUNDED = ("confidence", *SCORE_COLUMNS)


def headers() -> list[str]:
    """The CSV header row: :data:`EXPORT_COLUMNS` with the explained ``emotion`` column."""
    return [EMOTION_HEADER if column == "emotion" else column for column in EXPORT_COLUMNS]


def export_record(record: Mapping[str, Any], tz: ZoneInfo | None = None) -> list[Any]:
    """One row's cells in :data:`EXPORT_COLUMNS` order: rounded scores, ISO time with zone, blanks for gaps,
    text that can't run as a formula."""
    cells = []
    for column in EXPORT_COLUMNS:
        value = record.get(column)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            value = ""
        elif column in _ROUNDED:
            value = round(float(value), SCORE_DIGITS)
        elif column == "time":
            when = pd.Timestamp(value)
            when = when.tz_localize("UTC") if when.tzinfo is None else when
            value = when.tz_convert(tz or "UTC").to_pydatetime().isoformat(timespec="seconds")
        cells.append(spreadsheet_safe(value))
    return cells


def write_csv(records: Iterable[Mapping[str, Any]], out: TextIO, tz: ZoneInfo | None = None) -> int:
    """Write the header and every record to ``out`` as CSV; returns how many rows were written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers())
    count = 0
    for record in records:
        writer.writerow(export_record(record, tz))
        count += 1
    return count


def frames_to_csv(moods: pd.DataFrame, songs: pd.DataFrame, tz: ZoneInfo | None = None) -> bytes:
    """The page's download: these mood and song rows (moods first), as UTF-8 CSV."""
    out = io.StringIO()
    records = [
        {**row, "kind": kind}
        for kind, frame in (("mood", moods), ("song", songs))
        for row in frame.drop(columns=["id"], errors="ignore").to_dict("records")
    ]
    write_csv(records, out, tz)
    return out.getvalue().encode("utf-8")
