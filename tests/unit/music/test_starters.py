"""The committed starter playlists: real track IDs, enough songs, distinct lists, reproducible from the data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from emuse.labels import EMOTIONS
from emuse.music import links, moodspace, starters, store
from tests.support.paths import ROOT

ID = re.compile(r"^[0-9A-Za-z]{22}$")
SHIPPED = ROOT / "playlists"


@pytest.fixture(scope="module")
def shipped() -> dict[str, list[store.Track]]:
    return {e: store.load_playlist(e, SHIPPED) for e in EMOTIONS}


def test_every_starter_list_has_twenty_real_tracks_with_features(shipped: dict[str, list[store.Track]]) -> None:
    for emotion, tracks in shipped.items():
        assert len(tracks) >= 20, emotion
        for track in tracks:
            assert ID.match(track.track_id), (emotion, track.track_id)
            assert track.embed_url == f"https://open.spotify.com/embed/track/{track.track_id}"
            assert track.source == store.STARTER and track.point is not None
            assert 0 <= track.valence <= 1 and 0 <= track.energy <= 1


def test_no_two_starter_lists_share_more_than_half(shipped: dict[str, list[store.Track]]) -> None:
    a, b, shared = starters.max_overlap(shipped)
    assert shared <= len(shipped[a]) / 2 and shared <= len(shipped[b]) / 2, (a, b, shared)


def test_each_list_sits_nearest_its_own_target(shipped: dict[str, list[store.Track]]) -> None:
    """The lists are where the rule says: each list's mean point is nearest its emotion's target."""
    for emotion, tracks in shipped.items():
        mean = (sum(t.valence for t in tracks) / len(tracks), sum(t.energy for t in tracks) / len(tracks))
        others = [e for e in EMOTIONS if e != emotion]
        mine = moodspace.distance(mean, moodspace.TARGETS[emotion])
        assert mine < min(moodspace.distance(mean, moodspace.TARGETS[e]) for e in others) or emotion == "neutral"
    # neutral's calm songs have low Spotify valence, so its list sits below its target; it is still the calmest
    calmest = min(EMOTIONS, key=lambda e: sum(t.energy for t in shipped[e]) / len(shipped[e]))
    assert calmest == "neutral"


def test_the_store_reads_lists_with_and_without_features(tmp_path: Path) -> None:
    plain = "track_id,name,artists,album,duration_ms,url,source,added_at\n,A,B,,,,manual,\n"
    (tmp_path / "sad.csv").write_text(plain)
    assert store.load_playlist("sad", tmp_path)[0].point is None
    with_features = plain.replace("added_at\n", "added_at,valence,energy\n").replace("manual,\n", "manual,,0.5,0.25\n")
    (tmp_path / "happy.csv").write_text(with_features)
    assert store.load_playlist("happy", tmp_path)[0].point == (0.5, 0.25)
    (tmp_path / "fear.csv").write_text(with_features.replace("0.5,0.25", "1.5,0.25"))
    with pytest.raises(store.PlaylistError, match=r"fear.csv line 2: valence '1.5' must be a number from 0 to 1"):
        store.load_playlist("fear", tmp_path)
    # a list saved without features keeps the plain 8-column layout
    store.save_playlist("sad", store.load_playlist("sad", tmp_path), None, tmp_path)
    assert (tmp_path / "sad.csv").read_text().splitlines()[0].endswith("added_at")


def test_links_are_built_only_from_valid_ids() -> None:
    assert links.embed_url("javascript:alert(1)//aaaaaaaaaa") is None
    assert links.embed_url("0123456789abcdefABCDE") is None  # 21 characters
    bad = store.Track("", "x", "y", url="https://evil.example/")
    assert bad.open_url.startswith("https://open.spotify.com/search/") and bad.embed_url is None


DATA = starters.default_data_path()


@pytest.mark.skipif(not DATA.exists(), reason=f"{DATA} (the source data, never committed) is not on this machine")
def test_the_committed_lists_are_what_the_rule_gives(tmp_path: Path) -> None:
    assert starters.build(DATA, tmp_path) == dict.fromkeys(EMOTIONS, True)
    for emotion in EMOTIONS:
        assert (tmp_path / f"{emotion}.csv").read_bytes() == (SHIPPED / f"{emotion}.csv").read_bytes(), emotion
    assert not any(starters.build(DATA, SHIPPED, check=True).values())


def test_a_wrong_data_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(store.PlaylistError, match=r"not found; pass the path to data_moods\.csv"):
        starters.read_songs(tmp_path / "missing.csv")
    bad = tmp_path / "data.csv"
    bad.write_text("name,album,artist,id,length,valence,energy,mood\nA,B,C,not-an-id,1,0.5,0.5,Happy\n")
    with pytest.raises(store.PlaylistError, match="line 2: id 'not-an-id' is not a 22-character"):
        starters.read_songs(bad)
