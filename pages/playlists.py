"""Playlists: the songs for each mood, where they come from, and syncing them from Spotify.

Wiring only: the widgets live in ``emuse.ui`` and the rules in ``emuse.music``.
"""

import streamlit as st

from emuse import ui
from emuse.labels import EMOJI, EMOTIONS

ui.use_app_navigation()  # first: see emuse/ui.py
st.title("🎵 Playlists")
st.markdown(
    "Each mood has its own list of songs. Edit them here, or fill them from Spotify playlists "
    "(the **Sources** tab) and sync. Songs without a Spotify track ID link to a Spotify search."
)

token = ui.spotify_connect()
ui.playlist_sync_panel(token)

tabs = st.tabs([f"{EMOJI[e]} {e}" for e in EMOTIONS] + ["🔗 Sources"])
for emotion, tab in zip(EMOTIONS, tabs, strict=False):
    with tab:
        ui.playlist_editor(emotion, token)
with tabs[-1]:
    ui.playlist_sources_editor(token)
