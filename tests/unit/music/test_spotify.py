"""Spotify's 2026 limits against the fake server: refresh tokens that expire, and a quota that runs out."""

from __future__ import annotations

from pathlib import Path

import pytest

from emuse.music import auth
from emuse.music import sync as music_sync
from emuse.music.spotify import SpotifyReadError, read_playlist_items
from tests.support import fake_spotify as fs


def test_an_expired_refresh_token_stops_the_sync_with_one_clear_line(
    fake: fs.FakeSpotify, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPOTIFY_REFRESH_TOKEN", "six-months-old-secret")
    fake.expired_refresh_tokens.add("six-months-old-secret")
    (tmp_path / "sources.csv").write_text("emotion,playlist\nhappy,p1\nsad,p2\nangry,p3\n")
    for pid in ("p1", "p2", "p3"):
        fake.playlists[pid] = [fs.track(1)]
    report = music_sync.sync(auth.sync_client(auth.credentials()))
    lines = report.lines()
    assert len(lines) == 1 and lines[0].startswith("sync stopped, no file changed: Spotify says the refresh token")
    assert "expired" in lines[0] and "6 months" in lines[0] and "spotify login" in lines[0]
    assert "six-months-old-secret" not in lines[0]
    assert {r.emotion for r in report.failed} == {"happy", "sad", "angry"}
    assert fake.token_grants.count("refresh_token") == 1  # not retried seven times
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sources.csv"]  # nothing written


def test_a_rejected_refresh_token_names_expiry_as_the_likely_cause(
    fake: fs.FakeSpotify, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPOTIFY_REFRESH_TOKEN", "revoked-secret")
    fake.playlists["mine"] = [fs.track(1)]
    with pytest.raises(SpotifyReadError) as err:
        read_playlist_items(auth.sync_client(auth.credentials()), "mine")
    assert err.value.auth and "6 months" in str(err.value) and "revoked-secret" not in str(err.value)


def test_a_quota_429_is_reported_as_the_quota_and_not_waited_out(fake: fs.FakeSpotify) -> None:
    fake.playlists["q"] = [fs.track(1)]
    fake.quota_exceeded["q"] = 5
    waits: list[float] = []
    with pytest.raises(SpotifyReadError) as err:
        read_playlist_items(auth.sync_client(auth.credentials()), "q", sleep=waits.append, max_wait_s=60)
    message = str(err.value)
    assert "quota is used up (429 QUOTA_EXCEEDED)" in message and "not the short-term rate limit" in message
    assert "per developer account" in message and "5s" in message
    assert waits == [] and err.value.status == 429
    # a plain rate limit (no reason) is still waited out
    fake.rate_limit["r"] = [1]
    fake.playlists["r"] = [fs.track(2)]
    assert len(read_playlist_items(auth.sync_client(auth.credentials()), "r", sleep=waits.append).tracks) == 1
    assert waits == [1]
