"""The Live page under load and on hostile input: busy slots, ICE setup, uploads, song text."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from emuse.music import Track
from emuse.ui import live as live_ui
from emuse.ui import resources
from emuse.ui.common import song_html
from tests.support.paths import ROOT


def open_live() -> AppTest:
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    return at.switch_page("pages/live.py").run()


def test_a_visitor_over_the_live_limit_is_told_the_server_is_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMUSE_MAX_LIVE_SESSIONS", "1")
    slots = resources.live_slots(1)
    assert slots.acquire("someone-else-streaming")
    try:
        at = open_live()
        assert not at.exception
        warnings = [w.value for w in at.warning]
        assert any("The server is busy: all 1 live video slot is in use" in w for w in warnings), warnings
        assert any("snapshot or an upload" in w for w in warnings)
        assert [tab.label for tab in at.tabs] == ["Snapshot", "Upload a photo or video"]  # still offered
        # one message, not three: no "needs a browser connection", no "Press START" without a START button
        assert not at.info and not any("START" in c.value for c in at.caption), [c.value for c in at.caption]
    finally:
        slots.release("someone-else-streaming")
    at = open_live()
    assert not any("busy" in w.value for w in at.warning)


def test_the_live_page_says_which_ice_setup_is_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("EMUSE_ICE_SERVERS", "HF_TOKEN", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLOUDFLARE_TURN_KEY_ID", "kid")
    monkeypatch.setenv("CLOUDFLARE_TURN_KEY_API_TOKEN", "very-secret-token")
    at = open_live()
    captions = [c.value for c in at.caption]
    assert "Connection: Cloudflare TURN (credentials fetched by streamlit-webrtc)" in captions
    assert not any("very-secret-token" in c for c in captions)
    monkeypatch.delenv("CLOUDFLARE_TURN_KEY_ID")
    assert any(
        c.startswith("Connection: Google's public STUN server only") for c in (x.value for x in open_live().caption)
    )


def test_turn_credentials_come_from_streamlit_webrtcs_helper_mocked_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EMUSE_ICE_SERVERS", raising=False)
    monkeypatch.setenv("CLOUDFLARE_TURN_KEY_ID", "kid")
    monkeypatch.setenv("CLOUDFLARE_TURN_KEY_API_TOKEN", "tok")
    calls = []
    turn = [{"urls": ["turn:turn.cloudflare.com:3478"], "username": "u", "credential": "c"}]

    def fetched(key_id: str, token: str) -> list:
        calls.append((key_id, token))
        return turn

    monkeypatch.setattr(live_ui, "get_cloudflare_ice_servers", fetched)
    servers, description = live_ui.ice_setup()
    assert (servers, calls) == (turn, [("kid", "tok")])
    assert description.startswith("Cloudflare TURN")

    def refused(key_id: str, token: str) -> list:
        raise ValueError("Failed to get credentials from Cloudflare Realtime TURN")

    monkeypatch.setattr(live_ui, "get_cloudflare_ice_servers", refused)
    servers, description = live_ui.ice_setup()
    assert servers == [{"urls": ["stun:stun.l.google.com:19302"]}]
    assert description == "Cloudflare TURN credentials could not be fetched (ValueError); STUN only for now"


def test_a_start_that_does_not_connect_is_explained_after_the_timeout() -> None:
    assert live_ui.connection_hint(None, 100.0, playing=False) is None
    assert live_ui.connection_hint(90.0, 100.0, playing=False) is None  # 10 s: still connecting
    hint = live_ui.connection_hint(70.0, 100.0, playing=False)
    assert hint is not None and "hasn't connected after 30 s" in hint and "snapshot" in hint
    assert live_ui.connection_hint(70.0, 100.0, playing=True) is None


def test_an_upload_is_analysed_once_per_content_and_model(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def analyse(classifier: object, data: bytes, name: str, detector: object = None, calibration: object = None) -> str:
        calls.append(name)
        return f"result of {name}"

    monkeypatch.setattr(live_ui.uploads, "analyze_image", analyse)
    live_ui.analyze_still.clear()
    data = b"the same picture bytes"
    for _ in range(3):  # three reruns: "Other songs", a strategy change, another click
        assert live_ui.analyze_still("d1", "model-a", "blazeface", "a.jpg", False, object(), data) == "result of a.jpg"
    assert calls == ["a.jpg"]
    live_ui.analyze_still("d1", "model-b", "blazeface", "a.jpg", False, object(), data)  # another model: again
    assert calls == ["a.jpg", "a.jpg"]
    live_ui.analyze_still("d1", "model-b", "haar", "a.jpg", False, object(), data)  # another detector: again
    assert calls == ["a.jpg", "a.jpg", "a.jpg"]


def test_the_live_upload_limit_is_its_own_and_smaller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMUSE_LIVE_UPLOAD_MB", "1")

    def page() -> None:
        from emuse.ui.live import show_still_result

        show_still_result(None, b"\0" * (2 * 1024 * 1024), "big.mp4", "video/mp4")  # type: ignore[arg-type]

    at = AppTest.from_function(page, default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "big.mp4 is 2 MB; the Live page analyses files up to 1 MB. Use a photo or a shorter, smaller clip."
    ]


HOSTILE = Track("", r"$\huge{HACKED}$ http://evil.example **bold**", "<img src=x onerror=alert(1)>", url="")


def test_song_text_is_shown_as_text_with_one_escaped_spotify_link() -> None:
    line = song_html(HOSTILE, "Find on Spotify")
    assert r"$\huge{HACKED}$ http://evil.example **bold**" in line  # literal: no KaTeX, no auto-link, no bold
    assert "<img" not in line and "&lt;img src=x onerror=alert(1)&gt;" in line
    assert line.count("<a ") == 1 and 'href="https://open.spotify.com/search/' in line


def test_the_song_list_uses_no_markdown_for_song_text() -> None:
    def page() -> None:
        from emuse.music import Track
        from emuse.ui.songs import track_list

        track_list(
            [Track("", r"$\huge{HACKED}$ http://evil.example", "Someone", url="https://x/a)![](http://h/p.png)(")]
        )

    at = AppTest.from_function(page, default_timeout=60).run()
    assert not at.exception
    assert not [m.value for m in at.markdown if "HACKED" in m.value]
    shown = [h.proto.body for h in at.get("html")]
    assert len(shown) == 1 and "http://h/p.png" not in shown[0] and "open.spotify.com/search/" in shown[0]
