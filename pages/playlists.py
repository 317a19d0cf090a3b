import streamlit as st

st.title("🎵 Playlists")
st.info("Coming soon.")
