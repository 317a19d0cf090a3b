"""The landing page, where a class starts: what eMuse does, the four pages, the model, one button.

Deliberately free of TensorFlow: the links and the picture come first and appear at
once; the model line reads only ``meta.json``.
"""

from pathlib import Path

import streamlit as st

from emuse.ui import runtime
from emuse.ui.home import model_summary, show_outlook

runtime.enter_through_home()  # first: see emuse/ui/runtime.py
PICTURE = Path(__file__).resolve().parents[1] / "docs" / "home-example.png"  # made by docs/make_home_picture.py

st.title("eMuse")
st.markdown(
    "**eMuse watches your face through your webcam, recognises your mood and plays music for it.** "
    "Everything runs on this server: your video is analysed frame by frame in memory and never saved, "
    "and the camera starts only when you press START."
)
if st.button("Start the camera", type="primary", icon=":material/videocam:"):
    st.switch_page("pages/live.py")

col1, col2 = st.columns(2)
with col1:
    st.page_link("pages/live.py", label="Live", icon=":material/videocam:")
    st.caption("See your mood live, with songs that fit it. No camera? Take a snapshot or upload a photo.")
    st.page_link("pages/history.py", label="Mood History", icon=":material/timeline:")
    st.caption("Your moods and songs over time.")
with col2:
    st.page_link("pages/playlists.py", label="Playlists", icon=":material/queue_music:")
    st.caption("The songs for each mood: edit them, or sync them from Spotify.")
    st.page_link("pages/train.py", label="Train & Evaluate", icon=":material/model_training:")
    st.caption("Train your own model on FER2013 and see where it confuses emotions.")

if PICTURE.exists():
    st.image(
        str(PICTURE),
        caption="What the Live page does: a box on each face with its mood, how sure eMuse is, and songs for it.",
    )
st.caption("It knows seven emotions: angry, disgust, fear, happy, sad, surprise and neutral.")

summary = model_summary()
if summary is None:
    st.warning("No emotion model found in the models folder. Restore `models/` from git or train one.")
else:
    st.markdown(summary)
show_outlook()
