"""Live page widgets: the webcam component, the mood block, snapshots and uploads, the songs.

The video callback closes over a :class:`emuse.vision.live.LiveSession`, never over
``st.session_state``: it runs on streamlit-webrtc's worker thread, where Streamlit's
session state must not be touched.
"""

from __future__ import annotations

import hashlib

import av
import cv2
import streamlit as st
from streamlit_webrtc import WebRtcMode, WebRtcStreamerContext, webrtc_streamer

from emuse import config
from emuse.labels import COLORS, EMOJI, EMOTIONS
from emuse.mood import Mood
from emuse.music import STRATEGIES
from emuse.ui import state
from emuse.ui.common import ice_servers, webrtc_available
from emuse.ui.history import mood_recorder
from emuse.ui.songs import recommender, songs_block
from emuse.vision import uploads
from emuse.vision.calibration import Calibration
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


def calibration() -> Calibration:
    """This browser session's calibration, learned from the person's corrections (never stored as a picture)."""
    return st.session_state.setdefault(state.CALIBRATION, Calibration())


def _correct(source: str, shown: str, scores: tuple[float, ...], key: str) -> None:
    """ "Not right? I'm …" callback: learn from it, record it (numbers only), reset the pills."""
    chosen = st.session_state.get(key)
    st.session_state[key] = None
    if not chosen:
        return
    cal = calibration()
    raw = tuple(float(v) for v in cal.uncalibrate(scores))  # what the classifier itself said
    cal.add(raw, chosen)
    recorder = mood_recorder(source)
    if recorder is not None:
        recorder.correction(shown, chosen, raw)
    st.toast(f"Thanks. eMuse now reads you as {chosen} more readily.", icon=EMOJI[chosen])


def correction_pills(mood: Mood | None, source: str) -> None:
    """Beside the mood: "Not right? I'm …" in one click, and what eMuse has learned from corrections so far."""
    cal = calibration()
    if mood is not None:
        key = state.correction(source, mood.label)
        st.pills(
            "Not right? I'm …",
            [e for e in EMOTIONS if e != mood.label],
            format_func=lambda e: f"{EMOJI[e]} {e}",
            key=key,
            on_change=_correct,
            args=(source, mood.label, mood.scores, key),
        )
    if cal.corrections:
        text, reset = st.columns([3, 1])
        plural = "correction" if cal.corrections == 1 else "corrections"
        text.caption(f"eMuse has learned from {cal.corrections} of your {plural}.")
        reset.button("Forget them", key=state.calibration_reset(source), on_click=cal.reset)


def show_still_result(
    classifier: EmotionClassifier, data: bytes, name: str, mime: str | None, source: str, strategy: str
) -> uploads.StillResult | None:
    """A snapshot or upload through the pipeline: the annotated picture, its mood and its own songs beside it.

    A result with no face clears that source's songs; the songs of a picture are picked
    once (the same picture on a rerun keeps them).
    """
    rec = recommender(source, strategy)
    try:
        with st.spinner("Analysing…"):
            analyze = uploads.analyze_video if uploads.is_video(name, mime) else uploads.analyze_image
            result = analyze(classifier, data, name, calibration=calibration())
    except MediaError as exc:
        rec.clear()
        st.error(f"{exc}")
        return None
    picture, verdict = st.columns([3, 2])
    picture.image(cv2.cvtColor(result.annotated, cv2.COLOR_BGR2RGB), width="stretch")
    with verdict:
        st.markdown(mood_html(result.mood), unsafe_allow_html=True)
        frames = f" in {result.frames} sampled frames" if result.frames > 1 else ""
        st.caption(f"{result.faces} face{'s' if result.faces != 1 else ''} found{frames}.")
        if result.mood is None:
            rec.clear()
            st.session_state.pop(state.still_digest(source), None)
            st.info("No face found. Face the camera, with your whole face in the picture and good light.")
            return result
        correction_pills(result.mood, source)
        digest = hashlib.sha256(data).hexdigest()
        if st.session_state.get(state.still_digest(source)) != digest or rec.current.emotion is None:
            rec.pick_now(result.mood.label, result.mood.scores)
            st.session_state[state.still_digest(source)] = digest
        songs_block(rec, source, max_players=3, pin=False)
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
