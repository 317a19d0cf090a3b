"""Mood History: your recorded moods and songs as charts, with filters, a CSV download and privacy controls.

Wiring only: the rows come from emuse.history.store, the figures from
emuse.history.charts. No TensorFlow is imported here, so the page opens fast.
"""

import streamlit as st

from emuse.history import charts
from emuse.history.store import HistoryError
from emuse.ui import runtime, state
from emuse.ui.common import browser_timezone
from emuse.ui.history import delete_controls, history_store, recording_toggle

runtime.enter_through_home()  # first: see emuse/ui/runtime.py
st.title("📈 Mood History")
history = history_store()
if history is None:
    st.stop()

tz = charts.zone(browser_timezone())
try:
    sessions = history.sessions()
except HistoryError as exc:
    st.error(f"Mood history is unavailable: {exc}")
    st.stop()

if done := st.session_state.pop(state.HISTORY_SUCCESS, None):  # set by the delete button's callback
    st.success(done)
if failed := st.session_state.pop(state.HISTORY_ERROR, None):
    st.error(failed)

chosen: list[str] = []
if sessions.empty:
    st.info(
        "**No moods recorded yet.** Open the Live page and press START: while *Record my moods* is on, "
        "eMuse notes your mood when it changes (and every few seconds while it holds) and the songs it "
        "suggests. Come back here to see your moods over time. You can also record from the command line "
        "with `python -m emuse analyze photo.jpg --record`."
    )
    st.markdown("[🎥 Go to Live](./live)")
else:
    first, last = (sessions[c].min() if c == "first" else sessions[c].max() for c in ("first", "last"))
    first_day, last_day = first.astimezone(tz).date(), last.astimezone(tz).date()
    date_col, session_col = st.columns([1, 2])
    picked = date_col.date_input("Dates", value=(first_day, last_day), min_value=first_day, max_value=last_day)
    labels = charts.session_labels(sessions, tz)
    chosen = session_col.multiselect(
        "Sessions", list(labels), format_func=labels.__getitem__, placeholder="All sessions"
    )
    start_day, end_day = (picked[0], picked[-1]) if picked else (first_day, last_day)  # one date while picking
    start, end = charts.day_range(start_day, end_day, tz)
    try:
        moods, songs = history.moods(start, end, chosen or None), history.songs(start, end, chosen or None)
    except HistoryError as exc:
        st.error(f"Could not read the history: {exc}")
        st.stop()

    spans = charts.spans(moods)
    numbers = charts.summary(spans, songs)
    a, b, c, d = st.columns(4)
    a.metric("Time recorded", f"{numbers['minutes']:.0f} min")
    b.metric("Most of the time", f"{numbers['top']}" if numbers["top"] else "–")
    c.metric("Sessions", numbers["sessions"])
    d.metric("Songs", numbers["songs"])

    st.subheader("Your moods over time")
    st.plotly_chart(charts.timeline_figure(charts.bands(spans)), key="timeline")
    share_col, songs_col = st.columns(2)
    with share_col:
        st.subheader("Share of each mood")
        st.plotly_chart(charts.share_figure(spans), key="share")
    with songs_col:
        st.subheader("Songs per mood")
        st.plotly_chart(charts.songs_figure(songs), key="songs")
    hour_tab, day_tab, top_tab = st.tabs(["By hour of day", "By day of week", "Top songs"])
    hour_tab.plotly_chart(charts.hour_figure(spans, tz), key="hours")
    day_tab.plotly_chart(charts.weekday_figure(spans, tz), key="weekdays")
    top_tab.dataframe(
        charts.top_songs(songs),
        hide_index=True,
        column_config={"url": st.column_config.LinkColumn("Spotify", display_text="open")},
    )
    st.download_button(
        "⬇️ Download these rows (CSV)",
        charts.export_csv(moods, songs),
        file_name=f"emuse-history-{start_day}-to-{end_day}.csv",
        mime="text/csv",
        on_click="ignore",
    )
    st.caption(f"Times in {tz.key}. Stored in {history.where}.")

st.divider()
st.subheader("🔒 Privacy")
st.markdown(
    "eMuse records only the **smoothed mood** (emotion, confidence and the seven scores), the time, a random "
    "session id and the songs suggested: never a picture or a video frame."
)
recording_toggle()
if not sessions.empty:
    delete_controls(history, chosen)
