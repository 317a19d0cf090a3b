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

import contextlib
import csv
import hashlib
import io
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from emuse import config
from emuse.files import atomic_write_bytes
from emuse.labels import EMOTIONS, normalize_label
from emuse.music.links import (
    MAX_FIELD_CHARS,
    ConflictError,
    PlaylistError,
    csv_rows,
    is_playlist_id,
    is_spotify_url,
    is_track_id,
    parse_playlist_ref,
    parse_track_ref,  # noqa: F401  (part of this module's interface since before links.py)
    search_url,
)

try:  # POSIX; on Windows the version check alone guards against lost updates
    import fcntl
except ImportError:  # pragma: no cover - not on Linux/macOS
    fcntl = None  # type: ignore[assignment]

HEADER: tuple[str, ...] = ("track_id", "name", "artists", "album", "duration_ms", "url", "source", "added_at")
SOURCES_HEADER: tuple[str, ...] = ("emotion", "playlist")
MANUAL = "manual"


@dataclass(frozen=True)
class Track:
    """One song of a playlist, exactly one CSV row."""

    track_id: str  # Spotify track ID, or "" for a song we only know by name
    name: str
    artists: str
    album: str = ""
    duration_ms: int | None = None
    url: str = ""
    source: str = MANUAL  # "manual" or "spotify:<playlist id>"
    added_at: str = ""

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
        """The Spotify embed player, only for rows with a real track ID."""
        return f"https://open.spotify.com/embed/track/{self.track_id}" if is_track_id(self.track_id) else None

    @property
    def key(self) -> str:
        """Identity for de-duplication: the track ID, else name and artists."""
        return self.track_id or f"{self.name.strip().lower()}|{self.artists.strip().lower()}"

    @property
    def label(self) -> str:
        return f"{self.name} — {self.artists}" if self.artists else self.name

    @property
    def is_manual(self) -> bool:
        return self.source == MANUAL

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


# --------------------------------------------------------------------------- paths, lock, atomic write


def playlist_path(emotion: str, folder: Path | None = None) -> Path:
    return (folder or config.playlists_dir()) / f"{normalize_label(emotion)}.csv"


def sources_path(folder: Path | None = None) -> Path:
    return (folder or config.playlists_dir()) / "sources.csv"


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the playlists folder (released by the OS if the process dies)."""
    folder.mkdir(parents=True, exist_ok=True)
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def version_of(data: bytes | None) -> str:
    return "" if data is None else hashlib.sha256(data).hexdigest()[:16]


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PlaylistError(
            f"{path} line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8 (in Excel: 'CSV UTF-8') and reload"
        ) from exc


# --------------------------------------------------------------------------- playlists


def parse_playlist(text: str, where: str | Path) -> list[Track]:
    """Parse playlist CSV text strictly; ``where`` is used in messages."""
    reader = csv_rows(csv.reader(io.StringIO(text, newline="")), where)
    first = next(reader, None)
    if first is None:
        return []
    header = [h.strip() for h in first[1]]
    if header != list(HEADER):
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
        raise PlaylistError(f"{where} line 1: header must be {','.join(HEADER)} ({hint})")
    tracks: list[Track] = []
    problems: list[str] = []
    for line, row in reader:
        if not any(cell.strip() for cell in row):
            continue
        try:
            tracks.append(_track_from_row(row))
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


def _track_from_row(row: Sequence[str]) -> Track:
    if len(row) != len(HEADER):
        raise ValueError(f"expected {len(HEADER)} fields, found {len(row)} (a comma in a name needs quotes)")
    cells = [cell.strip() for cell in row]
    for column, value in zip(HEADER, cells, strict=True):
        if len(value) > MAX_FIELD_CHARS[column]:
            raise ValueError(f"{column} is {len(value)} characters long; at most {MAX_FIELD_CHARS[column]}")
    track_id, name, artists, album, duration, url, source, added_at = cells
    if track_id and not is_track_id(track_id):
        raise ValueError(f"track_id {track_id!r} is not a 22-character Spotify ID (leave it empty if unknown)")
    if not name:
        raise ValueError("name is empty")
    duration_ms: int | None = None
    if duration:
        if not duration.isdigit():
            raise ValueError(f"duration_ms {duration!r} is not a whole number of milliseconds")
        duration_ms = int(duration)
    if source != MANUAL and not (source.startswith("spotify:") and is_playlist_id(source[8:])):
        raise ValueError(f"source {source!r} must be 'manual' or 'spotify:<playlist id>'")
    if url and not is_spotify_url(url):
        raise ValueError(
            f"url {url[:80]!r} is not a Spotify link; use https://open.spotify.com/track/<id> or leave it empty"
        )
    return Track(track_id, name, artists, album, duration_ms, url, source, added_at)


def render_playlist(tracks: Sequence[Track]) -> bytes:
    """The exact bytes of a playlist CSV (``\\n`` line ends, so git diffs stay clean)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER, lineterminator="\n")
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
