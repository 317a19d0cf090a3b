"""Spotify sync against a local fake Web API: auth, pagination, failures, merging."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from emuse.music import auth, store
from emuse.music import sync as music_sync
from emuse.music.spotify import SpotifyReadError, my_playlists, read_playlist_items
from emuse.music.store import Track
from tests.support import fake_spotify as fs


def write_sources(folder: Path, lines: list[str]) -> None:
    (folder / "sources.csv").write_text("emotion,playlist\n" + "".join(line + "\n" for line in lines))


def client():
    return auth.sync_client(auth.credentials())


def test_client_credentials_token_exchange_and_pagination(fake: fs.FakeSpotify) -> None:
    fake.playlists["big"] = [fs.track(i) for i in range(237)]
    read = read_playlist_items(client(), "big")
    assert [t.track_id for t in read.tracks] == [fs.track_id(i) for i in range(237)]
    assert fake.token_grants == ["client_credentials"]
    pages = [p for m, p in fake.requests if m == "GET"]
    assert len(pages) == 5  # 50 per page, followed to the end
    first = read.tracks[0]
    assert (first.name, first.artists, first.album, first.duration_ms) == (
        "Song 0",
        "Artist 0, Guest",
        "Album 0",
        180000,
    )
    assert first.source == "spotify:big" and first.url == f"https://open.spotify.com/track/{fs.track_id(0)}"


def test_refresh_token_is_used_when_present(fake: fs.FakeSpotify, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPOTIFY_REFRESH_TOKEN", fs.REFRESH_TOKEN)
    fake.playlists["mine"] = [fs.track(1)]
    assert auth.credentials().mode == "user"
    assert len(read_playlist_items(client(), "mine").tracks) == 1
    assert fake.token_grants == ["refresh_token"]


def test_bad_refresh_token_is_reported_without_the_token(fake: fs.FakeSpotify, monkeypatch) -> None:
    monkeypatch.setenv("SPOTIFY_REFRESH_TOKEN", "expired-secret-value")
    fake.playlists["mine"] = [fs.track(1)]
    with pytest.raises(SpotifyReadError) as err:
        read_playlist_items(client(), "mine")
    assert "spotify login" in str(err.value) and "expired-secret-value" not in str(err.value)


def test_credentials_repr_hides_secrets(fake: fs.FakeSpotify, monkeypatch) -> None:
    monkeypatch.setenv("SPOTIFY_REFRESH_TOKEN", "rt-secret")
    text = repr(auth.credentials())
    assert fs.CLIENT_SECRET not in text and "rt-secret" not in text
    monkeypatch.delenv("SPOTIPY_CLIENT_ID")
    assert auth.credentials() is None
    assert auth.credentials({"SPOTIPY_CLIENT_ID": "from-secrets"}).client_id == "from-secrets"


def test_null_local_and_episode_entries_are_skipped_and_old_track_field_accepted(fake: fs.FakeSpotify) -> None:
    fake.playlists["mixed"] = [
        fs.track(1),
        fs.null_entry(),
        fs.local_entry(),
        fs.episode_entry(),
        None,
        fs.track(2, key="track"),
    ]
    read = read_playlist_items(client(), "mixed")
    assert [t.track_id for t in read.tracks] == [fs.track_id(1), fs.track_id(2)]
    assert read.skipped == 4


def test_429_is_waited_out_within_the_bound(fake: fs.FakeSpotify) -> None:
    fake.playlists["busy"] = [fs.track(1)]
    fake.rate_limit["busy"] = [2, 3]
    waits: list[float] = []
    read = read_playlist_items(client(), "busy", sleep=waits.append, max_wait_s=10)
    assert len(read.tracks) == 1 and waits == [2, 3]

    fake.rate_limit["busy"] = [30]
    with pytest.raises(SpotifyReadError, match="30s"):
        read_playlist_items(client(), "busy", sleep=waits.append, max_wait_s=10)


@pytest.mark.parametrize(
    ("status", "needle"),
    [(403, "Development Mode"), (404, "not found"), (500, "server error"), (503, "server error")],
)
def test_errors_are_explained(fake: fs.FakeSpotify, status: int, needle: str) -> None:
    fake.fail["x"] = status
    with pytest.raises(SpotifyReadError, match=needle) as err:
        read_playlist_items(client(), "x")
    assert err.value.status == status


def test_timeout_is_reported(fake: fs.FakeSpotify) -> None:
    fake.playlists["slow"] = [fs.track(1)]
    fake.delay["slow"] = 1.5
    sp = auth.sync_client(auth.credentials(), timeout=0.5)
    with pytest.raises(SpotifyReadError, match="timeout"):
        read_playlist_items(sp, "slow")


def test_sync_failure_on_one_playlist_leaves_that_csv_byte_identical(fake: fs.FakeSpotify, tmp_path: Path) -> None:
    write_sources(
        tmp_path, ["happy,happy1", "sad,https://open.spotify.com/playlist/sad1?si=abc", "sad,spotify:playlist:broken"]
    )
    fake.playlists["happy1"] = [fs.track(i) for i in range(120)]
    fake.playlists["sad1"] = [fs.track(500)]
    fake.fail["broken"] = 503
    sad_before = (
        b"track_id,name,artists,album,duration_ms,url,source,added_at\n,Old Song,Someone,,,https://x.test/,manual,\n"
    )
    (tmp_path / "sad.csv").write_bytes(sad_before)

    report = music_sync.sync(client())

    assert (tmp_path / "sad.csv").read_bytes() == sad_before
    happy = store.load_playlist("happy")
    assert len(happy) == 120
    by = {r.emotion: r for r in report.results}
    assert by["sad"].failed and "503" in by["sad"].error
    assert (by["happy"].added, by["happy"].removed, by["happy"].written) == (120, 0, True)
    assert [r.emotion for r in report.failed] == ["sad"]
    assert not (tmp_path / "fear.csv").exists()  # no sources: untouched
    state = json.loads((tmp_path / "sync_state.json").read_text())
    assert set(state["emotions"]) == {"happy"}


def test_sync_keeps_manual_rows_and_reports_added_removed_kept(fake: fs.FakeSpotify, tmp_path: Path) -> None:
    write_sources(tmp_path, ["happy,pl"])
    manual = store.manual_track("", "Walking on Sunshine", "Katrina and the Waves")
    old = Track(fs.track_id(9), "Gone", "X", source="spotify:pl", added_at="2020-01-01T00:00:00Z")
    stays = Track(fs.track_id(1), "Old name", "Y", source="spotify:pl", added_at="2020-02-02T00:00:00Z")
    store.save_playlist("happy", [stays, manual, old], None)
    fake.playlists["pl"] = [fs.track(1), fs.track(2), fs.track(2), fs.null_entry()]

    dry = music_sync.sync(client(), dry_run=True)
    happy = next(r for r in dry.results if r.emotion == "happy")
    assert (happy.added, happy.removed, happy.kept, happy.written) == (1, 1, 2, False)
    assert dry.lines()[3] == (
        "[dry run] happy: added 1, removed 1, kept 2 (would change, dry run), "
        "1 entries skipped (no track, local file or episode)"
    )
    assert [t.name for t in store.load_playlist("happy")] == ["Old name", "Walking on Sunshine", "Gone"]
    assert not (tmp_path / "sync_state.json").exists()

    report = music_sync.sync(client(), emotions=["happy"])
    assert [(r.emotion, r.added, r.removed, r.kept) for r in report.results] == [("happy", 1, 1, 2)]
    tracks = store.load_playlist("happy")
    assert [t.name for t in tracks] == ["Song 1", "Walking on Sunshine", "Song 2"]
    assert tracks[0].added_at == "2020-02-02T00:00:00Z"  # first-added time survives a metadata refresh
    assert tracks[1] == manual

    again = music_sync.sync(client(), emotions=["happy"])
    assert (again.results[0].added, again.results[0].removed, again.results[0].written) == (0, 0, False)


def test_bad_sources_lines_are_reported_with_line_numbers(fake: fs.FakeSpotify, tmp_path: Path) -> None:
    write_sources(tmp_path, ["happy,pl", "joyful,pl2", "sad", "fear,https://example.com/not-spotify"])
    with pytest.raises(store.PlaylistError) as err:
        music_sync.sync(client())
    message = str(err.value)
    assert "sources.csv line 3: unknown emotion 'joyful'" in message
    assert "line 4: expected 2 fields" in message
    assert "line 5:" in message and "not a Spotify playlist" in message


def test_my_playlists_follows_pages(fake: fs.FakeSpotify, monkeypatch) -> None:
    monkeypatch.setenv("SPOTIFY_REFRESH_TOKEN", fs.REFRESH_TOKEN)
    fake.me_playlists = [
        {"id": f"p{i}", "name": f"List {i}", "owner": {"display_name": "me"}, "items": {"total": i}} for i in range(75)
    ]
    found = my_playlists(client())
    assert len(found) == 75 and found[3].name == "List 3" and found[3].total == 3 and found[3].owner == "me"


def test_pkce_login_in_the_browser(fake: fs.FakeSpotify) -> None:
    pending = auth.start_pkce(fs.CLIENT_ID, "http://127.0.0.1:8501/playlists")
    query = parse_qs(urlparse(pending.authorize_url).query)
    assert query["code_challenge_method"] == ["S256"] and query["state"] == [pending.state]
    assert "playlist-read-private" in query["scope"][0]
    expected = base64.urlsafe_b64encode(hashlib.sha256(pending.code_verifier.encode()).digest()).decode().rstrip("=")
    assert query["code_challenge"] == [expected]
    fake.codes["the-code"] = (query["code_challenge"][0], pending.redirect_uri)
    token = auth.finish_pkce(fs.CLIENT_ID, pending, "the-code")
    assert token["access_token"] in fake.tokens and token["refresh_token"] == "new-refresh"
    with pytest.raises(auth.AuthError):
        auth.finish_pkce(fs.CLIENT_ID, pending, "the-code")  # a code works once


def test_command_line_login_exchange(fake: fs.FakeSpotify, monkeypatch) -> None:
    monkeypatch.delenv("SPOTIPY_CLIENT_SECRET")
    creds = auth.credentials()
    manager = auth.login_manager(creds, "http://127.0.0.1:8888/callback")
    url = manager.get_authorize_url()
    challenge = parse_qs(urlparse(url).query)["code_challenge"][0]
    fake.codes["c1"] = (challenge, "http://127.0.0.1:8888/callback")
    with pytest.raises(auth.AuthError, match="state"):
        auth.exchange_redirect(manager, "http://127.0.0.1:8888/callback?code=c1&state=wrong")
    token = auth.exchange_redirect(manager, f"http://127.0.0.1:8888/callback?code=c1&state={manager.state}")
    assert token["refresh_token"] == "new-refresh"
