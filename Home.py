"""eMuse entry point: ``streamlit run Home.py``.

This file applies the process-wide patches (once per process, see emuse/ui/runtime.py),
declares the pages (explicit URL paths, so links and tests can rely on ``/live``,
``/history``, ``/train`` and ``/playlists``) and runs the chosen one.
"""

import streamlit as st

from emuse.ui import runtime

runtime.apply()
st.set_page_config(page_title="eMuse", page_icon="🎵", layout="wide")

pages = [
    # Material icons ship with Streamlit's front end: they render without an emoji font.
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/live.py", title="Live", icon=":material/videocam:", url_path="live"),
    st.Page("pages/history.py", title="Mood History", icon=":material/timeline:", url_path="history"),
    st.Page("pages/train.py", title="Train & Evaluate", icon=":material/model_training:", url_path="train"),
    st.Page("pages/playlists.py", title="Playlists", icon=":material/queue_music:", url_path="playlists"),
]
runtime.run_navigation(pages)
