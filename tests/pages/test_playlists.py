"""The Playlists page in AppTest, against temporary playlists and the fake Spotify server."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from emuse.labels import EMOTIONS
from emuse.music import store
from tests.support import fake_spotify as fs
from tests.support.paths import ROOT

HAPPY = EMOTIONS.index("happy")
TID = "0123456789abcdefABCDEF"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for path in (ROOT / "playlists").glob("*.csv"):
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setenv("EMUSE_PLAYLISTS_DIR", str(tmp_path))
    for key in ("SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET", "SPOTIFY_REFRESH_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    return tmp_path


def page() -> AppTest:
    return AppTest.from_file(str(ROOT / "pages" / "playlists.py"), default_timeout=60).run()


def button(at_or_tab, label: str):
    return next(b for b in at_or_tab.button if b.label == label)


def test_page_shows_every_emotion_without_credentials(folder: Path) -> None:
    at = page()
    assert not at.exception
    assert [t.label for t in at.tabs][-1] == "🔗 Sources" and len(at.tabs) == 8
    captions = " ".join(c.value for c in at.caption)
    assert "Last synced from Spotify: never" in captions
    assert "25 songs in `happy.csv`" in " ".join(c.value for c in at.tabs[HAPPY].caption)
    assert not any(b.label.startswith("🔄") for b in at.button)  # no sync without credentials


def test_add_by_link_then_save_writes_the_csv(folder: Path) -> None:
    at = page()
    tab = at.tabs[HAPPY]
    tab.text_input[0].input(f"https://open.spotify.com/track/{TID}?si=abc")
    tab.text_input[1].input("A Song")
    tab.text_input[2].input("An Artist")
    button(tab, "Add").click()
    at.run()
    assert not at.exception
    assert "press **Save**" in " ".join(i.value for i in at.tabs[HAPPY].info)
    assert len(store.load_playlist("happy")) == 25  # not saved yet
    button(at.tabs[HAPPY], "💾 Save").click()
    at.run()
    assert not at.exception and not at.error
    tracks = store.load_playlist("happy")
    assert len(tracks) == 26 and tracks[-1].track_id == TID and tracks[-1].name == "A Song"


def test_bad_link_is_explained(folder: Path) -> None:
    at = page()
    tab = at.tabs[HAPPY]
    tab.text_input[0].input("https://youtube.com/watch?v=x")
    tab.text_input[1].input("A Song")
    button(tab, "Add").click()
    at.run()
    assert any("not a Spotify track link" in e.value for e in at.error)


def test_save_refuses_to_overwrite_someone_elses_change(folder: Path) -> None:
    at = page()
    other = store.read_playlist("happy")
    store.save_playlist("happy", [*other.tracks, store.manual_track("", "Saved elsewhere", "X")], other.version)
    button(at.tabs[HAPPY], "💾 Save").click()
    at.run()
    assert any("changed by someone else" in e.value for e in at.error)
    assert store.load_playlist("happy")[-1].name == "Saved elsewhere"


def test_broken_file_can_be_repaired_in_the_page(folder: Path) -> None:
    (folder / "sad.csv").write_text("Name,Artist\nHurt,Johnny Cash\n")
    at = page()
    assert not at.exception
    sad = at.tabs[EMOTIONS.index("sad")]
    assert any("sad.csv line 1: header must be" in e.value for e in sad.error)
    sad.text_area[0].input(
        "track_id,name,artists,album,duration_ms,url,source,added_at\n,Hurt,Johnny Cash,,,,manual,\n"
    )
    button(sad, "Save fixed file").click()
    at.run()
    assert [t.name for t in store.load_playlist("sad")] == ["Hurt"]


def test_sync_button_with_progress_updates_files_and_shows_summary(folder: Path, fake: fs.FakeSpotify) -> None:
    (folder / "sources.csv").write_text("emotion,playlist\nhappy,happy1\nsad,gone\n")
    fake.playlists["happy1"] = [fs.track(i) for i in range(60)]
    fake.fail["gone"] = 404
    sad_before = (folder / "sad.csv").read_bytes()
    at = page()
    assert any("over a week" in w.value for w in at.warning)
    button(at, "🔄 Sync from Spotify now").click()
    at.run()
    assert not at.exception
    summary = " ".join(e.value for e in at.error)
    assert "happy: added 60, removed 0, kept 25 (written)" in summary and "sad: FAILED" in summary
    assert "404" in summary
    assert (folder / "sad.csv").read_bytes() == sad_before
    assert len(store.load_playlist("happy")) == 85
    assert "85 songs in `happy.csv`" in " ".join(c.value for c in at.tabs[HAPPY].caption)  # editor reloaded
    assert "Last synced from Spotify: never" in " ".join(c.value for c in at.caption)  # sad still never synced


def test_connected_session_picks_from_own_playlists(folder: Path, fake: fs.FakeSpotify) -> None:
    fake.me_playlists = [{"id": "Mine1", "name": "Rainy days", "owner": {"id": "me"}, "items": {"total": 3}}]
    fake.tokens.add("session-token")
    at = AppTest.from_file(str(ROOT / "pages" / "playlists.py"), default_timeout=60)
    at.session_state["spotify_token"] = {
        "access_token": "session-token",
        "refresh_token": "r",
        "expires_at": time.time() + 3600,
    }
    at.run()
    assert not at.exception
    assert any("Connected to Spotify" in s.value for s in at.success)
    sources = at.tabs[-1]
    assert sources.multiselect[0].options == ["Rainy days (3 songs)"]
    sources.multiselect[0].select(sources.multiselect[0].options[0])
    sources.selectbox[0].select("sad")
    button(sources, "Add to sources").click()
    at.run()
    assert store.read_sources() == [store.Source("sad", "Mine1")]


def test_connect_button_and_redirect_with_code(folder: Path, fake: fs.FakeSpotify) -> None:
    at = page()
    link = next(b for b in at.get("link_button"))
    url = link.proto.url
    assert url.startswith("https://accounts.spotify.com/authorize?") and "code_challenge=" in url
    from urllib.parse import parse_qs, urlparse

    query = parse_qs(urlparse(url).query)
    fake.codes["c0de"] = (query["code_challenge"][0], query["redirect_uri"][0])
    at2 = AppTest.from_file(str(ROOT / "pages" / "playlists.py"), default_timeout=60)
    at2.query_params["code"] = "c0de"
    at2.query_params["state"] = query["state"][0]
    at2.run()
    assert not at2.exception
    assert any("Connected to Spotify" in s.value for s in at2.success)
    assert at2.session_state["spotify_token"]["access_token"] in fake.tokens


def _track_list_app() -> None:
    from emuse.music import Track, store
    from emuse.ui.songs import track_list

    track_list([Track("0123456789abcdefABCDEF", "A*B", "X"), store.manual_track("", "Happy", "Pharrell Williams")])


def test_track_list_plays_tracks_with_an_id_and_links_the_rest() -> None:
    at = AppTest.from_function(_track_list_app, default_timeout=60).run()
    assert not at.exception
    frames = at.get("iframe")
    assert len(frames) == 1 and "https://open.spotify.com/embed/track/0123456789abcdefABCDEF" in str(frames[0].proto)
    texts = [h.proto.body for h in at.get("html")]  # song lines are escaped HTML, not Markdown (issue 14)
    assert "<b>A*B</b>" in texts[0] and 'href="https://open.spotify.com/track/0123456789abcdefABCDEF"' in texts[0]
    assert 'href="https://open.spotify.com/search/Happy%20Pharrell%20Williams"' in texts[1]
    assert "Find on Spotify ↗" in texts[1]


def test_a_newcomer_without_credentials_gets_linked_steps(folder: Path) -> None:
    at = page()
    assert not at.exception
    help_box = " ".join(i.value for i in at.info)
    assert "The songs already play, with no account" in help_box
    assert "(https://developer.spotify.com/dashboard)" in help_box and "SPOTIPY_CLIENT_ID" in help_box
    assert "/playlists" in help_box  # the redirect URI to register
    sources = " ".join(c.value for c in at.tabs[-1].caption)
    assert "Connect Spotify above" not in sources and "🎧 box at the top" in sources


def test_with_credentials_the_page_leads_with_a_connect_button(folder: Path, fake: fs.FakeSpotify) -> None:
    at = page()
    assert not at.exception
    buttons = at.get("link_button")
    assert buttons and "Connect Spotify" in str(buttons[0].proto) and "authorize" in str(buttons[0].proto)
    assert not any("developer.spotify.com/dashboard" in i.value for i in at.info)
    assert "Connect Spotify** at the top" in " ".join(c.value for c in at.tabs[-1].caption)


def test_a_bad_link_keeps_what_was_pasted_and_a_good_one_shows_the_added_row(folder: Path) -> None:
    at = page()
    tab = at.tabs[HAPPY]
    tab.text_input[0].input("https://open.spotify.com/track/tooShort")
    tab.text_input[1].input("A Song")
    button(tab, "Add").click()
    at.run()
    tab = at.tabs[HAPPY]
    assert any("not a Spotify track link" in e.value for e in tab.error)
    assert tab.text_input[0].value == "https://open.spotify.com/track/tooShort"  # fix it, don't retype it
    assert tab.text_input[1].value == "A Song"
    tab.text_input[0].input(f"https://open.spotify.com/track/{TID}")
    tab.text_input[2].input("An Artist")
    button(tab, "Add").click()
    at.run()
    assert not at.exception
    tab = at.tabs[HAPPY]
    assert any("Added as row 26 of 26" in s.value for s in tab.success)
    assert any("<b>A Song</b> — An Artist" in h.proto.body for h in tab.get("html"))
    assert any(f"embed/track/{TID}" in str(f.proto) for f in at.get("iframe"))
    assert tab.text_input[0].value == ""  # the form starts empty for the next song


def test_listening_plays_five_and_saving_keeps_the_features(folder: Path) -> None:
    before = (folder / "happy.csv").read_bytes()
    at = page()
    assert not at.get("iframe")  # no players until asked: seven lists of 25 would be 175 players
    next(t for t in at.tabs[HAPPY].toggle if t.label == "▶ Listen to this list").set_value(True).run()
    assert len([f for f in at.get("iframe") if "open.spotify.com/embed/track/" in str(f.proto)]) == 5
    button(at.tabs[HAPPY], "💾 Save").click()
    at.run()
    assert not at.exception and (folder / "happy.csv").read_bytes() == before  # valence/energy kept
