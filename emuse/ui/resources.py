"""Every ``st.cache_resource`` of the app: objects made once per server process and shared by all sessions."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

import streamlit as st

from emuse import config
from emuse.history.store import HistoryStore, open_store
from emuse.vision.classifier import EmotionClassifier
from emuse.vision.live import LiveSlots

if TYPE_CHECKING:
    from emuse.music.auth import PendingLogin  # spotipy loads only on the Playlists page


@st.cache_resource(show_spinner="Loading the emotion model…")
def classifier(model_name: str | None = None) -> EmotionClassifier:
    """One classifier per model per process, shared by every browser session (thread-safe inference)."""
    loaded = EmotionClassifier(model_name)
    # Streamlit collects garbage after every script and fragment run; once the model and its
    # libraries are loaded, that full collection walked all of them (~170 ms with TensorFlow,
    # holding the GIL) twice a second per streaming session, and starved the video threads.
    # Freezing moves everything alive now out of the collector's reach.
    gc.freeze()
    return loaded


@st.cache_resource(show_spinner=False)
def history_store(url: str) -> HistoryStore:
    """The history database at ``url``; keyed by URL so a changed setting takes effect.

    A failure raises and is not cached, so the next rerun tries again.
    """
    return open_store(url)


@st.cache_resource
def pending_spotify_logins() -> dict[str, PendingLogin]:
    """Logins waiting for Spotify's redirect, by ``state``, shared by the server's sessions.

    Spotify sends the browser back as a new page load (a new Streamlit session), so
    the PKCE verifier cannot live in session state; it waits here, keyed by the
    random ``state``, for at most 10 minutes. The resulting token lives only in
    the session that receives the redirect.
    """
    return {}


@st.cache_resource
def live_slots(limit: int) -> LiveSlots:
    """The server's live-stream slots (``EMUSE_MAX_LIVE_SESSIONS``), shared by every session.

    Keyed by the limit, so a changed setting takes effect after a restart of the
    sessions that hold slots (their leases simply expire).
    """
    return LiveSlots(limit)


def current_live_slots() -> LiveSlots:
    """:func:`live_slots` for the configured limit (a malformed setting is a ``ConfigError``)."""
    return live_slots(config.max_live_sessions())
