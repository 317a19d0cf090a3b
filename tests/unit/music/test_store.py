"""The playlist store, the editor's row validation and the recommender."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from emuse.labels import EMOTIONS
from emuse.music import Track, editing, links, store
from tests.support.paths import ROOT

HEADER = "track_id,name,artists,album,duration_ms,url,source,added_at\n"
TID = "0123456789abcdefABCDEF"  # 22 base62 characters, not a real track


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EMUSE_PLAYLISTS_DIR", str(tmp_path))
    return tmp_path


def songs(n: int, prefix: str = "Song") -> list[Track]:
    return [store.manual_track("", f"{prefix} {i}", f"Artist {i}") for i in range(n)]


# --------------------------------------------------------------------------- the shipped files


def test_shipped_sources_file_is_valid() -> None:
    """The shipped playlists themselves are checked in test_music_starters.py."""
    folder = ROOT / "playlists"
    assert store.read_sources(folder) == [] or all(s.emotion in EMOTIONS for s in store.read_sources(folder))
    assert not list(folder.glob("* .csv")) and not list(folder.glob("*.csv "))


# --------------------------------------------------------------------------- reading


def test_round_trip_and_track_links(folder: Path) -> None:
    tracks = [
        Track(TID, "Song, with comma", 'Artist "Quoted"', "Album", 215000, "", "spotify:abc", "2025-01-01T00:00:00Z"),
        store.manual_track("", "Happy", "Pharrell Williams"),
    ]
    store.save_playlist("happy", tracks, "")
    loaded = store.load_playlist("happy")
    assert loaded[0].name == "Song, with comma" and loaded[0].duration_ms == 215000
    assert loaded[0].embed_url == f"https://open.spotify.com/embed/track/{TID}"
    assert loaded[0].open_url == f"https://open.spotify.com/track/{TID}"
    assert loaded[1].open_url == "https://open.spotify.com/search/Happy%20Pharrell%20Williams"
    assert (folder / "happy.csv").read_text().startswith(HEADER)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("name,artists\nA,B\n", "line 1: header must be"),
        (HEADER + ",A,B,,,https://x.test/,manual,\n,Only,three\n", "line 3: expected 8 fields, found 3"),
        (HEADER + "notanid,A,B,,,,manual,\n", "line 2: track_id 'notanid'"),
        (HEADER + ",A,B,,3min,,manual,\n", "line 2: duration_ms '3min'"),
        (HEADER + ",A,B,,,,youtube,\n", "line 2: source 'youtube'"),
        (HEADER + ",,B,,,,manual,\n", "line 2: name is empty"),
        (",Name,Album,Artist\n0,Happy,G I R L,Pharrell Williams\n", "original eMuse layout"),
    ],
)
def test_bad_files_name_file_and_line(folder: Path, content: str, needle: str) -> None:
    (folder / "sad.csv").write_text(content)
    with pytest.raises(store.PlaylistError) as err:
        store.load_playlist("sad")
    assert needle in str(err.value) and "sad.csv" in str(err.value)


def test_wrong_encoding_is_explained(folder: Path) -> None:
    (folder / "sad.csv").write_bytes((HEADER + ",Caf\u00e9,Someone,,,,manual,\n").encode("latin-1"))
    with pytest.raises(store.PlaylistError, match=r"sad.csv line 2: not UTF-8.*UTF-8"):
        store.load_playlist("sad")


def test_bom_and_missing_file(folder: Path) -> None:
    assert store.load_playlist("fear") == []
    (folder / "fear.csv").write_bytes(("\ufeff" + HEADER + ",A,B,,,,manual,\n").encode())
    assert store.load_playlist("fear")[0].name == "A"


def test_import_original_layout(folder: Path) -> None:
    data = b",Name,Album,Artist\n0,Someone Like You,21,Adele\n1,Hurt,American IV,Johnny Cash\n"
    tracks = editing.import_csv(data, "sad_songs.csv")
    assert [(t.name, t.artists, t.album, t.track_id) for t in tracks] == [
        ("Someone Like You", "Adele", "21", ""),
        ("Hurt", "Johnny Cash", "American IV", ""),
    ]
    assert tracks[0].url == "https://open.spotify.com/search/Someone%20Like%20You%20Adele"


def test_references() -> None:
    for ref in (TID, f"spotify:track:{TID}", f"https://open.spotify.com/intl-de/track/{TID}?si=x"):
        assert links.parse_track_ref(ref) == TID
    for ref in ("abc123", "spotify:playlist:abc123", "https://open.spotify.com/playlist/abc123?si=1"):
        assert links.parse_playlist_ref(ref) == "abc123"
    with pytest.raises(store.PlaylistError, match="not a Spotify track link"):
        links.parse_track_ref("https://youtube.com/watch?v=1")


# --------------------------------------------------------------------------- writing


def test_concurrent_saves_do_not_lose_rows_silently(folder: Path) -> None:
    store.save_playlist("happy", songs(2), "")
    tab_a = store.read_playlist("happy")
    tab_b = store.read_playlist("happy")
    store.save_playlist("happy", [*tab_a.tracks, store.manual_track("", "From A", "X")], tab_a.version)
    with pytest.raises(store.ConflictError, match="reload"):
        store.save_playlist("happy", [*tab_b.tracks, store.manual_track("", "From B", "Y")], tab_b.version)
    assert [t.name for t in store.load_playlist("happy")] == ["Song 0", "Song 1", "From A"]


def test_failed_write_leaves_old_file_and_no_temp_files(folder: Path, monkeypatch) -> None:
    store.save_playlist("happy", songs(3), "")
    before = (folder / "happy.csv").read_bytes()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError):
        store.save_playlist("happy", songs(5), None)
    assert (folder / "happy.csv").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["happy.csv"]


def test_killed_mid_save_leaves_a_whole_file(folder: Path) -> None:
    """A real process killed while writing a large playlist: the CSV is the old one or the new one."""
    store.save_playlist("happy", songs(3), "")
    before = (folder / "happy.csv").read_bytes()
    script = textwrap.dedent(
        f"""
        import os
        from emuse.music import store
        real_write = os.fdopen
        def slow_fdopen(*a, **k):
            handle = real_write(*a, **k)
            write = handle.write
            def chunked(data):
                for i in range(0, len(data), 4096):
                    write(data[i:i + 4096]); handle.flush()
                    if i == 4096 * 4:
                        print("writing", flush=True)
                        import time; time.sleep(30)
            handle.write = chunked
            return handle
        os.fdopen = slow_fdopen
        tracks = [store.manual_track("", "Long song name %d" % i, "Artist") for i in range(5000)]
        store.save_playlist("happy", tracks, None, folder=__import__("pathlib").Path({str(folder)!r}))
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
        proc.kill()
    finally:
        proc.wait(10)
    assert (folder / "happy.csv").read_bytes() == before
    assert len(store.load_playlist("happy")) == 3
    # The lock died with the process: the next save does not hang.
    start = time.monotonic()
    store.save_playlist("happy", songs(4), None)
    assert time.monotonic() - start < 5 and len(store.load_playlist("happy")) == 4


def test_sources_round_trip_and_bad_lines(folder: Path) -> None:
    (folder / "sources.csv").write_text(
        "emotion,playlist\nhappy,https://open.spotify.com/playlist/AbC?si=1\n\n"
        "# a comment\nsadness,spotify:playlist:X1\n"
    )
    assert [(s.emotion, s.playlist_id) for s in store.read_sources()] == [("happy", "AbC"), ("sad", "X1")]
    store.save_sources(store.read_sources())
    assert (folder / "sources.csv").read_text() == "emotion,playlist\nhappy,AbC\nsad,X1\n"
    (folder / "sources.csv").write_text("emotion,url\nhappy,x\n")
    with pytest.raises(store.PlaylistError, match="line 1: header must be emotion,playlist"):
        store.read_sources()


# --------------------------------------------------------------------------- editor rows


def test_editor_rows_reorder_validate_and_keep_hidden_fields() -> None:
    tracks = [Track(TID, "A", "X", "", 1000, "", "spotify:pl", "2025-01-01T00:00:00Z"), *songs(2)]
    rows = editing.tracks_to_rows(tracks)
    assert rows[0]["from"] == "Spotify playlist pl" and rows[1]["from"] == "added by hand"
    rows[0]["position"], rows[2]["position"] = 3, 1
    rows.append({"position": None, "name": "New", "artists": "Y", "track_id": f"https://open.spotify.com/track/{TID}"})
    rows.append({"position": float("nan"), "name": None, "artists": None, "track_id": None})  # blank editor row
    result = editing.rows_to_tracks(rows)
    assert [t.name for t in result] == ["Song 1", "Song 0", "A", "New"]
    assert result[2].as_row() == tracks[0].as_row()  # source, duration, added_at survive
    assert result[3].track_id == TID and result[3].source == "manual"
    with pytest.raises(store.PlaylistError, match=r"row 1: the name is empty.*; row 2: .*not a Spotify track link"):
        editing.rows_to_tracks([{"name": "", "artists": "X"}, {"name": "B", "track_id": "nope"}])


def test_editor_sources_rows() -> None:
    rows = [{"emotion": "happy", "playlist": "spotify:playlist:P1"}, {"emotion": "", "playlist": ""}]
    assert editing.rows_to_sources(rows) == [store.Source("happy", "P1")]
    with pytest.raises(store.PlaylistError, match="row 1: choose an emotion"):
        editing.rows_to_sources([{"emotion": None, "playlist": "P1"}])
