"""The one place in ``emuse`` that imports Streamlit: small helpers the pages share.

Pages stay wiring only; anything here is about *showing* things (cached resources,
secrets, common widgets), never about computing them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from emuse import config


def secrets() -> Mapping[str, Any]:
    """``st.secrets`` as a mapping, or an empty one when no secrets file exists."""
    try:
        return dict(st.secrets)
    except Exception:  # no secrets.toml at all, or a malformed one: the app runs without secrets
        return {}


def ice_servers() -> list[dict[str, Any]]:
    """ICE servers from secrets or environment (see :func:`emuse.config.ice_servers`)."""
    return config.ice_servers(secrets())


def webrtc_available() -> bool:
    """Whether the page runs under a real Streamlit server that streamlit-webrtc can attach to.

    ``streamlit.testing.v1.AppTest`` runs pages without a session manager, which
    ``webrtc_streamer`` needs; there the Live page shows its snapshot and upload
    paths instead of failing.
    """
    from streamlit.runtime import Runtime

    return Runtime.exists() and hasattr(Runtime.instance(), "_session_mgr")
