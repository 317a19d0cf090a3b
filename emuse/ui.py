"""The one place in ``emuse`` that imports Streamlit: small helpers the pages share.

Pages stay wiring only; anything here is about *showing* things (cached resources,
secrets, common widgets), never about computing them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from emuse import config


def secrets() -> Mapping[str, Any]:
    """``st.secrets`` as a mapping, or an empty one when no secrets file exists."""
    try:
        return dict(st.secrets)
    except Exception:  # no secrets.toml at all, or a malformed one: the app runs without secrets
        return {}


def ice_servers() -> list[dict[str, Any]]:
    """ICE servers from secrets or environment (see :func:`emuse.config.ice_servers`)."""
    return config.ice_servers(secrets())


def use_app_navigation() -> None:
    """Make sure this page runs inside ``Home.py``'s navigation; call it first on every page.

    Streamlit treats a folder literally named ``pages/`` as the legacy multipage layout
    until some session has run ``st.navigation``. So the first visitor of a deep link
    (``/live``) on a freshly started server, or after a Community Cloud wake-up, would
    get the page without ``Home.py``: wrong sidebar, no page config. Switching the
    process to navigation mode and rerunning sends this run through ``Home.py``, which
    picks the same page by its URL path.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def webrtc_available() -> bool:
    """Whether the page runs under a real Streamlit server that streamlit-webrtc can attach to.

    ``streamlit.testing.v1.AppTest`` runs pages without a session manager, which
    ``webrtc_streamer`` needs; there the Live page shows its snapshot and upload
    paths instead of failing.
    """
    from streamlit.runtime import Runtime

    return Runtime.exists() and hasattr(Runtime.instance(), "_session_mgr")


# --- Vision -------------------------------------------------------------------------------------


@st.cache_resource(show_spinner="Loading the emotion model…")
def load_classifier(model_name: str | None = None):  # -> EmotionClassifier (imported lazily: TensorFlow)
    """One classifier per model per process, shared by every browser session (thread-safe inference)."""
    import gc

    from emuse.vision.classifier import EmotionClassifier

    classifier = EmotionClassifier(model_name)
    # Streamlit collects garbage after every script and fragment run; once the model and its
    # libraries are loaded, that full collection walked all of them (~170 ms with TensorFlow,
    # holding the GIL) twice a second per streaming session, and starved the video threads.
    # Freezing moves everything alive now out of the collector's reach.
    gc.freeze()
    return classifier


def live_video(session, key: str = "live"):  # session: emuse.vision.live.LiveSession
    """The webcam component, wired to ``session.process``; ``None`` where WebRTC can't run (AppTest).

    The callback closes over the session object, not over ``st.session_state``: it runs on
    streamlit-webrtc's worker thread, where Streamlit's session state must not be touched.
    """
    if not webrtc_available():
        return None
    try:
        servers = ice_servers()
    except config.ConfigError as exc:
        st.error(f"Live video is off: {exc}")
        return None
    import av
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    from emuse.vision.live import drop_stale_frames

    drop_stale_frames()  # frames the server can't keep up with are dropped, not queued

    def on_frame(frame: av.VideoFrame) -> av.VideoFrame:
        image = session.process(frame.to_ndarray(format="bgr24"))
        return av.VideoFrame.from_ndarray(image, format="bgr24")

    return webrtc_streamer(
        key=key,
        mode=WebRtcMode.SENDRECV,
        rtc_configuration={"iceServers": servers},
        media_stream_constraints={"video": {"width": 640, "height": 480}, "audio": False},
        video_frame_callback=on_frame,
        async_processing=True,
    )


def mood_html(mood) -> str:  # mood: emuse.vision.smoothing.Mood | None
    """The smoothed mood and one bar per emotion as a single HTML block (one cheap update per refresh)."""
    from emuse.labels import COLORS, EMOJI, EMOTIONS

    if mood is None:
        return "<div style='font-size:1.6rem;font-weight:600'>Mood: no face</div>"
    rows = "".join(
        f"<div style='display:flex;align-items:center;gap:.5rem;margin:.15rem 0'>"
        f"<span style='width:6.5rem'>{EMOJI[label]} {label}</span>"
        f"<div style='flex:1;background:#eee;border-radius:4px;height:.8rem'>"
        f"<div style='width:{score * 100:.0f}%;background:{COLORS[label]};height:100%;border-radius:4px'></div></div>"
        f"<span style='width:3rem;text-align:right'>{score:.0%}</span></div>"
        for label, score in zip(EMOTIONS, mood.scores, strict=True)
    )
    return (
        f"<div style='font-size:1.6rem;font-weight:600'>Mood: {mood.label} {EMOJI[mood.label]}</div>"
        f"<div style='color:#666;margin-bottom:.4rem'>confidence {mood.confidence:.0%}</div>{rows}"
    )


def show_still_result(classifier, data: bytes, name: str, mime: str | None):  # -> StillResult | None
    """Run a snapshot or upload through the pipeline, show the annotated picture and mood, return the result."""
    import cv2

    from emuse.vision import offline
    from emuse.vision.media import MediaError

    try:
        with st.spinner("Analysing…"):
            if offline.is_video(name, mime):
                result = offline.analyze_video(classifier, data, name)
            else:
                result = offline.analyze_image(classifier, data, name)
    except MediaError as exc:
        st.error(f"{exc}")
        return None
    picture, verdict = st.columns([3, 2])
    picture.image(cv2.cvtColor(result.annotated, cv2.COLOR_BGR2RGB), width="stretch")
    with verdict:
        st.markdown(mood_html(result.mood), unsafe_allow_html=True)
        frames = f" in {result.frames} sampled frames" if result.frames > 1 else ""
        st.caption(f"{result.faces} face{'s' if result.faces != 1 else ''} found{frames}.")
        if result.mood is None:
            st.info("No face found. Face the camera, with your whole face in the picture and good light.")
    return result


def record_still_once(mood, source: str, data: bytes) -> None:  # mood: Mood | None
    """Record a snapshot's or upload's mood once, not again on every rerun that shows it."""
    import hashlib

    if mood is None:
        return
    digest = hashlib.sha256(data).hexdigest()
    seen = st.session_state.setdefault("_recorded_stills", set())
    recorder = mood_recorder(source)
    if digest in seen or recorder is None:
        return
    recorder.reset()  # a new picture is a new observation, not a heartbeat of the last one
    if recorder.observe(mood):  # not written (recording off, database busy): try again on a later rerun
        seen.add(digest)


def songs_for_mood(emotion: str | None, strategy: str, source: str = "live") -> None:
    """The songs block: a handful for the smoothed mood, changing only when the mood does.

    One :class:`emuse.music.Recommender` per browser session, so songs don't repeat until
    the playlists are exhausted. Each new handful is recorded in the mood history.
    """
    from emuse.labels import EMOJI
    from emuse.music import Recommender

    recommender = st.session_state.get("_recommender")
    if recommender is None:
        recommender = st.session_state["_recommender"] = Recommender(strategy=strategy, n=5)
    recommender.strategy = strategy
    if emotion is None and recommender.current.emotion is None:
        st.caption("Songs appear here as soon as eMuse sees your face.")
        return
    tracks = recommender.for_mood(emotion)
    current = recommender.current
    st.markdown(f"**Songs for {EMOJI[current.emotion]} {current.emotion}**")
    for problem in current.problems:
        st.warning(problem, icon="⚠️")
    track_list(tracks)
    st.button("🔀 Other songs", key=f"_more_songs_{source}", on_click=recommender.more)
    recorder = mood_recorder(source)
    if recorder is not None:
        recorder.songs_shown(current.emotion, tracks)  # once per distinct list, however often the page reruns


# --- Mood history (emuse.history) -------------------------------------------------


@st.cache_resource(show_spinner=False)
def _history_store(url: str):  # -> emuse.history.store.HistoryStore
    from emuse.history.store import open_store

    return open_store(url)


def history_store(quiet: bool = False):  # -> HistoryStore | None
    """The process-wide history store, or ``None`` (after a warning unless ``quiet``) when it is unusable.

    Keyed by URL so a changed ``EMUSE_DATABASE_URL`` / ``EMUSE_DATA_DIR`` takes effect;
    a failure is not cached, so the next rerun tries again.
    """
    from emuse.history.store import HistoryError, database_url

    try:
        return _history_store(database_url())
    except HistoryError as exc:
        if not quiet:
            st.warning(f"Mood history is unavailable: {exc}", icon="⚠️")
        return None


def history_session_id() -> str:
    """This browser session's history id (``web-…``), made once per session."""
    if "history_session_id" not in st.session_state:
        from emuse.history.recorder import new_session_id

        st.session_state["history_session_id"] = new_session_id("web")
    return st.session_state["history_session_id"]


def recording_enabled() -> bool:
    """Whether this person wants their moods recorded (on unless they switched it off)."""
    return bool(st.session_state.get("record_moods", True))


def recording_toggle() -> bool:
    """The "Record my moods" switch; the choice lives in ``st.session_state["record_moods"]``.

    Widget state is dropped when a page without the widget runs, so the choice is
    copied to a plain key that survives moving between the Live and History pages.
    """

    def _remember() -> None:
        st.session_state["record_moods"] = st.session_state["_record_moods_toggle"]

    st.session_state["_record_moods_toggle"] = recording_enabled()
    return st.toggle(
        "Record my moods",
        key="_record_moods_toggle",
        on_change=_remember,
        help="When on, your smoothed mood (not your picture) and the songs you get are saved to the mood history.",
    )


def mood_recorder(source: str = "live", heartbeat_s: float = 5.0):  # -> MoodRecorder | None
    """This browser session's recorder for ``source``, following the recording switch.

    ``None`` when the history database is unavailable (the page keeps working
    without it). The same recorder comes back on every rerun, so its
    change/heartbeat state carries over.
    """
    from emuse.history.recorder import MoodRecorder

    store = history_store(quiet=True)
    if store is None:
        return None
    key = f"_history_recorder_{source}"
    recorder = st.session_state.get(key)
    if recorder is None or recorder.store is not store:
        recorder = st.session_state[key] = MoodRecorder(store, history_session_id(), source, heartbeat_s=heartbeat_s)
    recorder.enabled = recording_enabled()
    return recorder


def browser_timezone() -> str | None:
    """The viewer's IANA time zone as the browser reports it (``None`` in tests and old browsers)."""
    try:
        return st.context.timezone
    except Exception:  # no browser context (AppTest, bare mode)
        return None


def history_delete_controls(store, selected: list[str]) -> None:  # store: HistoryStore
    """Delete this browser session's history, the selected sessions, or all of it, after a confirmation.

    The deletion runs in the button's callback, before the page script, so the
    charts drawn after it already show the history without the deleted rows.
    """
    from emuse.history.store import HistoryError

    choices: dict[str, list[str] | None] = {"This browser session": [history_session_id()]}
    if selected:
        choices[f"The {len(selected)} selected session{'s' if len(selected) != 1 else ''}"] = list(selected)
    choices["All history on this server"] = None
    what = st.radio("Delete", list(choices), horizontal=True, key="_history_delete_what")
    sure = st.checkbox("Yes, delete it for good", key="_history_delete_sure")

    def _delete() -> None:
        try:
            n_moods, n_songs = store.clear(choices[what])
        except HistoryError as exc:
            st.session_state["_history_error"] = f"Nothing deleted: {exc}"
        else:
            st.session_state["_history_success"] = f"Deleted {n_moods} mood rows and {n_songs} song rows."
        st.session_state["_history_delete_sure"] = False

    st.button("🗑️ Delete", type="primary", disabled=not sure, on_click=_delete)


# --------------------------------------------------------------------------- music: playback, Spotify, playlists


def _md(text: str) -> str:
    """Escape Markdown so a song called "*NSYNC" or "[untitled]" shows as typed."""
    return "".join("\\" + c if c in "\\`*_[]<>#|~" else c for c in text)


def track_list(tracks, *, players: bool = True, max_players: int = 5) -> None:  # tracks: Sequence[music.Track]
    """Songs with the Spotify embed player (rows with a track ID) and an "open in Spotify" link.

    At most ``max_players`` iframes, because each one is a full web player in the
    browser; the rest are links.
    """
    shown = 0
    for track in tracks:
        if players and track.embed_url and shown < max_players:
            st.iframe(track.embed_url, height=80)
            st.markdown(f"[Open “{_md(track.name)}” in Spotify ↗]({track.open_url})")
            shown += 1
        else:
            verb = "Open in Spotify" if track.track_id else "Find on Spotify"
            st.markdown(f"🎵 **{_md(track.name)}** — {_md(track.artists)} · [{verb} ↗]({track.open_url})")


def strategy_select(key: str = "music_strategy") -> str:
    """ "Match my mood" or "Lift my mood"; returns the strategy key for :class:`emuse.music.Recommender`."""
    from emuse.music import STRATEGIES

    return (
        st.segmented_control("Music", list(STRATEGIES), format_func=STRATEGIES.get, default="match", key=key) or "match"
    )


@st.cache_resource
def _pending_spotify_logins() -> dict:
    """Logins waiting for Spotify's redirect, by ``state``, shared by the server's sessions.

    Spotify sends the browser back as a new page load (a new Streamlit session), so
    the PKCE verifier cannot live in session state; it waits here, keyed by the
    random ``state``, for at most 10 minutes. The resulting token lives only in
    the session that receives the redirect.
    """
    return {}


def _app_redirect_uri() -> str:
    from urllib.parse import urlparse

    configured = secrets().get("SPOTIFY_APP_REDIRECT_URI")
    if configured:
        return str(configured)
    url = urlparse(getattr(st.context, "url", "") or "http://127.0.0.1:8501/")
    return f"{url.scheme}://{url.netloc}/playlists"


def spotify_connect() -> dict | None:
    """The "Connect Spotify" button (Authorization Code with PKCE); returns this session's token or ``None``."""
    import time

    from emuse.music import auth

    creds = auth.credentials(secrets())
    if creds is None:
        st.caption("To connect your Spotify account, set `SPOTIPY_CLIENT_ID` (see docs/music.md).")
        return None
    pending = _pending_spotify_logins()
    for state in [s for s, p in pending.items() if time.time() - p.created > 600]:
        pending.pop(state, None)
    params = st.query_params
    if params.get("error") and params.get("state") in pending:
        pending.pop(params.get("state"), None)
        st.warning(f"Spotify did not connect ({params.get('error')}). You can try again.")
        st.query_params.clear()
    elif params.get("code") and params.get("state"):
        code, login = params.get("code"), pending.pop(params.get("state"), None)
        st.query_params.clear()  # a reload must not replay the one-time code
        if login is None:
            st.warning("That Spotify login expired or was already used; press Connect Spotify again.")
        else:
            try:
                st.session_state["spotify_token"] = auth.finish_pkce(creds.client_id, login, code)
            except auth.AuthError as exc:
                st.error(str(exc))
    token = st.session_state.get("spotify_token")
    if token:
        try:
            token = st.session_state["spotify_token"] = auth.refresh_user_token(creds.client_id, token)
        except auth.AuthError as exc:
            st.session_state.pop("spotify_token", None)
            st.warning(str(exc))
            token = None
    if token:
        col1, col2 = st.columns([4, 1])
        col1.success("Connected to Spotify in this browser tab (the token is never saved).", icon="✅")
        if col2.button("Disconnect", key="spotify_disconnect"):
            st.session_state.pop("spotify_token", None)
            st.rerun()
        return token
    login = pending.get(st.session_state.get("spotify_login_state", ""))
    if login is None:
        login = auth.start_pkce(creds.client_id, _app_redirect_uri())
        pending[login.state] = login
        st.session_state["spotify_login_state"] = login.state
    st.link_button(
        "Connect Spotify",
        login.authorize_url,
        icon="🎧",
        help=f"Log in to Spotify; it sends you back to {login.redirect_uri} (register that address "
        "in your Spotify app's Redirect URIs).",
    )
    return None


def _spotify_client(token: dict | None):  # -> spotipy.Spotify | None
    from emuse.music import auth

    if token:
        return auth.client_from_token(token["access_token"])
    creds = auth.credentials(secrets())
    return auth.sync_client(creds) if creds is not None and creds.can_sync else None


def _forget_playlist_edits() -> None:
    for key in [k for k in st.session_state if str(k).startswith("_pl_")]:
        del st.session_state[key]


def playlist_sync_panel(token: dict | None) -> None:
    """Last synced time; a sync button with a progress bar (prominent when a sync is due); the last summary."""
    from datetime import UTC, datetime

    from emuse.music import auth, store
    from emuse.music import sync as music_sync

    last = music_sync.last_synced()
    creds = auth.credentials(secrets())
    can_sync = bool(token) or (creds is not None and creds.can_sync)
    when = "never" if last is None else f"{last:%Y-%m-%d %H:%M} UTC ({(datetime.now(UTC) - last).days} days ago)"
    st.caption(f"Last synced from Spotify: {when}")
    if not can_sync:
        st.caption(
            "Syncing needs Spotify credentials (`SPOTIPY_CLIENT_ID` and `SPOTIPY_CLIENT_SECRET` or a refresh "
            "token) or Connect Spotify; see docs/music.md."
        )
    else:
        due = music_sync.is_stale()
        if due:
            st.warning("The playlists haven't been synced from Spotify for over a week.", icon="🔄")
        if st.button("🔄 Sync from Spotify now", type="primary" if due else "secondary", key="music_sync"):
            bar = st.progress(0.0, text="Connecting to Spotify…")
            try:
                report = music_sync.sync(_spotify_client(token), progress=lambda f, text: bar.progress(f, text=text))
            except (auth.AuthError, store.PlaylistError) as exc:
                st.session_state["_music_sync_summary"] = (False, [str(exc)])
            else:
                st.session_state["_music_sync_summary"] = (not report.failed, report.lines())
            _forget_playlist_edits()
            st.rerun()
    summary = st.session_state.get("_music_sync_summary")
    if summary:
        ok, lines = summary
        (st.success if ok else st.error)(
            "Sync "
            + ("finished" if ok else "finished with problems")
            + ":\n\n"
            + "\n".join(f"- {_md(line)}" for line in lines)
        )


def playlist_editor(emotion: str, token: dict | None) -> None:
    """Edit one emotion's songs: table (edit, delete, reorder by position), add by link, import, save."""
    import pandas as pd

    from emuse.music import editing, store

    path = store.playlist_path(emotion)
    key = f"_pl_{emotion}"
    if key not in st.session_state:
        try:
            loaded = store.read_playlist_file(path)
        except store.PlaylistError as exc:
            _repair_playlist(emotion, path, str(exc))
            return
        st.session_state[key] = {"tracks": loaded.tracks, "version": loaded.version, "gen": 0, "dirty": False}
    work = st.session_state[key]
    st.caption(
        f"{len(work['tracks'])} songs in `{path.name}`. Edit cells, delete rows (select, then 🗑), "
        "change **#** to reorder, then **Save**."
    )
    edited = st.data_editor(
        pd.DataFrame(
            editing.tracks_to_rows(work["tracks"]),
            columns=[*editing.EDITOR_COLUMNS, "source", "duration_ms", "added_at"],
        ),
        key=f"{key}_table_{work['gen']}",
        num_rows="dynamic",
        hide_index=True,
        column_order=editing.EDITOR_COLUMNS,
        disabled=["from", "url"],
        column_config={
            "position": st.column_config.NumberColumn("#", step=1, width="small"),
            "name": st.column_config.TextColumn("Song", required=True),
            "from": st.column_config.TextColumn("From"),
            "track_id": st.column_config.TextColumn("Spotify track ID", help="22 characters, or a track link"),
            "url": st.column_config.LinkColumn("Spotify", display_text="open ↗"),
        },
        width="stretch",
    )
    rows = edited.to_dict("records")

    def adopt(tracks: list) -> None:
        work.update(tracks=tracks, gen=work["gen"] + 1, dirty=True)
        st.rerun()

    with st.expander("➕ Add a song by Spotify link, or import a CSV"):
        with st.form(f"{key}_add", clear_on_submit=True):
            link = st.text_input("Spotify track link", placeholder="https://open.spotify.com/track/…")
            c1, c2 = st.columns(2)
            name = c1.text_input("Song name (filled in from Spotify when connected)")
            artists = c2.text_input("Artists")
            if st.form_submit_button("Add"):
                try:
                    adopt([*editing.rows_to_tracks(rows), _track_from_link(link, name, artists, token)])
                except (store.PlaylistError, RuntimeError) as exc:
                    st.error(str(exc))
        upload = st.file_uploader(
            "Import a CSV (this layout or the original `,Name,Album,Artist`)",
            type="csv",
            key=f"{key}_import_{work['gen']}",
        )
        if upload is not None and st.button("Import these songs", key=f"{key}_import_go"):
            try:
                adopt(editing.rows_to_tracks(rows) + store.import_csv(upload.getvalue(), upload.name))
            except store.PlaylistError as exc:
                st.error(str(exc))
    c1, c2 = st.columns([1, 1])
    if c1.button("💾 Save", key=f"{key}_save", type="primary"):
        try:
            tracks = editing.rows_to_tracks(rows)
            version = store.save_playlist(emotion, tracks, work["version"])
        except store.ConflictError as exc:
            st.error(f"Not saved: {exc}", icon="⚠️")
        except store.PlaylistError as exc:
            st.error(f"Not saved: {exc}")
        except OSError as exc:
            st.error(f"Not saved: could not write {path} ({exc.strerror}); your edits are still here")
        else:
            st.session_state[key] = {
                "tracks": store.dedupe(tracks),
                "version": version,
                "gen": work["gen"] + 1,
                "dirty": False,
            }
            st.toast(f"Saved {len(tracks)} songs for {emotion}.", icon="💾")
            st.rerun()
    if c2.button("↩️ Reload from disk (discard edits)", key=f"{key}_reload"):
        del st.session_state[key]
        st.rerun()
    if work["dirty"]:
        st.info("Songs were added; press **Save** to keep them.")


def _track_from_link(link: str, name: str, artists: str, token: dict | None):  # -> music.Track
    from emuse.music import store
    from emuse.music.spotify import SpotifyReadError, fetch_track

    track_id = store.parse_track_ref(link)
    if name.strip():
        return store.manual_track(track_id, name.strip(), artists.strip())
    try:
        client = _spotify_client(token)
    except Exception:  # misconfigured credentials: same advice as having none
        client = None
    if client is None:
        raise store.PlaylistError("type the song name and artists too (or connect Spotify to fill them in)")
    try:
        return fetch_track(client, track_id)
    except SpotifyReadError as exc:
        raise store.PlaylistError(f"{exc}; type the name and artists to add it anyway") from exc


def _repair_playlist(emotion: str, path, problem: str) -> None:
    from emuse.music import store

    st.error(f"This playlist can't be read: {problem}")
    text, version = store.read_raw(path)
    fixed = st.text_area("Fix the file here (CSV text), then save", text, height=300, key=f"_pl_raw_{emotion}")
    if st.button("Save fixed file", key=f"_pl_raw_save_{emotion}"):
        try:
            store.save_raw_playlist(emotion, fixed, version)
        except store.PlaylistError as exc:
            st.error(f"Not saved: {exc}")
        else:
            st.rerun()


def playlist_sources_editor(token: dict | None) -> None:
    """Edit ``sources.csv`` (emotion → Spotify playlist) and, when connected, pick from the user's playlists."""
    import pandas as pd

    from emuse.labels import EMOTIONS
    from emuse.music import editing, store
    from emuse.music.spotify import SpotifyReadError, my_playlists

    st.caption(
        "Which Spotify playlists feed each mood. Paste a playlist link, a `spotify:playlist:` URI or an ID. "
        "Apps in Development Mode can only read playlists the connected user owns or collaborates on."
    )
    try:
        sources = store.read_sources()
    except store.PlaylistError as exc:
        st.error(f"sources.csv can't be read: {exc}. Fix it below; saving replaces the file.")
        sources = []
    edited = st.data_editor(
        pd.DataFrame(editing.sources_to_rows(sources), columns=["emotion", "playlist"]),
        key="_pl_sources_table",
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "emotion": st.column_config.SelectboxColumn("Emotion", options=list(EMOTIONS), required=True),
            "playlist": st.column_config.TextColumn("Spotify playlist", required=True),
        },
        width="stretch",
    )
    if st.button("💾 Save sources", key="_pl_sources_save"):
        try:
            store.save_sources(editing.rows_to_sources(edited.to_dict("records")))
        except store.PlaylistError as exc:
            st.error(f"Not saved: {exc}")
        else:
            st.toast("Saved sources.csv", icon="💾")
            st.session_state.pop("_pl_sources_table", None)
            st.rerun()
    if not token:
        st.caption("Connect Spotify above to pick from your own playlists.")
        return
    try:
        mine = st.session_state.get("_pl_my_playlists")
        if mine is None:
            mine = st.session_state["_pl_my_playlists"] = my_playlists(_spotify_client(token))
    except SpotifyReadError as exc:
        st.error(str(exc))
        return
    with st.form("_pl_pick"):
        picked = st.multiselect("Your playlists", mine, format_func=lambda p: f"{p.name} ({p.total or 0} songs)")
        emotion = st.selectbox("Use them for", EMOTIONS)
        if st.form_submit_button("Add to sources"):
            new = [store.Source(emotion, p.id) for p in picked]
            store.save_sources(sources + new)
            st.session_state.pop("_pl_sources_table", None)
            st.rerun()
