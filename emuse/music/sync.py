"""Refresh the per-emotion CSVs from the Spotify playlists listed in ``sources.csv``.

An emotion's CSV is written only when *all* of its playlists were read to the end:
a half-read playlist would look like songs were removed. Failures are per emotion,
so one private or deleted playlist doesn't stop the others from syncing.

Merging keeps what people did by hand: ``manual`` rows stay where they are, rows
still on Spotify keep their position (with fresh metadata), rows gone from Spotify
are removed, and new songs are appended in playlist order. The merge and write
happen under the store's lock after re-reading the file, so an edit saved in the
app while Spotify was being read is not lost.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import spotipy

from emuse import config
from emuse.files import atomic_write_bytes
from emuse.labels import EMOTIONS, normalize_label
from emuse.music import store
from emuse.music.spotify import MAX_RATE_LIMIT_WAIT_S, SpotifyReadError, read_playlist_items
from emuse.music.store import PlaylistError, Track

#: The Playlists page offers a sync when the last one is older than this.
STALE_AFTER = timedelta(days=7)
STATE_FILE = "sync_state.json"

Progress = Callable[[float, str], None]


@dataclass
class EmotionSync:
    """What happened to one emotion's CSV."""

    emotion: str
    playlists: int = 0
    added: int = 0
    removed: int = 0
    kept: int = 0
    skipped_entries: int = 0
    error: str | None = None
    changed: bool = False  # the merged file differs from the one on disk
    written: bool = False  # ... and was written (not a dry run)

    @property
    def failed(self) -> bool:
        return self.error is not None

    def line(self) -> str:
        if self.error:
            return f"{self.emotion}: FAILED, file unchanged: {self.error}"
        if not self.playlists:
            return f"{self.emotion}: no playlists in sources.csv, file unchanged"
        note = ""
        if self.skipped_entries:
            note = f", {self.skipped_entries} entries skipped (no track, local file or episode)"
        state = "written" if self.written else "would change, dry run" if self.changed else "unchanged"
        return f"{self.emotion}: added {self.added}, removed {self.removed}, kept {self.kept} ({state}){note}"


@dataclass
class SyncReport:
    results: list[EmotionSync] = field(default_factory=list)
    dry_run: bool = False
    #: Set when Spotify refused the credentials themselves: the sync stopped, every file is unchanged.
    auth_error: str | None = None

    @property
    def failed(self) -> list[EmotionSync]:
        return [r for r in self.results if r.failed]

    def lines(self) -> list[str]:
        prefix = "[dry run] " if self.dry_run else ""
        if self.auth_error:  # one cause, one line (not the same refusal once per emotion)
            return [f"{prefix}sync stopped, no file changed: {self.auth_error}"]
        return [prefix + r.line() for r in self.results]


def merge(existing: Sequence[Track], fetched: Sequence[Track]) -> tuple[list[Track], int, int, int]:
    """Merge freshly read Spotify tracks into a CSV's rows; return (rows, added, removed, kept)."""
    latest: dict[str, Track] = {}
    for track in fetched:
        latest.setdefault(track.track_id, track)
    rows: list[Track] = []
    seen: set[str] = set()
    removed = kept = 0
    for row in existing:
        if row.key in seen:
            continue  # a duplicate row: drop it quietly, the song is still there
        if row.is_manual:
            rows.append(row)
        elif row.track_id in latest:
            fresh = latest[row.track_id]
            rows.append(replace(fresh, added_at=row.added_at or fresh.added_at))  # keep when it was first added
        else:
            removed += 1
            continue
        seen.add(row.key)
        kept += 1
    added = 0
    for track in latest.values():
        if track.key not in seen:
            rows.append(track)
            seen.add(track.key)
            added += 1
    return rows, added, removed, kept


def sync(
    client: spotipy.Spotify,
    *,
    emotions: Iterable[str] | None = None,
    dry_run: bool = False,
    folder: Path | None = None,
    progress: Progress | None = None,
    max_wait_s: float = MAX_RATE_LIMIT_WAIT_S,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncReport:
    """Sync the chosen emotions (default: all seven). Raises :class:`PlaylistError` for a bad sources.csv."""
    folder = folder or config.playlists_dir()
    chosen = [normalize_label(e) for e in emotions] if emotions else list(EMOTIONS)
    sources = store.read_sources(folder)
    by_emotion = {e: [s.playlist_id for s in sources if s.emotion == e] for e in chosen}
    total = max(1, sum(len(ids) for ids in by_emotion.values()))
    done = 0
    report = SyncReport(dry_run=dry_run)
    for emotion in chosen:
        result = EmotionSync(emotion, playlists=len(by_emotion[emotion]))
        report.results.append(result)
        fetched: list[Track] = []
        for playlist_id in by_emotion[emotion]:
            if progress:
                progress(done / total, f"{emotion}: reading playlist {playlist_id}")
            done += 1
            if result.failed:
                continue
            if report.auth_error:
                result.error = report.auth_error
                continue
            try:
                read = read_playlist_items(client, playlist_id, max_wait_s=max_wait_s, sleep=sleep)
            except SpotifyReadError as exc:
                result.error = str(exc)
                if exc.auth:
                    report.auth_error = str(exc)
                continue
            fetched.extend(read.tracks)
            result.skipped_entries += read.skipped
        if result.failed or not result.playlists:
            continue
        try:
            _write_merged(result, fetched, folder, dry_run)
        except (PlaylistError, OSError) as exc:
            result.error = str(exc)
    if progress:
        progress(1.0, "done")
    if not dry_run:
        _record(report, folder)
    return report


def _write_merged(result: EmotionSync, fetched: list[Track], folder: Path, dry_run: bool) -> None:
    path = store.playlist_path(result.emotion, folder)
    with store.locked(folder):
        current = store.read_playlist_file(path)
        rows, result.added, result.removed, result.kept = merge(current.tracks, fetched)
        data = store.render_playlist(rows)
        result.changed = not path.exists() or path.read_bytes() != data
        if result.changed and not dry_run:
            atomic_write_bytes(path, data)
            result.written = True


# --------------------------------------------------------------------------- last synced


def read_state(folder: Path | None = None) -> dict[str, Any]:
    path = (folder or config.playlists_dir()) / STATE_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError, UnicodeDecodeError):
        return {}
    return state if isinstance(state, dict) else {}


def _record(report: SyncReport, folder: Path) -> None:
    ok = [r for r in report.results if not r.failed and r.playlists]
    if not ok:
        return
    now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    with store.locked(folder):
        state = read_state(folder)
        emotions = state.get("emotions") if isinstance(state.get("emotions"), dict) else {}
        for r in ok:
            emotions[r.emotion] = now
        state = {"last_synced": now, "emotions": dict(sorted(emotions.items()))}
        atomic_write_bytes(folder / STATE_FILE, (json.dumps(state, indent=2) + "\n").encode("utf-8"))


def last_synced(folder: Path | None = None) -> datetime | None:
    """When every emotion with playlists was last synced successfully (the oldest of them); ``None`` if never."""
    folder = folder or config.playlists_dir()
    state = read_state(folder)
    emotions = state.get("emotions") if isinstance(state.get("emotions"), dict) else {}
    try:
        wanted = {s.emotion for s in store.read_sources(folder)}
    except PlaylistError:
        wanted = set(emotions)
    times = []
    for emotion in wanted or emotions:
        value = emotions.get(emotion)
        if not value:
            return None
        try:
            times.append(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
        except ValueError:
            return None
    return min(times) if times else None


def is_stale(folder: Path | None = None, now: datetime | None = None) -> bool:
    """True when a sync is due: never synced, or the last one is over :data:`STALE_AFTER` old."""
    when = last_synced(folder)
    return when is None or (now or datetime.now(UTC)) - when > STALE_AFTER
