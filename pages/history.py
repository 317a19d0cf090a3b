import streamlit as st

st.title("📈 Mood History")
st.info("Coming soon.")
