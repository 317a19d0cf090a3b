"""Spotify references and the bounds on playlist text: what a playlist row may link to and hold.

A playlist CSV is edited by hand, in the page and by a weekly sync from playlists
anyone can edit, and its rows end up in every Live viewer's page. So a row links
only to Spotify: a link is built from a valid track ID, else from a ``url`` that is
an ``https://open.spotify.com/`` address in the characters Spotify's own links use,
else it is a search. Markdown (``https://x/a)![](http://host/p.png)(``: a tracking
pixel), another host or ``javascript:`` are refused when the file is read. Every
text column has a length bound far above real names, and a cell over the csv
module's own limit is a :class:`PlaylistError` with its line, not ``_csv.Error``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote


class PlaylistError(ValueError):
    """A playlist or sources file is unreadable or invalid; the message names file, line and fix."""


class ConflictError(PlaylistError):
    """The file changed since it was read; saving would overwrite someone else's rows."""


_ID = r"[0-9A-Za-z]{22}"
_TRACK_ID_RE = re.compile(rf"^{_ID}$")
_PLAYLIST_ID_RE = re.compile(r"^[0-9A-Za-z]{1,64}$")
_TRACK_REF_RE = re.compile(
    rf"^(?:spotify:track:(?P<uri>{_ID})|(?:https?://)?open\.spotify\.com/(?:intl-[\w-]+/)?(?:embed/)?track/"
    rf"(?P<url>{_ID})(?:[/?#].*)?|(?P<bare>{_ID}))$"
)
_PLAYLIST_REF_RE = re.compile(
    r"^(?:spotify:(?:user:[^:]+:)?playlist:(?P<uri>[0-9A-Za-z]+)|(?:https?://)?open\.spotify\.com/(?:intl-[\w-]+/)?"
    r"(?:embed/)?playlist/(?P<url>[0-9A-Za-z]+)(?:[/?#].*)?|(?P<bare>[0-9A-Za-z]+))$"
)
_SPOTIFY_URL_RE = re.compile(r"^https://open\.spotify\.com/[A-Za-z0-9/_%.~-]*(?:\?[A-Za-z0-9=&_%.~-]*)?$")

#: Longest text per column, characters. Real names are far shorter; a 200,000-character name from a
#: hostile playlist would otherwise be written by a sync and then fail every read of the file.
MAX_FIELD_CHARS = {
    "track_id": 22,
    "name": 500,
    "artists": 1000,
    "album": 500,
    "duration_ms": 10,
    "url": 1000,
    "source": 80,
    "added_at": 40,
}
#: Python's csv module refuses a field over this many characters (``_csv.Error``).
CSV_FIELD_LIMIT = csv.field_size_limit()


def is_track_id(text: str) -> bool:
    return bool(_TRACK_ID_RE.match(text))


def is_playlist_id(text: str) -> bool:
    return bool(_PLAYLIST_ID_RE.match(text))


def is_spotify_url(url: str) -> bool:
    """Whether ``url`` is a link to open.spotify.com in the characters Spotify's links use."""
    return len(url) <= MAX_FIELD_CHARS["url"] and bool(_SPOTIFY_URL_RE.match(url))


def valid_track_id(track_id: object) -> bool:
    """Whether ``track_id`` is a Spotify track ID (22 letters and digits), the only thing players are built from."""
    return isinstance(track_id, str) and is_track_id(track_id)


def embed_url(track_id: object) -> str | None:
    """The Spotify embed player's address for a valid track ID, else ``None``.

    The one place eMuse builds a player's ``src`` (``st.iframe`` treats a string that
    is not a URL as HTML): anything but 22 letters and digits gets no player.
    """
    return f"https://open.spotify.com/embed/track/{track_id}" if valid_track_id(track_id) else None


def track_url(track_id: object) -> str | None:
    """The "open in Spotify" track page for a valid track ID, else ``None``."""
    return f"https://open.spotify.com/track/{track_id}" if valid_track_id(track_id) else None


def search_url(name: str, artists: str = "") -> str:
    """A Spotify search link, used instead of ever inventing a track ID."""
    return "https://open.spotify.com/search/" + quote(f"{name} {artists}".strip(), safe="")


def parse_track_ref(text: str) -> str:
    """Track ID from a Spotify track URL, ``spotify:track:`` URI or bare ID; ``PlaylistError`` otherwise."""
    match = _TRACK_REF_RE.match(text.strip())
    if not match:
        raise PlaylistError(
            f"{text.strip()[:80]!r} is not a Spotify track link; paste one like "
            "https://open.spotify.com/track/<22 letters and digits> (Share → Copy Song Link)"
        )
    return next(v for v in match.groupdict().values() if v)


def parse_playlist_ref(text: str) -> str:
    """Playlist ID from an ID, a ``spotify:playlist:`` URI or an ``open.spotify.com/playlist/...`` URL."""
    match = _PLAYLIST_REF_RE.match(text.strip())
    if not match:
        raise PlaylistError(
            f"{text.strip()[:80]!r} is not a Spotify playlist; use an ID, a spotify:playlist: URI "
            "or a link like https://open.spotify.com/playlist/<id>"
        )
    return next(v for v in match.groupdict().values() if v)


def csv_rows(reader: Any, where: str | Path) -> Iterator[tuple[int, list[str]]]:
    """``(line number, row)`` pairs of a ``csv.reader``; a field too long for it is a :class:`PlaylistError`."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise PlaylistError(
                f"{where} line {reader.line_num}: a field is too long or malformed ({exc}); fields hold at most "
                f"{max(MAX_FIELD_CHARS.values())} characters: shorten it or delete the row"
            ) from None
        yield reader.line_num, row
