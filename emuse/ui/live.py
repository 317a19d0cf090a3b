"""Live page widgets: the webcam component, the mood block, snapshots and uploads, the songs.

The video callback closes over a :class:`emuse.vision.live.LiveSession`, never over
``st.session_state``: it runs on streamlit-webrtc's worker thread, where Streamlit's
session state must not be touched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import av
import cv2
import streamlit as st
from streamlit_webrtc import WebRtcMode, WebRtcStreamerContext, webrtc_streamer

from emuse import config
from emuse.labels import COLORS, EMOJI, EMOTIONS
from emuse.mood import Mood
from emuse.music import STRATEGIES, Recommender, Track
from emuse.ui import state
from emuse.ui.common import ice_servers, md, webrtc_available
from emuse.ui.history import mood_recorder
from emuse.vision import uploads
from emuse.vision.classifier import EmotionClassifier
from emuse.vision.live import LiveSession
from emuse.vision.media import MediaError


def live_video(session: LiveSession, key: str = "live") -> WebRtcStreamerContext | None:
    """The webcam component, wired to ``session.process``; ``None`` where WebRTC can't run (AppTest).

    Frames the server can't keep up with are dropped, not queued: see
    :func:`emuse.ui.runtime.drop_stale_frames`, applied once by ``Home.py``.
    """
    if not webrtc_available():
        return None
    try:
        servers = ice_servers()
    except config.ConfigError as exc:
        st.error(f"Live video is off: {exc}")
        return None

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


def mood_html(mood: Mood | None) -> str:
    """The smoothed mood and one bar per emotion as a single HTML block (one cheap update per refresh)."""
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


def show_still_result(
    classifier: EmotionClassifier, data: bytes, name: str, mime: str | None
) -> uploads.StillResult | None:
    """Run a snapshot or upload through the pipeline, show the annotated picture and mood, return the result."""
    try:
        with st.spinner("Analysing…"):
            if uploads.is_video(name, mime):
                result = uploads.analyze_video(classifier, data, name)
            else:
                result = uploads.analyze_image(classifier, data, name)
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


def record_still_once(mood: Mood | None, source: str, data: bytes) -> None:
    """Record a snapshot's or upload's mood once, not again on every rerun that shows it."""
    if mood is None:
        return
    digest = hashlib.sha256(data).hexdigest()
    seen = st.session_state.setdefault(state.RECORDED_STILLS, set())
    recorder = mood_recorder(source)
    if digest in seen or recorder is None:
        return
    recorder.reset()  # a new picture is a new observation, not a heartbeat of the last one
    if recorder.observe(mood):  # not written (recording off, database busy): try again on a later rerun
        seen.add(digest)


def strategy_select(key: str = state.MUSIC_STRATEGY) -> str:
    """ "Match my mood" or "Lift my mood"; returns the strategy key for :class:`emuse.music.Recommender`."""
    return (
        st.segmented_control("Music", list(STRATEGIES), format_func=STRATEGIES.get, default="match", key=key) or "match"
    )


def track_list(tracks: Sequence[Track], *, players: bool = True, max_players: int = 5) -> None:
    """Songs with the Spotify embed player (rows with a track ID) and an "open in Spotify" link.

    At most ``max_players`` iframes, because each one is a full web player in the
    browser; the rest are links.
    """
    shown = 0
    for track in tracks:
        if players and track.embed_url and shown < max_players:
            st.iframe(track.embed_url, height=80)
            st.markdown(f"[Open “{md(track.name)}” in Spotify ↗]({track.open_url})")
            shown += 1
        else:
            verb = "Open in Spotify" if track.track_id else "Find on Spotify"
            st.markdown(f"🎵 **{md(track.name)}** — {md(track.artists)} · [{verb} ↗]({track.open_url})")


def songs_for_mood(emotion: str | None, strategy: str, source: str = "live") -> None:
    """The songs block: a handful for the smoothed mood, changing only when the mood does.

    One :class:`emuse.music.Recommender` per browser session, so songs don't repeat until
    the playlists are exhausted. Each new handful is recorded in the mood history.
    """
    recommender = st.session_state.get(state.RECOMMENDER)
    if recommender is None:
        recommender = st.session_state[state.RECOMMENDER] = Recommender(strategy=strategy, n=5)
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
    st.button("🔀 Other songs", key=state.more_songs(source), on_click=recommender.more)
    recorder = mood_recorder(source)
    if recorder is not None:
        recorder.songs_shown(current.emotion, tracks)  # once per distinct list, however often the page reruns
