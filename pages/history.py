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
st.title("Mood History")
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
    st.page_link("pages/live.py", label="Go to Live", icon=":material/videocam:")
else:
    first_day, last_day = charts.days_covered(sessions, tz)
    date_col, session_col = st.columns([1, 2])
    start_day, end_day = first_day, last_day
    if first_day < last_day:  # a date filter only once there are two days to choose from
        start_day, end_day = date_col.slider(
            "Dates", min_value=first_day, max_value=last_day, value=(first_day, last_day), format="D MMM YYYY"
        )
    else:
        date_col.markdown(f"**{first_day:%A} {first_day.day} {first_day:%B %Y}**")
    labels = charts.session_labels(sessions, history.session_sources(), tz)
    chosen = session_col.multiselect(
        "Sessions", list(labels), format_func=labels.__getitem__, placeholder="All sessions"
    )
    start, end = charts.day_range(start_day, end_day, tz)
    try:
        moods, songs = history.moods(start, end, chosen or None), history.songs(start, end, chosen or None)
    except HistoryError as exc:
        st.error(f"Could not read the history: {exc}")
        st.stop()

    spans = charts.spans(moods)
    numbers = charts.summary(spans, songs)
    a, b, c, d = st.columns(4)
    a.metric("Time recorded", charts.duration(numbers["minutes"] * 60))
    b.metric("Most of the time", f"{numbers['top']}" if numbers["top"] else "–")
    c.metric("Sessions", numbers["sessions"])
    d.metric("Songs", numbers["songs"])

    st.subheader("Your moods over time")
    st.plotly_chart(charts.timeline_figure(charts.bands(spans, min_seconds=5.0), labels), key="timeline")
    st.caption("Moods that lasted under 5 seconds are drawn as part of their neighbours; the download keeps every row.")
    minutes_col, songs_col = st.columns(2)
    with minutes_col:
        st.subheader("Time in each mood")
        st.plotly_chart(charts.minutes_figure(spans), key="minutes")
    with songs_col:
        st.subheader("Songs per mood")
        st.plotly_chart(charts.songs_figure(songs), key="songs")
    more = {"Top songs": None}
    if charts.distinct_hours(spans, tz) >= 3:  # one or two bars say nothing about the time of day
        more["By hour of day"] = charts.hour_figure(spans, tz)
    if charts.distinct_days(spans, tz) >= 2:
        more["By day of week"] = charts.weekday_figure(spans, tz)
    for tab, (name, figure) in zip(st.tabs(list(more)), more.items(), strict=True):
        if figure is None:
            tab.dataframe(
                charts.top_songs(songs),
                hide_index=True,
                column_config={"url": st.column_config.LinkColumn("Spotify", display_text="open")},
            )
        else:
            tab.plotly_chart(figure, key=name)
    st.download_button(
        "Download these rows (CSV)",
        charts.export_csv(moods, songs, tz),
        file_name=f"emuse-history-{start_day}-to-{end_day}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        help="Scores rounded to 4 digits, times in ISO 8601 with their zone. The emotion column is the smoothed "
        "mood, which stays until another mood leads it clearly: it is not always the highest score.",
    )
    st.caption(f"Times in {tz.key}. Stored in {history.where}.")

st.divider()
st.subheader("Privacy")
st.markdown(
    "eMuse records only the **smoothed mood** (emotion, confidence and the seven scores), the time, a random "
    "session id and the songs suggested: never a picture or a video frame."
)
recording_toggle()
if not sessions.empty:
    delete_controls(history, chosen)
