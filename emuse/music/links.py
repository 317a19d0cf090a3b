"""Every Spotify link eMuse builds or reads, in one place.

A player's ``src`` and every "open in Spotify" link are built here, only from a
validated 22-character track ID or from URL-quoted text, never from a CSV cell as
written: a hand-edited playlist cannot plant a link. Pasted references (links,
``spotify:`` URIs, bare IDs) are parsed here too.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from emuse.music.errors import PlaylistError

_ID = r"[0-9A-Za-z]{22}"
TRACK_ID_RE = re.compile(rf"^{_ID}$")
PLAYLIST_ID_RE = re.compile(r"^[0-9A-Za-z]{1,64}$")
_TRACK_REF_RE = re.compile(
    rf"^(?:spotify:track:(?P<uri>{_ID})|(?:https?://)?open\.spotify\.com/(?:intl-[\w-]+/)?(?:embed/)?track/"
    rf"(?P<url>{_ID})(?:[/?#].*)?|(?P<bare>{_ID}))$"
)
_PLAYLIST_REF_RE = re.compile(
    r"^(?:spotify:(?:user:[^:]+:)?playlist:(?P<uri>[0-9A-Za-z]+)|(?:https?://)?open\.spotify\.com/(?:intl-[\w-]+/)?"
    r"(?:embed/)?playlist/(?P<url>[0-9A-Za-z]+)(?:[/?#].*)?|(?P<bare>[0-9A-Za-z]+))$"
)


def valid_track_id(track_id: object) -> bool:
    """Whether ``track_id`` is a Spotify track ID (22 letters and digits), the only thing links are built from."""
    return isinstance(track_id, str) and bool(TRACK_ID_RE.match(track_id))


def embed_url(track_id: object) -> str | None:
    """The Spotify embed player's address for a valid track ID, else ``None``.

    The one place eMuse builds a player link, so a CSV cell can never become an
    arbitrary ``src``: anything but 22 letters and digits gets no player.
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
            f"{text.strip()!r} is not a Spotify track link; paste one like "
            "https://open.spotify.com/track/<22 letters and digits> (Share → Copy Song Link)"
        )
    return next(v for v in match.groupdict().values() if v)


def parse_playlist_ref(text: str) -> str:
    """Playlist ID from an ID, a ``spotify:playlist:`` URI or an ``open.spotify.com/playlist/...`` URL."""
    match = _PLAYLIST_REF_RE.match(text.strip())
    if not match:
        raise PlaylistError(
            f"{text.strip()!r} is not a Spotify playlist; use an ID, a spotify:playlist: URI "
            "or a link like https://open.spotify.com/playlist/<id>"
        )
    return next(v for v in match.groupdict().values() if v)
