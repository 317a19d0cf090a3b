"""The starter playlists: seven lists of real Spotify tracks, derived from ``data_moods.csv``.

Why: a fresh install cannot fetch track IDs from Spotify any more (see
``docs/music.md``), but the embed player needs one to play a song. The file
``../shared/music/data_moods.csv`` (686 songs with real track IDs, Spotify's
valence and energy, and a hand-made mood label, from the public project
cristobalvch/Spotify-Machine-Learning) is the source; it is never committed, the
derived CSVs are. ``playlists/build_starters.py`` runs :func:`build`.

The rule, for each emotion:

1. a song qualifies when its mood label is one of :data:`LABELS` for the emotion
   (e.g. angry: Energetic; neutral: Calm), which keeps a list's character where
   Spotify's valence misleads (quiet instrumental music scores low valence);
2. the :data:`PER_EMOTION` qualifying songs nearest the emotion's target point in
   (valence, energy) (:data:`emuse.music.moodspace.TARGETS`) make its list,
   nearest first, ties broken by track ID, so the output is the same on every run;
3. no two lists may share more than half their songs (:data:`MAX_SHARED`);
   :func:`build` refuses to write otherwise.

With the data file of 2020 (sha256 84a74565cfb41385…) the largest overlap is
angry/fear, 7 of 25 songs.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from emuse import config
from emuse.files import atomic_write_bytes
from emuse.labels import EMOTIONS
from emuse.music import moodspace
from emuse.music.links import PlaylistError, track_url, valid_track_id
from emuse.music.store import STARTER, Track, playlist_path, render_playlist

#: The data file's mood labels each emotion draws from.
LABELS: dict[str, tuple[str, ...]] = {
    "angry": ("Energetic",),
    "disgust": ("Energetic", "Sad"),
    "fear": ("Energetic", "Sad"),
    "happy": ("Happy",),
    "sad": ("Sad",),
    "surprise": ("Energetic", "Happy"),
    "neutral": ("Calm",),
}
PER_EMOTION = 25
MAX_SHARED = 0.5
#: ``added_at`` of every starter row: the day the rule was written, so a rebuild is byte-identical.
ADDED_AT = "2026-12-01T00:00:00Z"
MAX_BYTES = 5_000_000  # the real file is 118 kB; anything this large is not it
REQUIRED = ("id", "name", "artist", "album", "length", "valence", "energy", "mood")


def default_data_path() -> Path:
    """``../shared/music/data_moods.csv`` next to the project checkout."""
    return config.PROJECT_ROOT.parent / "shared" / "music" / "data_moods.csv"


@dataclass(frozen=True)
class Song:
    """One row of ``data_moods.csv`` (the columns eMuse uses)."""

    track_id: str
    name: str
    artists: str
    album: str
    duration_ms: int | None
    valence: float
    energy: float
    mood: str

    def track(self) -> Track:
        return Track(
            self.track_id,
            self.name,
            self.artists,
            self.album,
            self.duration_ms,
            track_url(self.track_id) or "",
            STARTER,
            ADDED_AT,
            round(self.valence, 4),
            round(self.energy, 4),
        )


def read_songs(path: Path) -> list[Song]:
    """Read and check ``data_moods.csv``; a :class:`PlaylistError` names the file, line and fix."""
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise PlaylistError(
            f"{path} not found; pass the path to data_moods.csv (see /work/shared/music/README.md)"
        ) from exc
    if size > MAX_BYTES:
        raise PlaylistError(f"{path} is {size} bytes, larger than any data_moods.csv; pass the right file")
    text = path.read_bytes().decode("utf-8-sig", errors="strict")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise PlaylistError(f"{path} line 1: missing column(s) {', '.join(missing)}; is this data_moods.csv?")
    songs, problems, seen = [], [], set()
    for row in reader:
        line = reader.line_num
        try:
            song = _song(row)
        except ValueError as exc:
            problems.append(f"{path} line {line}: {exc}")
            continue
        if song.track_id not in seen:
            seen.add(song.track_id)
            songs.append(song)
    if problems:
        raise PlaylistError("; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))
    return songs


def _song(row: dict[str, str]) -> Song:
    track_id = (row.get("id") or "").strip()
    if not valid_track_id(track_id):  # never invent or repair an ID: a bad one is an error
        raise ValueError(f"id {track_id!r} is not a 22-character Spotify track ID")
    name = (row.get("name") or "").strip()
    if not name:
        raise ValueError("name is empty")
    features = []
    for column in ("valence", "energy"):
        try:
            value = float(row.get(column) or "nan")
        except ValueError:
            value = math.nan
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{column} {row.get(column)!r} is not a number from 0 to 1")
        features.append(value)
    length = (row.get("length") or "").strip()
    return Song(
        track_id,
        name,
        (row.get("artist") or "").strip(),
        (row.get("album") or "").strip(),
        int(length) if length.isdigit() else None,
        features[0],
        features[1],
        (row.get("mood") or "").strip(),
    )


def choose(songs: list[Song], per_emotion: int = PER_EMOTION) -> dict[str, list[Song]]:
    """Each emotion's list by the rule in the module docstring; raises if two lists overlap too much."""
    lists: dict[str, list[Song]] = {}
    for emotion in EMOTIONS:
        target = moodspace.TARGETS[emotion]
        eligible = [s for s in songs if s.mood in LABELS[emotion]]
        eligible.sort(key=lambda s: (round(moodspace.distance((s.valence, s.energy), target), 9), s.track_id))
        if len(eligible) < per_emotion:
            raise PlaylistError(
                f"only {len(eligible)} songs qualify for {emotion} (mood {'/'.join(LABELS[emotion])}); "
                f"{per_emotion} are needed: is this the full data_moods.csv?"
            )
        lists[emotion] = eligible[:per_emotion]
    worst = max_overlap(lists)
    if worst[2] > MAX_SHARED * per_emotion:
        raise PlaylistError(f"{worst[0]} and {worst[1]} would share {worst[2]} of {per_emotion} songs, over half")
    return lists


def max_overlap(lists: dict[str, list]) -> tuple[str, str, int]:
    """The pair of lists sharing the most songs (by track ID): ``(emotion, emotion, count)``."""
    ids = {e: {getattr(t, "track_id", t) for t in ts} for e, ts in lists.items()}
    pairs = [(a, b, len(ids[a] & ids[b])) for i, a in enumerate(EMOTIONS) for b in EMOTIONS[i + 1 :]]
    return max(pairs, key=lambda p: p[2])


def build(data: Path | None = None, folder: Path | None = None, check: bool = False) -> dict[str, bool]:
    """Write (or with ``check``, only compare) the seven starter CSVs; returns emotion -> file differed."""
    lists = choose(read_songs(data or default_data_path()))
    changed = {}
    for emotion, chosen in lists.items():
        path = playlist_path(emotion, folder)
        content = render_playlist([s.track() for s in chosen])
        changed[emotion] = not path.exists() or path.read_bytes() != content
        if changed[emotion] and not check:
            atomic_write_bytes(path, content)
    return changed
