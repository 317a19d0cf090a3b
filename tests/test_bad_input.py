"""Rows of docs/bad-input.md that no domain test file covers on its own.

Each test feeds one bad input and checks the message a person gets and that nothing
was left half-written. The other rows point at tests in the domain test files.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from emuse import registry
from emuse.music import Recommender, auth, store
from emuse.music.spotify import SpotifyReadError, read_playlist_items
from tests.support import fake_spotify as fs

HEADER = "track_id,name,artists,album,duration_ms,url,source,added_at\n"
TID = "4uLU6hMCjMI75M1A2tKUQC"


@pytest.fixture
def playlists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EMUSE_PLAYLISTS_DIR", str(tmp_path))
    return tmp_path


def test_blank_line_in_a_playlist_is_skipped(playlists: Path) -> None:
    (playlists / "sad.csv").write_text(HEADER + ",A,B,,,,manual,\n\n,C,D,,,,manual,\n")
    assert [t.name for t in store.load_playlist("sad")] == ["A", "C"]


def test_duplicate_track_is_recommended_once_and_saved_once(playlists: Path) -> None:
    row = f"{TID},Same,Artist,,,,manual,\n"
    (playlists / "happy.csv").write_text(HEADER + row + row + ",Other,Artist,,,,manual,\n")
    songs = Recommender("match", n=5, seed=1).for_mood("happy")
    assert sorted(t.name for t in songs) == ["Other", "Same"]
    store.save_playlist("happy", store.load_playlist("happy"), None)
    assert [line.split(",")[0] for line in (playlists / "happy.csv").read_text().splitlines()[1:]] == [TID, ""]


def test_spotify_not_answering_at_all_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    monkeypatch.setenv("EMUSE_SPOTIFY_API_URL", closed + "/v1/")
    monkeypatch.setenv("EMUSE_SPOTIFY_TOKEN_URL", closed + "/api/token")
    monkeypatch.setenv("SPOTIPY_CLIENT_ID", fs.CLIENT_ID)
    monkeypatch.setenv("SPOTIPY_CLIENT_SECRET", fs.CLIENT_SECRET)
    monkeypatch.delenv("SPOTIFY_REFRESH_TOKEN", raising=False)
    with pytest.raises((SpotifyReadError, auth.AuthError)) as err:
        read_playlist_items(auth.sync_client(auth.credentials(), timeout=2), "x")
    text = str(err.value)
    assert fs.CLIENT_SECRET not in text
    assert any(word in text.lower() for word in ("connect", "reach", "network", "token"))


def test_spotify_401_is_explained(fake: fs.FakeSpotify) -> None:
    fake.fail["x"] = 401
    with pytest.raises(SpotifyReadError) as err:
        read_playlist_items(auth.sync_client(auth.credentials()), "x")
    assert err.value.status == 401
    assert fs.CLIENT_SECRET not in str(err.value)


def test_full_disk_while_saving_model_metadata_keeps_the_old_file(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "m"
    registry.write_meta(folder, {"labels": ["x"], "version": 1})
    before = (folder / "meta.json").read_bytes()

    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)  # the disk fills up while the new file is flushed
    with pytest.raises(OSError, match="No space"):
        registry.write_meta(folder, {"labels": ["x"], "version": 2})
    assert (folder / "meta.json").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["meta.json"]


def test_bad_ice_servers_setting_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    from emuse import config

    monkeypatch.setenv("EMUSE_ICE_SERVERS", "stun:stun.example.org")
    with pytest.raises(config.ConfigError, match="not valid JSON"):
        config.ice_servers()
    monkeypatch.setenv("EMUSE_ICE_SERVERS", '[{"url": "stun:x"}]')
    with pytest.raises(config.ConfigError, match='"urls"'):
        config.ice_servers()
    monkeypatch.setenv("EMUSE_ICE_SERVERS", "[]")
    assert config.ice_servers() == []
    turn = {"urls": ["turn:t.example:3478"], "username": "u", "credential": "c"}
    assert config.ice_servers({"ice_servers": [turn]})[0]["username"]
