"""The Live page's two choices that are the person's: the snapshot camera on demand, and whose mood the music follows.

Kept apart from :mod:`emuse.ui.live` (the video component, the mood block) so each
module stays small.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from emuse.ui import state
from emuse.vision.frame_analysis import FOLLOW
from emuse.vision.live import LiveSession


def snapshot_camera() -> UploadedFile | None:
    """The snapshot camera, only after the person asks for it; returns the picture taken, if any.

    ``st.camera_input`` asks the browser for the camera as soon as it is drawn, so drawing
    it on page load would switch the camera on before anyone pressed anything (and show a
    second preview next to the live video). A "Take a snapshot" button reveals it and
    "Close the camera" hides it again.
    """
    if not st.session_state.get(state.SNAPSHOT_CAMERA):
        st.caption("The camera stays off until you ask for it.")
        st.button(
            "Take a snapshot",
            key="_snapshot_open",
            on_click=lambda: st.session_state.__setitem__(state.SNAPSHOT_CAMERA, True),
        )
        return None
    picture = st.camera_input("Take a snapshot")
    st.button(
        "Close the camera",
        key="_snapshot_close",
        on_click=lambda: st.session_state.__setitem__(state.SNAPSHOT_CAMERA, False),
    )
    return picture


def follow_select(session: LiveSession, key: str = state.MUSIC_FOLLOWS) -> str:
    """With several people in view: does the music follow the largest face or the group's average mood?

    The choice goes straight to the session's analyzer (a plain attribute the video
    thread reads once per frame); the followed face is drawn with a heavier box.
    """
    follow = st.radio(
        "Music follows",
        list(FOLLOW),
        format_func=FOLLOW.get,
        key=key,
        help="With several people in view. The face the music follows has the heavier box.",
    )
    session.analyzer.follow = follow
    return follow
