"""The playlist store: one CSV per emotion plus ``sources.csv``, in ``playlists/``.

Why CSV: people edit these files by hand, in the app and in pull requests, and the
weekly sync commits them to git, where a line-per-song diff is easy to review.

Three promises, each for a real failure mode:

* **Atomic writes.** A file is written to a temporary file in the same folder and
  moved over the old one with ``os.replace``, so a crash or a full disk leaves the
  old file, never half of a new one.
* **No silent lost updates.** Every read returns a ``version`` (a hash of the bytes);
  a save names the version it started from and is refused with
  :class:`ConflictError` if someone else saved in between. The check and the write
  happen under an exclusive lock on the folder, so two saves cannot interleave.
* **Strict, helpful reading.** A missing column, a bad row or a wrong encoding is a
  :class:`PlaylistError` whose message names the file and line and says what to do.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from emuse.files import atomic_write_bytes, locked
from emuse.labels import EMOTIONS, normalize_label
from emuse.music.folder import decode, playlist_path, read_bytes, sources_path, version_of
from emuse.music.links import (
    MAX_FIELD_CHARS,
    ConflictError,
    PlaylistError,
    csv_rows,
    embed_url,
    is_playlist_id,
    is_spotify_url,
    is_track_id,
    parse_playlist_ref,
    parse_track_ref,  # noqa: F401  (part of this module's interface since before links.py)
    search_url,
)

HEADER: tuple[str, ...] = ("track_id", "name", "artists", "album", "duration_ms", "url", "source", "added_at")
#: Optional trailing columns: the song's Spotify valence and energy (0..1), which place it in
#: mood space. The starter lists carry them; synced and hand-made lists have none.
FEATURES: tuple[str, ...] = ("valence", "energy")
SOURCES_HEADER: tuple[str, ...] = ("emotion", "playlist")
MANUAL = "manual"
#: Rows written by ``playlists/build_starters.py`` from ``data_moods.csv``; kept by a sync like manual rows.
STARTER = "starter"


@dataclass(frozen=True)
class Track:
    """One song of a playlist, exactly one CSV row."""

    track_id: str  # Spotify track ID, or "" for a song we only know by name
    name: str
    artists: str
    album: str = ""
    duration_ms: int | None = None
    url: str = ""
    source: str = MANUAL  # "manual", "starter" or "spotify:<playlist id>"
    added_at: str = ""
    valence: float | None = None  # Spotify's audio features, when known (starter lists)
    energy: float | None = None

    @property
    def open_url(self) -> str:
        """Where "open in Spotify" goes: built from a valid track ID, else a Spotify link, else a search.

        Never anything else, whatever the row says: the page puts this in a link.
        """
        if is_track_id(self.track_id):
            return f"https://open.spotify.com/track/{self.track_id}"
        return self.url if is_spotify_url(self.url) else search_url(self.name, self.artists)

    @property
    def embed_url(self) -> str | None:
        """The Spotify embed player, only for rows with a valid track ID (:func:`emuse.music.links.embed_url`)."""
        return embed_url(self.track_id)

    @property
    def point(self) -> tuple[float, float] | None:
        """Where the song sits in mood space, ``(valence, energy)``, or ``None`` without features."""
        if self.valence is None or self.energy is None:
            return None
        return (self.valence, self.energy)

    @property
    def key(self) -> str:
        """Identity for de-duplication: the track ID, else name and artists."""
        return self.track_id or f"{self.name.strip().lower()}|{self.artists.strip().lower()}"

    @property
    def label(self) -> str:
        return f"{self.name} — {self.artists}" if self.artists else self.name

    @property
    def is_manual(self) -> bool:
        """Not from a sync (added by hand or from the starter data): a sync keeps such rows as they are."""
        return self.source in (MANUAL, STARTER)

    def as_row(self) -> dict[str, str]:
        return {
            "track_id": self.track_id,
            "name": self.name,
            "artists": self.artists,
            "album": self.album,
            "duration_ms": "" if self.duration_ms is None else str(self.duration_ms),
            "url": self.url or self.open_url,
            "source": self.source,
            "added_at": self.added_at,
            "valence": "" if self.valence is None else f"{self.valence:g}",
            "energy": "" if self.energy is None else f"{self.energy:g}",
        }


@dataclass(frozen=True)
class PlaylistFile:
    """What was read from one CSV: the tracks and the version to pass back when saving."""

    path: Path
    tracks: list[Track]
    version: str


@dataclass(frozen=True)
class Source:
    """One line of ``sources.csv``: an emotion fed by a Spotify playlist."""

    emotion: str
    playlist_id: str


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- playlists


def parse_playlist(text: str, where: str | Path) -> list[Track]:
    """Parse playlist CSV text strictly; ``where`` is used in messages."""
    reader = csv_rows(csv.reader(io.StringIO(text, newline="")), where)
    first = next(reader, None)
    if first is None:
        return []
    header = [h.strip() for h in first[1]]
    if header == [*HEADER, *FEATURES]:
        pass
    elif header != list(HEADER):
        missing = [h for h in HEADER if h not in header]
        extra = [h for h in header if h not in HEADER]
        if header[:4] == ["", "Name", "Album", "Artist"] or header[:3] == ["Name", "Album", "Artist"]:
            hint = "this is the original eMuse layout; import it with `python -m emuse playlists import`"
        elif missing or extra:
            hint = (f"missing {', '.join(missing)}" if missing else "") + (
                ("; " if missing and extra else "") + (f"unexpected {', '.join(extra)}" if extra else "")
            )
        else:
            hint = "columns are in the wrong order"
        raise PlaylistError(
            f"{where} line 1: header must be {','.join(HEADER)} (optionally followed by ,{','.join(FEATURES)}) ({hint})"
        )
    width = len(header)
    tracks: list[Track] = []
    problems: list[str] = []
    for line, row in reader:
        if not any(cell.strip() for cell in row):
            continue
        try:
            tracks.append(_track_from_row(row, width))
        except ValueError as exc:
            problems.append(f"{where} line {line}: {exc}")
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise PlaylistError("; ".join(problems[:5]) + more)
    return tracks


def check_track(track: Track) -> Track:
    """``track`` if the reader would accept its row, else ``ValueError`` saying why.

    The same function reads every CSV row, so what is written (by a save, an import or
    a sync) is exactly what can be read back: a fake server's track ID ``abc``, a
    duration of -5 or ``true`` or a 200,000-character name never reach a file.
    """
    return _track_from_row([track.as_row()[column] for column in HEADER])


def _feature(name: str, cell: str) -> float | None:
    if not cell:
        return None
    try:
        value = float(cell) if len(cell) <= 32 else math.nan
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= 1.0:  # also false for NaN
        raise ValueError(f"{name} {cell[:40]!r} must be a number from 0 to 1 (or empty)")
    return value


def _track_from_row(row: Sequence[str], width: int = len(HEADER)) -> Track:
    if len(row) != width:
        raise ValueError(f"expected {width} fields, found {len(row)} (a comma in a name needs quotes)")
    cells = [cell.strip() for cell in row]
    for column, value in zip(HEADER, cells[: len(HEADER)], strict=True):
        if len(value) > MAX_FIELD_CHARS[column]:
            raise ValueError(f"{column} is {len(value)} characters long; at most {MAX_FIELD_CHARS[column]}")
    track_id, name, artists, album, duration, url, source, added_at = cells[: len(HEADER)]
    features = [_feature(n, c) for n, c in zip(FEATURES, cells[len(HEADER) :], strict=False)]
    valence, energy = features if features else (None, None)
    if track_id and not is_track_id(track_id):
        raise ValueError(f"track_id {track_id!r} is not a 22-character Spotify ID (leave it empty if unknown)")
    if not name:
        raise ValueError("name is empty")
    duration_ms: int | None = None
    if duration:
        if not duration.isdigit():
            raise ValueError(f"duration_ms {duration!r} is not a whole number of milliseconds")
        duration_ms = int(duration)
    if source not in (MANUAL, STARTER) and not (source.startswith("spotify:") and is_playlist_id(source[8:])):
        raise ValueError(f"source {source[:80]!r} must be 'manual', 'starter' or 'spotify:<playlist id>'")
    if url and not is_spotify_url(url):
        raise ValueError(
            f"url {url[:80]!r} is not a Spotify link; use https://open.spotify.com/track/<id> or leave it empty"
        )
    return Track(track_id, name, artists, album, duration_ms, url, source, added_at, valence, energy)


def render_playlist(tracks: Sequence[Track]) -> bytes:
    """The exact bytes of a playlist CSV (``\\n`` line ends, so git diffs stay clean)."""
    out = io.StringIO()
    # The feature columns only when some row has them, so a synced list keeps the plain layout.
    with_features = any(t.valence is not None or t.energy is not None for t in tracks)
    fields = (*HEADER, *FEATURES) if with_features else HEADER
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for track in tracks:
        try:
            check_track(track)
        except ValueError as exc:
            raise PlaylistError(f"{track.label[:80]!r} can't be saved: {exc}") from None
        writer.writerow(track.as_row())
    return out.getvalue().encode("utf-8")


def read_playlist_file(path: Path) -> PlaylistFile:
    """Read one playlist CSV; a missing file is an empty playlist (version ``""``)."""
    data = read_bytes(path)
    if data is None:
        return PlaylistFile(path, [], "")
    return PlaylistFile(path, parse_playlist(decode(data, path), path), version_of(data))


def read_playlist(emotion: str, folder: Path | None = None) -> PlaylistFile:
    return read_playlist_file(playlist_path(emotion, folder))


def load_playlist(emotion: str, folder: Path | None = None) -> list[Track]:
    """The tracks for ``emotion``, each once; raises :class:`PlaylistError` (or ``ValueError`` for a bad label).

    A hand-edited file may list a song twice; recommending it twice in one handful
    would look broken, and the next save removes the copy anyway.
    """
    return dedupe(read_playlist(emotion, folder).tracks)


def save_playlist(emotion: str, tracks: Sequence[Track], base_version: str | None, folder: Path | None = None) -> str:
    """Write ``emotion``'s CSV atomically; return the new version.

    ``base_version`` is the version the caller read. If the file has changed since,
    :class:`ConflictError` is raised and nothing is written. ``None`` skips the
    check (for tools that just re-read the file under the same lock).
    """
    path = playlist_path(emotion, folder)
    data = render_playlist(dedupe(tracks))
    with locked(path.parent):
        old = read_bytes(path)
        if base_version is not None and version_of(old) != base_version:
            raise ConflictError(
                f"{path} was changed by someone else (another browser tab or a sync) since you opened it; "
                "reload to see their changes, then make yours again"
            )
        if old != data:
            atomic_write_bytes(path, data)
    return version_of(data)


def dedupe(tracks: Sequence[Track]) -> list[Track]:
    """Keep the first of each track (by ID, or by name and artists when there is no ID)."""
    seen: set[str] = set()
    result = []
    for track in tracks:
        if track.key not in seen:
            seen.add(track.key)
            result.append(track)
    return result


def manual_track(track_id: str = "", name: str = "", artists: str = "", album: str = "") -> Track:
    """A row added by a person; without an ID it links to a Spotify search."""
    url = f"https://open.spotify.com/track/{track_id}" if track_id else search_url(name, artists)
    return Track(track_id, name, artists, album, None, url, MANUAL, now_iso())


# --------------------------------------------------------------------------- sources.csv


def parse_sources(text: str, where: str | Path) -> list[Source]:
    """Parse ``sources.csv`` (``emotion,playlist``); every bad line is reported with its number."""
    reader = csv_rows(csv.reader(io.StringIO(text, newline="")), where)
    header = [h.strip().lower() for h in next(reader, (0, []))[1]]
    if not header:
        return []
    if header != list(SOURCES_HEADER):
        raise PlaylistError(f"{where} line 1: header must be emotion,playlist (found {','.join(header)})")
    sources: list[Source] = []
    problems = []
    for line, row in reader:
        if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        if len(row) != 2:
            problems.append(f"{where} line {line}: expected 2 fields (emotion,playlist), found {len(row)}")
            continue
        try:
            source = Source(normalize_label(row[0]), parse_playlist_ref(row[1]))
        except ValueError as exc:
            problems.append(f"{where} line {line}: {exc}")
            continue
        if source not in sources:
            sources.append(source)
    if problems:
        raise PlaylistError("; ".join(problems))
    return sources


def read_sources(folder: Path | None = None) -> list[Source]:
    path = sources_path(folder)
    data = read_bytes(path)
    return [] if data is None else parse_sources(decode(data, path), path)


def save_sources(sources: Sequence[Source], folder: Path | None = None) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SOURCES_HEADER)
    unique = list(dict.fromkeys(sources))
    for source in sorted(unique, key=lambda s: EMOTIONS.index(s.emotion)):
        writer.writerow([source.emotion, source.playlist_id])
    path = sources_path(folder)
    with locked(path.parent):
        atomic_write_bytes(path, out.getvalue().encode("utf-8"))
