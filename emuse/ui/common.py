"""What several pages share: secrets, the browser's context, Markdown escaping, song lines as plain text."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import streamlit as st
from streamlit.runtime import Runtime

from emuse.music import Track


def secrets() -> Mapping[str, Any]:
    """``st.secrets`` as a mapping, or an empty one when no secrets file exists."""
    try:
        return dict(st.secrets)
    except Exception:  # no secrets.toml at all, or a malformed one: the app runs without secrets
        return {}


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


def song_html(track: Track, link_text: str) -> str:
    """One song as HTML for ``st.html``: its name and artists as plain text, one escaped Spotify link.

    Not Markdown: a song called ``$\\huge{…}$`` was typeset by KaTeX and one containing
    ``http://…`` became a link. ``st.html`` doesn't parse Markdown or math, the text is
    escaped, and the link is :attr:`Track.open_url`, built from a valid track ID or a
    validated Spotify URL (see :mod:`emuse.music.links`), escaped again here.
    """
    name, artists = html.escape(track.name), html.escape(track.artists)
    by = f" — {artists}" if artists else ""
    url = html.escape(track.open_url, quote=True)
    return (
        f'<div style="margin:.2rem 0">🎵 <b>{name}</b>{by} · '
        f'<a href="{url}" target="_blank" rel="noopener noreferrer">{html.escape(link_text)} ↗</a></div>'
    )
