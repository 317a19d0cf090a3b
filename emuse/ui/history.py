"""Mood history widgets: the store, this session's recorder, the recording switch, the delete controls.

The Live page records through :func:`mood_recorder`; the Mood History page reads
through :func:`history_store` and deletes through :func:`delete_controls`.
"""

from __future__ import annotations

import streamlit as st

from emuse.history.recorder import MoodRecorder, new_session_id
from emuse.history.store import HistoryError, HistoryStore, database_url
from emuse.ui import resources, state


def history_store(quiet: bool = False) -> HistoryStore | None:
    """The process-wide history store, or ``None`` (after a warning unless ``quiet``) when it is unusable.

    Keyed by URL so a changed ``EMUSE_DATABASE_URL`` / ``EMUSE_DATA_DIR`` takes effect;
    a failure is not cached, so the next rerun tries again.
    """
    try:
        return resources.history_store(database_url())
    except HistoryError as exc:
        if not quiet:
            st.warning(f"Mood history is unavailable: {exc}", icon="⚠️")
        return None


def history_session_id() -> str:
    """This browser session's history id (``web-…``), made once per session."""
    if state.HISTORY_SESSION_ID not in st.session_state:
        st.session_state[state.HISTORY_SESSION_ID] = new_session_id("web")
    return st.session_state[state.HISTORY_SESSION_ID]


def recording_enabled() -> bool:
    """Whether this person wants their moods recorded (on unless they switched it off)."""
    return bool(st.session_state.get(state.RECORD_MOODS, True))


def recording_toggle() -> bool:
    """The "Record my moods" switch; the choice lives in ``st.session_state[state.RECORD_MOODS]``.

    Widget state is dropped when a page without the widget runs, so the choice is
    copied to a plain key that survives moving between the Live and History pages.
    """

    def _remember() -> None:
        st.session_state[state.RECORD_MOODS] = st.session_state[state.RECORD_MOODS_TOGGLE]

    st.session_state[state.RECORD_MOODS_TOGGLE] = recording_enabled()
    return st.toggle(
        "Record my moods",
        key=state.RECORD_MOODS_TOGGLE,
        on_change=_remember,
        help="When on, your smoothed mood (not your picture) and the songs you get are saved to the mood history.",
    )


def mood_recorder(source: str = "live", heartbeat_s: float = 5.0) -> MoodRecorder | None:
    """This browser session's recorder for ``source``, following the recording switch.

    ``None`` when the history database is unavailable (the page keeps working
    without it). The same recorder comes back on every rerun, so its
    change/heartbeat state carries over.
    """
    history = history_store(quiet=True)
    if history is None:
        return None
    key = state.history_recorder(source)
    recorder = st.session_state.get(key)
    if recorder is None or recorder.store is not history:
        recorder = st.session_state[key] = MoodRecorder(history, history_session_id(), source, heartbeat_s=heartbeat_s)
    recorder.enabled = recording_enabled()
    return recorder


def delete_controls(history: HistoryStore, selected: list[str]) -> None:
    """Delete this browser session's history, the selected sessions, or all of it, after a confirmation.

    The deletion runs in the button's callback, before the page script, so the
    charts drawn after it already show the history without the deleted rows.
    """
    choices: dict[str, list[str] | None] = {"This browser session": [history_session_id()]}
    if selected:
        choices[f"The {len(selected)} selected session{'s' if len(selected) != 1 else ''}"] = list(selected)
    choices["All history on this server"] = None
    what = st.radio("Delete", list(choices), horizontal=True, key=state.HISTORY_DELETE_WHAT)
    sure = st.checkbox("Yes, delete it for good", key=state.HISTORY_DELETE_SURE)

    def _delete() -> None:
        try:
            n_moods, n_songs = history.clear(choices[what])
        except HistoryError as exc:
            st.session_state[state.HISTORY_ERROR] = f"Nothing deleted: {exc}"
        else:
            st.session_state[state.HISTORY_SUCCESS] = f"Deleted {n_moods} mood rows and {n_songs} song rows."
        st.session_state[state.HISTORY_DELETE_SURE] = False

    st.button("Delete", type="primary", disabled=not sure, on_click=_delete, icon=":material/delete:")
