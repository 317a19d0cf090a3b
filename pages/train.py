import streamlit as st

st.title("🧠 Train & Evaluate")
st.info("Coming soon.")
