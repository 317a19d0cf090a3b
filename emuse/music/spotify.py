"""Reading from the Spotify Web API, with the failure modes a real account hits.

Entries are read through ``GET /playlists/{id}/items`` (the only endpoint left to
Development Mode apps since February 2026), accepting both the new ``item`` field
and the older ``track``. Pagination is followed to the end. Rate limits (429) are
waited out for at most ``max_wait_s`` seconds; every other failure becomes a
:class:`SpotifyReadError` whose message says what happened and what to do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
import spotipy

from emuse.music.auth import describe_auth_error
from emuse.music.store import Track, check_track, now_iso

T = TypeVar("T")
#: Longest total wait for Retry-After in one request before giving up on it.
MAX_RATE_LIMIT_WAIT_S = 60.0


class SpotifyReadError(RuntimeError):
    """One request failed for good; ``status`` is the HTTP status when there was one.

    ``auth`` is true when the credentials themselves were refused (an expired refresh
    token, a wrong secret): every further request would fail the same way.
    """

    def __init__(self, message: str, status: int | None = None, *, auth: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.auth = auth


def quota_message(what: str, retry_after: float | None) -> str:
    """A 429 whose reason is ``QUOTA_EXCEEDED``: waiting a minute will not help, so say what will."""
    wait = f" Spotify asks to wait {retry_after:g}s." if retry_after else ""
    return (
        f"Spotify refused {what}: this app's API quota is used up (429 QUOTA_EXCEEDED), which is not the "
        "short-term rate limit. Development Mode quota is counted per developer account, shared by all its "
        f"apps.{wait} Run the sync later, use fewer apps or requests on that account, or apply for extended quota"
    )


@dataclass(frozen=True)
class PlaylistRead:
    """Every playable track of one playlist, and how many entries were not songs."""

    playlist_id: str
    tracks: list[Track]
    skipped: int


def _explain(status: int, what: str) -> str:
    if status == 401:
        return f"Spotify refused the token while reading {what} (401); check the credentials or log in again"
    if status == 403:
        return (
            f"Spotify refused access to {what} (403). Apps in Development Mode can only read playlists "
            "the authorizing user owns or collaborates on: log in as that user (`python -m emuse spotify login`) "
            "or copy the songs into a playlist you own"
        )
    if status == 404:
        return (
            f"{what} was not found (404). Check the link; Spotify's own editorial playlists "
            "answer 404 to apps in Development Mode"
        )
    if status == 429:
        return f"Spotify kept rate-limiting requests for {what} (429); try again later"
    if status >= 500:
        return f"Spotify had a server error ({status}) reading {what}; try again later"
    return f"Spotify answered {status} reading {what}"


def call(
    fn: Callable[[], T],
    what: str,
    *,
    max_wait_s: float = MAX_RATE_LIMIT_WAIT_S,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run one API call, waiting out 429 Retry-After within ``max_wait_s``; raise :class:`SpotifyReadError`."""
    waited = 0.0
    while True:
        try:
            return fn()
        except spotipy.SpotifyException as exc:
            if exc.http_status == 429:
                try:
                    retry_after = max(0.0, float((exc.headers or {}).get("Retry-After", 1)))
                except ValueError:
                    retry_after = 1.0
                if str(getattr(exc, "reason", "") or "").upper() == "QUOTA_EXCEEDED":
                    raise SpotifyReadError(quota_message(what, retry_after), 429) from exc
                if waited + retry_after <= max_wait_s:
                    sleep(retry_after)
                    waited += retry_after
                    continue
                raise SpotifyReadError(
                    f"Spotify rate-limited requests for {what} and asked to wait {retry_after:g}s, "
                    f"over the {max_wait_s:g}s limit; try again later",
                    429,
                ) from exc
            raise SpotifyReadError(_explain(exc.http_status, what), exc.http_status) from exc
        except spotipy.SpotifyOauthError as exc:
            raise SpotifyReadError(describe_auth_error(exc), 401, auth=True) from exc
        except requests.Timeout as exc:
            raise SpotifyReadError(f"Spotify did not answer in time while reading {what} (timeout)") from exc
        except requests.RequestException as exc:
            raise SpotifyReadError(f"could not reach Spotify while reading {what} ({type(exc).__name__})") from exc


def track_from_entry(entry: dict[str, Any] | None, playlist_id: str) -> Track | None:
    """A :class:`Track` from one playlist entry, or ``None`` for removed tracks, local files and episodes."""
    if not entry:
        return None
    obj = entry.get("item") if "item" in entry else entry.get("track")
    if not isinstance(obj, dict) or entry.get("is_local") or obj.get("is_local"):
        return None
    if obj.get("type", "track") != "track" or obj.get("episode") or not obj.get("id"):
        return None
    artists = ", ".join(str(a.get("name", "")) for a in obj.get("artists") or [] if a and a.get("name"))
    duration = obj.get("duration_ms")
    track = Track(
        track_id=obj["id"],
        name=str(obj.get("name") or "").strip() or "(untitled)",
        artists=artists,
        album=str((obj.get("album") or {}).get("name") or ""),
        duration_ms=duration if isinstance(duration, int) and not isinstance(duration, bool) and duration > 0 else None,
        url=f"https://open.spotify.com/track/{obj['id']}",
        source=f"spotify:{playlist_id}",
        added_at=str(entry.get("added_at") or now_iso()),
    )
    try:  # what the CSV reader would refuse (an ID that isn't Spotify's, a 200k-character name) is skipped
        return check_track(track)
    except ValueError:
        return None


def read_playlist_items(
    client: spotipy.Spotify,
    playlist_id: str,
    *,
    max_wait_s: float = MAX_RATE_LIMIT_WAIT_S,
    sleep: Callable[[float], None] = time.sleep,
) -> PlaylistRead:
    """All tracks of one playlist, following ``next`` to the last page."""
    what = f"playlist {playlist_id}"
    page: dict[str, Any] | None = call(
        lambda: client.playlist_items(playlist_id, limit=50), what, max_wait_s=max_wait_s, sleep=sleep
    )
    tracks: list[Track] = []
    skipped = 0
    seen_pages = 0
    while page:
        for entry in page.get("items") or []:
            track = track_from_entry(entry, playlist_id)
            if track is None:
                skipped += 1
            else:
                tracks.append(track)
        seen_pages += 1
        if not page.get("next"):
            break
        if seen_pages > 1000:  # 50,000 entries: a server bug, not a playlist
            raise SpotifyReadError(f"{what} did not end after 1000 pages")
        current = page
        page = call(lambda current=current: client.next(current), what, max_wait_s=max_wait_s, sleep=sleep)
    return PlaylistRead(playlist_id, tracks, skipped)


@dataclass(frozen=True)
class PlaylistInfo:
    """A playlist in the user's library, for the picker."""

    id: str
    name: str
    owner: str
    total: int | None


def my_playlists(client: spotipy.Spotify, *, max_wait_s: float = MAX_RATE_LIMIT_WAIT_S) -> list[PlaylistInfo]:
    """The connected user's playlists (``GET /me/playlists``), all pages."""
    page: dict[str, Any] | None = call(
        lambda: client.current_user_playlists(limit=50), "your playlists", max_wait_s=max_wait_s
    )
    found: list[PlaylistInfo] = []
    while page:
        for item in page.get("items") or []:
            if not item or not item.get("id"):
                continue
            counts = item.get("items") or item.get("tracks") or {}
            found.append(
                PlaylistInfo(
                    item["id"],
                    str(item.get("name") or item["id"]),
                    str((item.get("owner") or {}).get("display_name") or (item.get("owner") or {}).get("id") or ""),
                    counts.get("total") if isinstance(counts, dict) else None,
                )
            )
        if not page.get("next"):
            break
        current = page
        page = call(lambda current=current: client.next(current), "your playlists", max_wait_s=max_wait_s)
    return found


def fetch_track(client: spotipy.Spotify, track_id: str) -> Track:
    """Name, artists and album of one track, for "add by pasting a link"."""
    obj = call(lambda: client.track(track_id), f"track {track_id}")
    track = track_from_entry({"item": obj}, "x")
    if track is None:
        raise SpotifyReadError(f"track {track_id} is not a playable song")
    return Track(
        track.track_id, track.name, track.artists, track.album, track.duration_ms, track.url, "manual", now_iso()
    )
