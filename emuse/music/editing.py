"""Turning what people edit into validated tracks and sources: table rows, imported CSVs, repaired files.

The page shows rows as plain dicts (one per ``st.data_editor`` row); these
functions check what a person typed and say which row is wrong, so the page
itself stays wiring only. :func:`import_csv` reads a CSV someone brings (app and
``playlists import``); :func:`read_raw` and :func:`save_raw_playlist` let a person
fix a file that no longer parses. No Streamlit or pandas here.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from emuse.labels import EMOTIONS, normalize_label
from emuse.music import store
from emuse.music.links import PlaylistError, csv_rows, parse_playlist_ref, parse_track_ref
from emuse.music.store import MANUAL, STARTER, Source, Track, check_track, now_iso

#: Columns the editor shows, in order; the others travel hidden.
EDITOR_COLUMNS = ("position", "name", "artists", "album", "from", "track_id", "url")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def _text(value: Any) -> str:
    return "" if _blank(value) else str(value).strip()


def source_label(source: str) -> str:
    """How a row's origin reads in the editor: "added by hand", "eMuse starter list" or "Spotify playlist <id>"."""
    if source == MANUAL:
        return "added by hand"
    if source == STARTER:
        return "eMuse starter list"
    return f"Spotify playlist {source.removeprefix('spotify:')}"


def tracks_to_rows(tracks: Sequence[Track]) -> list[dict[str, Any]]:
    return [
        {
            "position": i + 1,
            "name": t.name,
            "artists": t.artists,
            "album": t.album,
            "from": source_label(t.source),
            "track_id": t.track_id,
            "url": t.open_url,
            "source": t.source,
            "duration_ms": t.duration_ms,
            "added_at": t.added_at,
            "valence": t.valence,
            "energy": t.energy,
        }
        for i, t in enumerate(tracks)
    ]


def rows_to_tracks(rows: Iterable[Mapping[str, Any]]) -> list[Track]:
    """Validate edited rows and return them as tracks, ordered by ``position`` (rows without one go last).

    Raises :class:`PlaylistError` naming every bad row (1-based, as shown).
    """
    keyed: list[tuple[float, int, Track]] = []
    problems: list[str] = []
    for index, row in enumerate(rows, start=1):
        if all(_blank(row.get(col)) for col in ("name", "artists", "track_id")):
            continue  # an empty row the editor added: ignore it
        try:
            keyed.append((_position(row.get("position")), index, _row_to_track(row)))
        except PlaylistError as exc:
            problems.append(f"row {index}: {exc}")
    if problems:
        raise PlaylistError("; ".join(problems))
    return [track for _, _, track in sorted(keyed, key=lambda k: (k[0], k[1]))]


def _position(value: Any) -> float:
    if _blank(value):
        return math.inf
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise PlaylistError(f"position {value!r} is not a number") from exc


def _row_to_track(row: Mapping[str, Any]) -> Track:
    raw_id = _text(row.get("track_id"))
    track_id = parse_track_ref(raw_id) if raw_id else ""  # a pasted link in the ID cell is fine
    name, artists = _text(row.get("name")), _text(row.get("artists"))
    if not name:
        raise PlaylistError("the name is empty; type the song's title")
    source = _text(row.get("source")) or MANUAL
    duration = row.get("duration_ms")
    url = _text(row.get("url"))
    if track_id:
        url = f"https://open.spotify.com/track/{track_id}"
    elif (
        not url
        or url.startswith("https://open.spotify.com/track/")
        or url.startswith("https://open.spotify.com/search/")
    ):
        url = ""  # re-derived from name and artists, so an edited title searches for the new one
    return Track(
        track_id=track_id,
        name=name,
        artists=artists,
        album=_text(row.get("album")),
        duration_ms=None if _blank(duration) else int(float(duration)),
        url=url,
        source=source,
        added_at=_text(row.get("added_at")) or now_iso(),
        valence=_feature(row.get("valence")),
        energy=_feature(row.get("energy")),
    )


def _feature(value: Any) -> float | None:
    """A hidden valence/energy cell travels back as it came (``None`` when the row has none)."""
    if _blank(value):
        return None
    number = float(value)
    return number if 0.0 <= number <= 1.0 else None


def sources_to_rows(sources: Sequence[Source]) -> list[dict[str, str]]:
    return [{"emotion": s.emotion, "playlist": s.playlist_id} for s in sources]


def rows_to_sources(rows: Iterable[Mapping[str, Any]]) -> list[Source]:
    """Validate the sources table; a playlist may be an ID, a ``spotify:playlist:`` URI or a link."""
    sources: list[Source] = []
    problems: list[str] = []
    for index, row in enumerate(rows, start=1):
        emotion, playlist = _text(row.get("emotion")), _text(row.get("playlist"))
        if not emotion and not playlist:
            continue
        try:
            if not emotion:
                raise PlaylistError(f"choose an emotion ({', '.join(EMOTIONS)})")
            source = Source(normalize_label(emotion), parse_playlist_ref(playlist))
        except ValueError as exc:
            problems.append(f"row {index}: {exc}")
            continue
        if source not in sources:
            sources.append(source)
    if problems:
        raise PlaylistError("; ".join(problems))
    return sources


def import_csv(data: bytes, where: str) -> list[Track]:
    """Tracks from a CSV in this store's layout or the original eMuse layout (``,Name,Album,Artist``)."""
    text = store.decode(data, Path(where))
    first = text.splitlines()[0] if text.strip() else ""
    header = [h.strip() for h in next(csv_rows(csv.reader([first]), where), (0, []))[1]]
    if header == list(store.HEADER):
        return store.parse_playlist(text, where)
    names = [h.lower() for h in header]
    if "name" not in names or not ({"artist", "artists"} & set(names)):
        raise PlaylistError(
            f"{where} line 1: expected the header {','.join(store.HEADER)} or the original layout ,Name,Album,Artist"
        )
    reader = csv_rows(csv.reader(io.StringIO(text, newline="")), where)
    next(reader)
    tracks = []
    for line, cells in reader:
        row = dict(zip(names, cells, strict=False))
        name = (row.get("name") or "").strip()
        artists = (row.get("artist") or row.get("artists") or "").strip()
        if not name:
            if any(cell.strip() for cell in cells):
                raise PlaylistError(f"{where} line {line}: Name is empty")
            continue
        try:  # what the reader would refuse (a 200k-character name) is refused here, with its line
            tracks.append(check_track(store.manual_track("", name, artists, (row.get("album") or "").strip())))
        except ValueError as exc:
            raise PlaylistError(f"{where} line {line}: {exc}") from None
    return tracks


# --- fixing a broken file by hand


def read_raw(path: Path) -> tuple[str, str]:
    """A file's text (undecodable bytes shown as U+FFFD) and version, for repairing it in a text box."""
    data = store.read_bytes(path)
    if data is None:
        return "", ""
    return data.decode("utf-8-sig", errors="replace"), store.version_of(data)


def save_raw_playlist(emotion: str, text: str, base_version: str, folder: Path | None = None) -> str:
    """Validate hand-edited CSV text and save it (same conflict check as :func:`emuse.music.store.save_playlist`)."""
    tracks = store.parse_playlist(text, f"{normalize_label(emotion)}.csv (your text)")
    return store.save_playlist(emotion, tracks, base_version, folder)
