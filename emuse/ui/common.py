"""What several pages share: secrets, the ICE servers, the browser's context, Markdown escaping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st
from streamlit.runtime import Runtime

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
    return Runtime.exists() and hasattr(Runtime.instance(), "_session_mgr")


def browser_timezone() -> str | None:
    """The viewer's IANA time zone as the browser reports it (``None`` in tests and old browsers)."""
    try:
        return st.context.timezone
    except Exception:  # no browser context (AppTest, bare mode)
        return None


def md(text: str) -> str:
    """Escape Markdown so a song called "*NSYNC" or "[untitled]" shows as typed."""
    return "".join("\\" + c if c in "\\`*_[]<>#|~" else c for c in text)
