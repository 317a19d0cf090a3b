"""Playlists: the songs for each mood, where they come from, and syncing them from Spotify.

Wiring only: the widgets live in ``emuse.ui.playlists`` and the rules in ``emuse.music``.
"""

import streamlit as st

from emuse.labels import EMOJI, EMOTIONS
from emuse.ui import playlists, runtime
from emuse.ui.spotify_login import spotify_connect

runtime.enter_through_home()  # first: see emuse/ui/runtime.py
st.title("🎵 Playlists")
st.markdown(
    "Each mood has its own list of songs, and every list starts with real Spotify tracks that play in the "
    "page. Edit them here, or fill them from your own Spotify playlists (the **Sources** tab) and sync. "
    "Songs without a Spotify track ID link to a Spotify search."
)

token = spotify_connect()
playlists.sync_panel(token)

tabs = st.tabs([f"{EMOJI[e]} {e}" for e in EMOTIONS] + ["🔗 Sources"])
for emotion, tab in zip(EMOTIONS, tabs, strict=False):
    with tab:
        playlists.playlist_editor(emotion, token)
with tabs[-1]:
    playlists.sources_editor(token)
