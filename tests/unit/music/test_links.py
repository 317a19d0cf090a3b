"""Hostile playlist data: links only to Spotify, bounded fields, and sync writes only what reads back."""

from __future__ import annotations

from pathlib import Path

import pytest

from emuse.music import auth, editing, links, store
from emuse.music import sync as music_sync
from emuse.music.store import PlaylistError, Track, parse_playlist
from tests.support import fake_spotify as fs

HEADER = ",".join(store.HEADER)
GOOD_ID = "4uLU6hMCjMI75M1A2tKUQC"


def row(name: str = "Song", url: str = "", track_id: str = "", duration: str = "") -> str:
    return f'{track_id},"{name}",Artist,,{duration},"{url}",manual,'


@pytest.mark.parametrize(
    "url",
    [
        "https://x/a)![](http://host/p.png)(",  # markdown: a tracking pixel in every Live viewer's page
        "https://evil.example/track/" + GOOD_ID,
        "http://open.spotify.com/track/" + GOOD_ID,
        "https://open.spotify.com.evil.example/track/" + GOOD_ID,
        'https://open.spotify.com/track/x"><img src=//h/p>',
        "javascript:alert(1)",
    ],
)
def test_a_url_cell_that_is_not_a_spotify_link_is_refused(url: str) -> None:
    with pytest.raises(PlaylistError, match=r"sad\.csv line 2: url .* is not a Spotify link"):
        parse_playlist(f"{HEADER}\n{row(url=url)}\n", "sad.csv")


def test_spotify_links_are_kept() -> None:
    text = f"{HEADER}\n{row(url='https://open.spotify.com/track/' + GOOD_ID + '?si=abc123')}\n"
    text += row("B", store.search_url("Chop Suey!", "System of a Down")) + "\n"
    assert len(parse_playlist(text, "sad.csv")) == 2


def test_links_are_built_from_a_valid_id_or_a_spotify_url_never_from_raw_text() -> None:
    hostile = Track("not-an-id", "Song", "Artist", url="https://x/a)![](http://host/p.png)(")
    assert hostile.open_url == store.search_url("Song", "Artist")
    assert hostile.embed_url is None
    assert Track(GOOD_ID, "Song", "A").open_url == f"https://open.spotify.com/track/{GOOD_ID}"


def test_a_cell_over_the_csv_modules_limit_names_the_file_and_line() -> None:
    text = f"{HEADER}\n{row()}\n{row('x' * (links.CSV_FIELD_LIMIT + 10))}\n"
    with pytest.raises(PlaylistError, match=r"sad\.csv line 3: a field is too long"):
        parse_playlist(text, "sad.csv")
    with pytest.raises(PlaylistError, match=r"line 3: a field is too long"):
        editing.import_csv(text.encode(), "upload.csv")


def test_a_name_longer_than_any_real_song_is_refused_on_read_and_on_save(tmp_path: Path) -> None:
    with pytest.raises(PlaylistError, match="name is 2000 characters long; at most 500"):
        parse_playlist(f"{HEADER}\n{row('n' * 2000)}\n", "sad.csv")
    with pytest.raises(PlaylistError, match="can't be saved: name is 200000 characters"):
        store.save_playlist("sad", [store.manual_track("", "n" * 200_000, "A")], None, tmp_path)
    assert not (tmp_path / "sad.csv").exists()


def test_sync_writes_only_tracks_the_reader_accepts(fake: fs.FakeSpotify, tmp_path: Path) -> None:
    (tmp_path / "sources.csv").write_text("emotion,playlist\nhappy,pl\n")
    bad_id, negative, boolean, long_name = fs.track(2), fs.track(3), fs.track(4), fs.track(5)
    bad_id["item"]["id"] = "abc"
    negative["item"]["duration_ms"] = -5
    boolean["item"]["duration_ms"] = True
    long_name["item"]["name"] = "n" * 200_000
    fake.playlists["pl"] = [fs.track(1), bad_id, negative, boolean, long_name]
    client = auth.sync_client(auth.credentials())

    first = music_sync.sync(client, emotions=["happy"])
    assert not first.failed, first.lines()
    tracks = store.load_playlist("happy", tmp_path)  # the file reads back
    assert [t.track_id for t in tracks] == [fs.track_id(1), fs.track_id(3), fs.track_id(4)]
    assert [t.duration_ms for t in tracks] == [180001, None, None]
    assert first.results[0].skipped_entries == 2  # the ID that isn't Spotify's and the 200k-character name
    again = music_sync.sync(client, emotions=["happy"])  # and the next sync still works
    assert not again.failed and not again.results[0].written
