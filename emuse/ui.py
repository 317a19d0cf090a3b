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
    from emuse.vision.classifier import EmotionClassifier

    return EmotionClassifier(model_name)


def live_video(session, key: str = "live"):  # session: emuse.vision.live.LiveSession
    """The webcam component, wired to ``session.process``; ``None`` where WebRTC can't run (AppTest).

    The callback closes over the session object, not over ``st.session_state``: it runs on
    streamlit-webrtc's worker thread, where Streamlit's session state must not be touched.
    """
    if not webrtc_available():
        return None
    import av
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    def on_frame(frame: av.VideoFrame) -> av.VideoFrame:
        image = session.process(frame.to_ndarray(format="bgr24"))
        return av.VideoFrame.from_ndarray(image, format="bgr24")

    return webrtc_streamer(
        key=key,
        mode=WebRtcMode.SENDRECV,
        rtc_configuration={"iceServers": ice_servers()},
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


def show_still_result(classifier, data: bytes, name: str, mime: str | None) -> None:
    """Run a snapshot or upload through the pipeline and show the annotated picture and the mood."""
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
        return
    picture, verdict = st.columns([3, 2])
    picture.image(cv2.cvtColor(result.annotated, cv2.COLOR_BGR2RGB), use_container_width=True)
    with verdict:
        st.markdown(mood_html(result.mood), unsafe_allow_html=True)
        frames = f" in {result.frames} sampled frames" if result.frames > 1 else ""
        st.caption(f"{result.faces} face{'s' if result.faces != 1 else ''} found{frames}.")
        if result.mood is None:
            st.info("No face found. Face the camera, with your whole face in the picture and good light.")


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
