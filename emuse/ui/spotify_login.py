"""The "Connect Spotify" button: Authorization Code with PKCE, the token kept only in this browser tab."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlparse

import spotipy
import streamlit as st

from emuse.music import auth
from emuse.ui import resources, state
from emuse.ui.common import secrets

#: A login not finished within this many seconds is forgotten.
LOGIN_TIMEOUT_S = 600

#: What a newcomer reads when no Spotify app is configured: what works already, and the steps for the rest.
SETUP_HELP = """**The songs already play, with no account.** Every mood has a starter list of real Spotify
tracks, played in the page by Spotify's embed player.

**To use your own Spotify playlists**, connect a Spotify app (5 minutes, once):

1. Create an app at the [Spotify developer dashboard](https://developer.spotify.com/dashboard) (choose *Web API*).
2. In its settings, add the Redirect URI `{redirect}` (for this page) and save.
3. Give eMuse the app's Client ID (and Client secret, for the weekly sync): in `.streamlit/secrets.toml`
   (see [Streamlit's secrets management](https://docs.streamlit.io/develop/concepts/connections/secrets-management))
   or, on Streamlit Community Cloud, the app's *Settings → Secrets*:

   ```toml
   SPOTIPY_CLIENT_ID = "…"
   SPOTIPY_CLIENT_SECRET = "…"
   ```
4. Reload this page: a **Connect Spotify** button appears here.

The whole story, with Spotify's Development Mode limits, is in `docs/music.md` (*Spotify setup*)."""


def app_redirect_uri() -> str:
    """Where Spotify sends the browser back: the configured URI, or this app's /playlists page."""
    configured = secrets().get("SPOTIFY_APP_REDIRECT_URI")
    if configured:
        return str(configured)
    url = urlparse(getattr(st.context, "url", "") or "http://127.0.0.1:8501/")
    return f"{url.scheme}://{url.netloc}/playlists"


def _finish_login(creds: auth.Credentials, pending: dict[str, auth.PendingLogin]) -> None:
    """Handle Spotify's redirect back (``?code=…&state=…`` or ``?error=…``), once."""
    params = st.query_params
    if params.get("error") and params.get("state") in pending:
        pending.pop(params.get("state"), None)
        st.warning(f"Spotify did not connect ({params.get('error')}). You can try again.")
        st.query_params.clear()
    elif params.get("code") and params.get("state"):
        code, login = params.get("code"), pending.pop(params.get("state"), None)
        st.query_params.clear()  # a reload must not replay the one-time code
        if login is None:
            st.warning("That Spotify login expired or was already used; press Connect Spotify again.")
        else:
            try:
                st.session_state[state.SPOTIFY_TOKEN] = auth.finish_pkce(creds.client_id, login, code)
            except auth.AuthError as exc:
                st.error(str(exc))


def _fresh_token(creds: auth.Credentials) -> dict[str, Any] | None:
    """This tab's token, refreshed when it is about to expire; ``None`` (after a warning) when refreshing fails."""
    token = st.session_state.get(state.SPOTIFY_TOKEN)
    if not token:
        return None
    try:
        token = st.session_state[state.SPOTIFY_TOKEN] = auth.refresh_user_token(creds.client_id, token)
    except auth.AuthError as exc:
        st.session_state.pop(state.SPOTIFY_TOKEN, None)
        st.warning(str(exc))
        return None
    return token


def spotify_connect() -> dict[str, Any] | None:
    """The "Connect Spotify" button (Authorization Code with PKCE); returns this session's token or ``None``."""
    creds = auth.credentials(secrets())
    if creds is None:
        st.info(SETUP_HELP.format(redirect=app_redirect_uri()), icon="🎧")
        return None
    pending = resources.pending_spotify_logins()
    for expired in [s for s, p in pending.items() if time.time() - p.created > LOGIN_TIMEOUT_S]:
        pending.pop(expired, None)
    _finish_login(creds, pending)
    token = _fresh_token(creds)
    if token:
        col1, col2 = st.columns([4, 1])
        col1.success("Connected to Spotify in this browser tab (the token is never saved).", icon="✅")
        if col2.button("Disconnect", key=state.SPOTIFY_DISCONNECT):
            st.session_state.pop(state.SPOTIFY_TOKEN, None)
            st.rerun()
        return token
    login = pending.get(st.session_state.get(state.SPOTIFY_LOGIN_STATE, ""))
    if login is None:
        login = auth.start_pkce(creds.client_id, app_redirect_uri())
        pending[login.state] = login
        st.session_state[state.SPOTIFY_LOGIN_STATE] = login.state
    st.markdown(
        "Connect your Spotify account to pick songs from **your own playlists** and sync them here "
        "(the starter lists play without it)."
    )
    st.link_button(
        "Connect Spotify",
        login.authorize_url,
        icon="🎧",
        type="primary",
        help=f"Log in to Spotify; it sends you back to {login.redirect_uri} (register that address "
        "in your Spotify app's Redirect URIs).",
    )
    return None


def spotify_client(token: dict[str, Any] | None) -> spotipy.Spotify | None:
    """A client for this tab's user token, else for the app's sync credentials, else ``None``."""
    if token:
        return auth.client_from_token(token["access_token"])
    creds = auth.credentials(secrets())
    return auth.sync_client(creds) if creds is not None and creds.can_sync else None
