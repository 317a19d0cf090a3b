"""Live: your webcam, your mood, songs for it. Snapshot and upload when WebRTC can't connect."""

import queue

import streamlit as st

from emuse import config, registry
from emuse.ui import resources, runtime, state
from emuse.ui.history import mood_recorder, recording_toggle
from emuse.ui.live import (
    calibration,
    correction_pills,
    detector_select,
    live_video,
    mood_html,
    record_still_once,
    renew_live_slot,
    show_still_result,
    strategy_select,
)
from emuse.ui.live_choices import follow_select, snapshot_camera
from emuse.ui.live_stream import watch_stream
from emuse.ui.songs import follow_live_mood, recommender, song_note, songs_block
from emuse.vision.frame_analysis import FOLLOW
from emuse.vision.live import LiveSession

runtime.enter_through_home()  # first: see emuse/ui/runtime.py
st.title("Live")

models = [info.name for info in registry.list_models()]
if not models:
    st.error("No emotion model in the models folder. Restore `models/` from git, or train one on the Train page.")
    st.stop()
with st.sidebar:
    model_name = st.selectbox("Emotion model", models, help="Registered models; the first is the default.")
    detector = detector_select()
    strategy = strategy_select()
    recording_toggle()

try:
    classifier = resources.classifier(model_name)
except registry.ModelError as exc:
    st.error(f"{exc}")
    st.stop()

# One LiveSession per browser session; the video thread gets it through the callback, never via session_state.
live: LiveSession | None = st.session_state.get(state.LIVE_SESSION)
if live is None or live.model_name != model_name or live.detector_asked != detector.kind:
    live = st.session_state[state.LIVE_SESSION] = LiveSession(classifier, detector_settings=detector)
if live.detector_note:
    st.sidebar.caption(live.detector_note)
live.analyzer.calibration = calibration()  # the person's corrections, applied in the video thread
songs = recommender("live", strategy)
with st.sidebar:
    follow = follow_select(live)

video_col, mood_col = st.columns([3, 2])
with video_col:
    ctx = live_video(live)  # early in the script, so a rerun under load doesn't lose the stream (None: it said why)
playing = bool(ctx and ctx.state.playing)
reconnecting = bool(st.session_state.get(state.LIVE_RECONNECTING))
if not playing and not reconnecting:
    live.reset()
    st.session_state.pop(state.LIVE_LAST_UPDATE, None)


@st.fragment(run_every=0.5 if playing or reconnecting else None)
def mood_panel() -> None:
    """Re-run on its own twice a second while streaming: only this panel refreshes, not the page."""
    watch_stream(live, playing)
    if reconnecting and not playing:
        st.caption("Reconnecting the video…")
        return
    if not playing:
        if ctx is not None:  # without the component (busy, no WebRTC) there is no START to press
            st.caption("Press **START** and allow the camera. Your video is analysed in memory and never stored.")
        return
    renew_live_slot()  # twice a second while streaming: this session keeps its live slot
    try:
        update = live.updates.get_nowait()
        st.session_state[state.LIVE_LAST_UPDATE] = update
    except queue.Empty:
        update = st.session_state.get(state.LIVE_LAST_UPDATE)
    if update is None:
        st.markdown(mood_html(None), unsafe_allow_html=True)
        st.caption("Waiting for the first frame…")
        return
    st.markdown(mood_html(update.mood), unsafe_allow_html=True)
    st.caption(
        f"{update.frames} frames analysed · {update.fps:.1f} fps · callback {update.callback_ms:.1f} ms "
        f"· {update.faces} face{'s' if update.faces != 1 else ''} · model {live.model_name} · {live.detector}"
    )
    if update.faces > 1:
        st.caption(f"Music follows {FOLLOW[follow]} (the heavier box).")
    correction_pills(update.mood, "live")
    recorder = mood_recorder("live")
    if recorder is not None:
        recorder.observe(update.mood)
    if update.mood:
        st.session_state[state.LIVE_MOOD] = update.mood.label
    if follow_live_mood(songs, update.mood):
        st.rerun(scope="app")  # a new mood held long enough: new songs below the video
    song_note(songs, update.mood)


with mood_col:
    mood_panel()
    songs_block(songs, "live")  # the live stream's songs; a snapshot or upload shows its own beside it

st.divider()
st.subheader("No live video? Use a snapshot or a file")
snap_tab, upload_tab = st.tabs(["Snapshot", "Upload a photo or video"])
for tab, source in ((snap_tab, "snapshot"), (upload_tab, "upload")):
    with tab:
        if source == "snapshot":
            picture = snapshot_camera()
        else:
            picture = st.file_uploader(
                "Image or video",
                type=["jpg", "jpeg", "png", "bmp", "webp", "mp4", "webm", "mov", "avi", "mkv"],
                max_upload_size=config.live_upload_limit_bytes() // 2**20,  # not the 400 MB meant for FER2013
            )
        if picture is None:
            recommender(source, strategy).clear()  # the picture was removed: so are its songs
        else:
            result = show_still_result(
                classifier, picture.getvalue(), picture.name, picture.type, source, strategy, detector
            )
            if result is not None and result.mood is not None:
                record_still_once(result.mood, source, picture.getvalue())
