"""The landing page: what eMuse does and where to go. Deliberately free of TensorFlow."""

import streamlit as st

from emuse import registry
from emuse.labels import EMOJI, EMOTIONS
from emuse.ui import runtime

runtime.enter_through_home()  # first: see emuse/ui/runtime.py
st.title("🎵 eMuse")
st.markdown(
    "**eMuse watches your face through your webcam, recognises your mood and plays music for it.** "
    "Everything runs on this server: your video is analysed frame by frame in memory and never saved."
)
st.markdown(" ".join(f"{EMOJI[label]} {label}" for label in EMOTIONS))

col1, col2 = st.columns(2)
with col1:
    st.page_link("pages/live.py", label="Start the camera", icon="🎥")
    st.caption("See your mood live, with songs that fit it. No camera? Take a snapshot or upload a photo.")
    st.page_link("pages/history.py", label="Mood History", icon="📈")
    st.caption("Your moods and songs over time.")
with col2:
    st.page_link("pages/playlists.py", label="Playlists", icon="🎵")
    st.caption("The songs for each mood: edit them, or sync them from Spotify.")
    st.page_link("pages/train.py", label="Train & Evaluate", icon="🧠")
    st.caption("Train your own model on FER2013 and see where it confuses emotions.")

models = registry.list_models()
if models:
    default = models[0]
    source = default.meta.get("source", {})
    st.caption(
        f"Model: **{default.name}** ({default.meta.get('architecture', 'CNN')}, "
        f"{default.input_shape[0]}x{default.input_shape[1]} grayscale)"
        + (f", from {source.get('package')}" if isinstance(source, dict) and source.get("package") else "")
    )
else:
    st.warning("No emotion model found in the models folder. Restore `models/` from git or train one.")
