"""Live page widgets: the webcam component, the mood block, snapshots and uploads, the songs.

The video callback closes over a :class:`emuse.vision.live.LiveSession`, never over
``st.session_state``: it runs on streamlit-webrtc's worker thread, where Streamlit's
session state must not be touched.

Stalled streams are noticed and reconnected by :mod:`emuse.ui.live_stream`.
"""

from __future__ import annotations

import hashlib
import logging
import secrets as secrets_module
import time
from typing import Any

import av
import cv2
import streamlit as st
from streamlit_webrtc import (
    WebRtcMode,
    WebRtcStreamerContext,
    get_cloudflare_ice_servers,
    get_hf_ice_servers,
    get_twilio_ice_servers,
    webrtc_streamer,
)

from emuse import config
from emuse.labels import COLORS, EMOJI, EMOTIONS
from emuse.mood import Mood, in_words
from emuse.music import STRATEGIES
from emuse.ui import resources, state
from emuse.ui.common import secrets, webrtc_available
from emuse.ui.history import mood_recorder
from emuse.ui.live_stream import keep_stream_across_reruns, stream_key
from emuse.ui.songs import recommender, songs_block
from emuse.vision import uploads
from emuse.vision.calibration import Calibration
from emuse.vision.classifier import EmotionClassifier
from emuse.vision.detect import DETECTORS, DetectorSettings, default_detector
from emuse.vision.live import LiveSession, LiveSlots
from emuse.vision.media import MediaError

log = logging.getLogger(__name__)


#: Seconds after START without a connected stream before the page says why and offers the fallbacks.
CONNECT_TIMEOUT_S = 20.0


def ice_setup() -> tuple[list[dict[str, Any]], str]:
    """The ICE servers for the browser and the server, and what to call them on the page.

    An explicit ``ice_servers`` setting wins; else, with a TURN provider's keys (from the
    environment or ``st.secrets``: streamlit-webrtc's own helpers read only the
    environment), those helpers fetch short-lived credentials (cached for an hour);
    else Google's public STUN server. A failed fetch falls back to STUN and says so.
    Raises :class:`emuse.config.ConfigError` for a malformed setting.
    """
    plan = config.ice_plan(secrets())
    if plan.kind != "provider":
        return plan.servers or [], plan.description
    keys = plan.keys
    try:
        if plan.provider == "Cloudflare TURN":
            servers = get_cloudflare_ice_servers(keys["CLOUDFLARE_TURN_KEY_ID"], keys["CLOUDFLARE_TURN_KEY_API_TOKEN"])
        elif plan.provider == "Twilio TURN":
            servers = get_twilio_ice_servers(keys["TWILIO_ACCOUNT_SID"], keys["TWILIO_AUTH_TOKEN"])
        else:
            servers = [*get_hf_ice_servers(keys["HF_TOKEN"]), *config.DEFAULT_ICE_SERVERS]
    except Exception as exc:  # the helpers raise ValueError, ImportError (twilio) or the provider's own errors
        log.warning("TURN credentials from %s failed: %s", plan.provider, type(exc).__name__)
        return [dict(s) for s in config.DEFAULT_ICE_SERVERS], (
            f"{plan.provider} credentials could not be fetched ({type(exc).__name__}); STUN only for now"
        )
    return [dict(server) for server in servers], plan.description


def connection_hint(connecting_since: float | None, now: float, playing: bool) -> str | None:
    """What to say when START hasn't given a stream within :data:`CONNECT_TIMEOUT_S`, else ``None``."""
    if playing or connecting_since is None or now - connecting_since < CONNECT_TIMEOUT_S:
        return None
    return (
        f"The live video hasn't connected after {now - connecting_since:.0f} s. Your network (or the server's) "
        "probably blocks WebRTC's direct connections, and no TURN relay is configured to get around it "
        "(see 'Connection' above). Take a snapshot or upload a photo or video below instead: "
        "they work over plain HTTPS."
    )


def _slot_id() -> str:
    return st.session_state.setdefault(state.LIVE_SLOT, secrets_module.token_hex(8))


def busy_message(limit: int) -> str:
    return (
        f"The server is busy: all {limit} live video slot{'s are' if limit != 1 else ' is'} in use. "
        "Try the snapshot or an upload below (they always work), or try live video again in a minute."
    )


def renew_live_slot() -> bool:
    """Renew this session's live slot (call while streaming); ``False`` when someone else holds it now."""
    return resources.current_live_slots().acquire(_slot_id())


def live_video(session: LiveSession, key: str | None = None) -> WebRtcStreamerContext | None:
    """The webcam component, wired to ``session.process``; ``None``, having said why, where it can't run.

    ``None`` when the server is busy, the ICE setup is broken, or WebRTC can't run (AppTest).

    Frames the server can't keep up with are dropped, not queued: see
    :func:`emuse.ui.runtime.drop_stale_frames`, applied once by ``Home.py``. When every
    live slot is taken (``EMUSE_MAX_LIVE_SESSIONS``) the component isn't shown at all:
    the visitor is told the server is busy instead of getting a black box.
    """
    key = key or stream_key()
    try:
        slots = resources.current_live_slots()
        plan = config.ice_plan(secrets())
    except config.ConfigError as exc:
        st.error(f"Live video is off: {exc}")
        return None
    if slots.is_full_for(_slot_id()):
        st.warning(busy_message(slots.limit), icon="⏳")
        return None
    if not webrtc_available():
        st.caption(f"Connection: {plan.description}")
        st.info("Live video needs a browser connection to the server; use a snapshot or an upload below.")
        return None
    try:
        servers, description = ice_setup()
    except config.ConfigError as exc:
        st.error(f"Live video is off: {exc}")
        return None
    st.caption(f"Connection: {description}")

    slot_id = _slot_id()

    def on_frame(frame: av.VideoFrame) -> av.VideoFrame:
        slots.acquire(slot_id)  # frames flowing renew the slot; a vanished tab's slot lapses within its TTL
        image = session.process(frame.to_ndarray(format="bgr24"))
        return av.VideoFrame.from_ndarray(image, format="bgr24")

    keep_stream_across_reruns(st.session_state.get(key), st.session_state.get(state.LAST_COMPLETED_PAGE))
    reconnecting = bool(st.session_state.get(state.LIVE_RECONNECTING))
    ctx = webrtc_streamer(
        key=key,
        mode=WebRtcMode.SENDRECV,
        rtc_configuration={"iceServers": servers},
        media_stream_constraints={"video": {"width": 640, "height": 480}, "audio": False},
        video_frame_callback=on_frame,
        async_processing=True,
        # Only while reconnecting: the new component starts by itself (the person pressed START already).
        # Left on, it would restart the stream whenever the person presses STOP.
        desired_playing_state=True if reconnecting else None,
    )
    _track_connection(ctx, slots)
    if reconnecting and ctx.state.playing:
        st.session_state.pop(state.LIVE_RECONNECTING, None)
    return ctx


def _track_connection(ctx: WebRtcStreamerContext, slots: LiveSlots) -> None:
    """Take the slot while streaming, give it back on STOP, and watch a START that doesn't connect."""
    if ctx.state.playing:
        st.session_state.pop(state.LIVE_CONNECTING_SINCE, None)
        if not slots.acquire(_slot_id()):  # two STARTs raced for the last slot: this one lost
            st.warning(busy_message(slots.limit), icon="⏳")
        return
    slots.release(_slot_id())
    if ctx.state.signalling:
        since = st.session_state.setdefault(state.LIVE_CONNECTING_SINCE, time.monotonic())
        _connection_watch(since)
    else:
        st.session_state.pop(state.LIVE_CONNECTING_SINCE, None)


@st.fragment(run_every=2.0)
def _connection_watch(since: float) -> None:
    """Re-checks every 2 s while START is connecting; says why and what to do once it takes too long."""
    hint = connection_hint(since, time.monotonic(), playing=False)
    if hint:
        st.warning(hint, icon="📡")


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
        f"<div style='color:#666;margin-bottom:.4rem'>{in_words(mood)} ({mood.confidence:.0%})</div>{rows}"
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


@st.cache_data(max_entries=8, ttl=3600, show_spinner=False)
def analyze_still(
    digest: str,
    model: str,
    detector: str,
    name: str,
    video: bool,
    _classifier: EmotionClassifier,
    _data: bytes,
    calibrated: tuple[float, ...] = (),
    _calibration: Calibration | None = None,
) -> uploads.StillResult:
    """An upload's analysis, cached by content hash, model, detector and calibration (not the bytes themselves).

    Every click on the page ("Other songs", a strategy) reruns the script; a 4K video
    took 17-25 s to decode and analyse each time. The same bytes with the same model
    and the same calibration bias (``calibrated``) give the same result, so it is
    computed once (a :class:`MediaError` is not cached).
    """
    analyze = uploads.analyze_video if video else uploads.analyze_image
    return analyze(_classifier, _data, name, DetectorSettings(kind=detector), calibration=_calibration)


def show_still_result(
    classifier: EmotionClassifier,
    data: bytes,
    name: str,
    mime: str | None,
    source: str = "upload",
    strategy: str = "match",
    detector: DetectorSettings | None = None,
) -> uploads.StillResult | None:
    """A snapshot or upload through the pipeline: the annotated picture, its mood and its own songs beside it.

    A result with no face clears that source's songs; the songs of a picture are picked
    once (the same picture on a rerun keeps them).
    """
    rec = recommender(source, strategy)
    limit = config.live_upload_limit_bytes()
    if len(data) > limit:
        rec.clear()
        st.error(
            f"{name} is {len(data) / 2**20:.0f} MB; the Live page analyses files up to {limit // 2**20} MB. "
            "Use a photo or a shorter, smaller clip."
        )
        return None
    cal = calibration()
    try:
        with st.spinner("Analysing…"):
            digest = hashlib.sha256(data).hexdigest()
            kind = (detector or DetectorSettings()).kind
            bias = tuple(round(float(b), 6) for b in cal.bias) if cal.active else ()
            video = uploads.is_video(name, mime)
            result = analyze_still(
                digest, classifier.name, kind, name, video, classifier, data, bias, cal if cal.active else None
            )
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


DETECTOR_LABELS = {"blazeface": "BlazeFace", "haar": "Haar cascade"}


def detector_select(key: str = state.LIVE_DETECTOR) -> DetectorSettings:
    """The face detector for the live video, snapshots and uploads; defaults to ``EMUSE_DETECTOR``."""
    try:
        default = default_detector()
    except config.ConfigError as exc:
        st.error(f"{exc}. Using BlazeFace.")
        default = "blazeface"
    kind = st.segmented_control(
        "Face detector",
        list(DETECTORS),
        format_func=DETECTOR_LABELS.get,
        default=default,
        key=key,
        help="BlazeFace also finds turned, small and partly hidden faces, at a lower cost; the Haar cascade "
        "is the classic frontal-face detector. Both frame the face the same way for the emotion model.",
    )
    return DetectorSettings(kind=kind or default)


def strategy_select(key: str = state.MUSIC_STRATEGY) -> str:
    """ "Match my mood" or "Lift my mood"; returns the strategy key for :class:`emuse.music.Recommender`."""
    return (
        st.segmented_control("Music", list(STRATEGIES), format_func=STRATEGIES.get, default="match", key=key) or "match"
    )
