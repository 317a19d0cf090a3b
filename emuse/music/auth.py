"""Spotify credentials and the two ways to authorize.

1. **Client credentials** (``SPOTIPY_CLIENT_ID`` + ``SPOTIPY_CLIENT_SECRET``): no
   user involved. Enough for apps with extended quota; a Development Mode app can
   read only its owner's playlists through a *user's* token (see ``docs/music.md``).
2. **A user's authorization** (Authorization Code with PKCE): the "Connect
   Spotify" button keeps its token only in the browser session; ``python -m emuse
   spotify login`` prints a refresh token to store as ``SPOTIFY_REFRESH_TOKEN``
   for the command line and the weekly job. With a refresh token present, sync
   uses it.

Secrets come from the environment or ``st.secrets`` (passed in by the UI layer),
never from source, and are never printed or logged: :class:`Credentials` hides
them from ``repr`` and spotipy's debug logging (which prints request headers and
bodies) is silenced.
"""

from __future__ import annotations

import logging
import os
import secrets as pysecrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.oauth2 import SpotifyClientCredentials, SpotifyOAuth, SpotifyPKCE

# spotipy logs full request headers (bearer tokens) at DEBUG and every HTTP error at
# ERROR; eMuse reports errors itself, in one line, without secrets.
logging.getLogger("spotipy").setLevel(logging.CRITICAL)

DEFAULT_API_URL = "https://api.spotify.com/v1/"
DEFAULT_TOKEN_URL = "https://accounts.spotify.com/api/token"
DEFAULT_AUTHORIZE_URL = "https://accounts.spotify.com/authorize"
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8888/callback"
#: What eMuse asks a user for: read their private and collaborative playlists.
SCOPES = "playlist-read-private playlist-read-collaborative"
REQUEST_TIMEOUT_S = 10.0


class AuthError(RuntimeError):
    """Credentials are missing or Spotify refused them; the message says what to do."""


def api_url() -> str:
    """Web API base (``EMUSE_SPOTIFY_API_URL`` for tests against a fake server)."""
    url = os.environ.get("EMUSE_SPOTIFY_API_URL") or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def token_url() -> str:
    return os.environ.get("EMUSE_SPOTIFY_TOKEN_URL") or DEFAULT_TOKEN_URL


def authorize_url() -> str:
    return os.environ.get("EMUSE_SPOTIFY_AUTHORIZE_URL") or DEFAULT_AUTHORIZE_URL


@dataclass(frozen=True)
class Credentials:
    """What we know about this app's Spotify access. ``repr`` never shows secrets."""

    client_id: str
    client_secret: str = field(default="", repr=False)
    refresh_token: str = field(default="", repr=False)

    @property
    def mode(self) -> str:
        """``"user"`` with a refresh token, ``"client"`` with only an ID and secret, ``"none"`` otherwise."""
        if self.refresh_token:
            return "user"
        return "client" if self.client_secret else "none"

    @property
    def can_sync(self) -> bool:
        return self.mode != "none"


_KEYS = ("SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET", "SPOTIFY_REFRESH_TOKEN")


def credentials(secrets: Mapping[str, Any] | None = None) -> Credentials | None:
    """Credentials from the environment, else from ``secrets`` (st.secrets); ``None`` without a client ID."""

    def get(key: str) -> str:
        value = os.environ.get(key) or (secrets or {}).get(key) or ""
        return str(value).strip()

    client_id, client_secret, refresh_token = (get(key) for key in _KEYS)
    if not client_id:
        return None
    return Credentials(client_id, client_secret, refresh_token)


def redirect_uri(secrets: Mapping[str, Any] | None = None, default: str = DEFAULT_REDIRECT_URI) -> str:
    """Where Spotify sends the browser back; must be registered in the app's dashboard exactly."""
    value = os.environ.get("SPOTIPY_REDIRECT_URI") or (secrets or {}).get("SPOTIPY_REDIRECT_URI") or default
    return str(value)


def _session() -> requests.Session:
    # A plain session, without spotipy's urllib3 retry adapter: that one sleeps for
    # whatever Retry-After says, unbounded. eMuse waits out 429s itself, with a limit.
    return requests.Session()


def _point_at_configured_urls(manager: Any) -> Any:
    manager.OAUTH_TOKEN_URL = token_url()
    if hasattr(manager, "OAUTH_AUTHORIZE_URL"):
        manager.OAUTH_AUTHORIZE_URL = authorize_url()
    return manager


def client_from_manager(manager: Any, timeout: float = REQUEST_TIMEOUT_S) -> spotipy.Spotify:
    client = spotipy.Spotify(
        auth_manager=manager, requests_timeout=timeout, requests_session=_session(), retries=0, status_retries=0
    )
    client.prefix = api_url()
    return client


def client_from_token(access_token: str, timeout: float = REQUEST_TIMEOUT_S) -> spotipy.Spotify:
    """A client for a user's access token (the in-app "Connect Spotify" session)."""
    client = spotipy.Spotify(auth=access_token, requests_timeout=timeout, requests_session=_session())
    client.prefix = api_url()
    return client


def _user_manager(creds: Credentials, redirect: str, state: str | None = None) -> SpotifyOAuth | SpotifyPKCE:
    """The manager for a user's authorization.

    With a client secret it is the confidential Authorization Code flow, because a
    refresh token issued to a PKCE client can be used only once, and the weekly job
    must reuse the stored one. Without a secret it is PKCE.
    """
    common = {
        "client_id": creds.client_id,
        "redirect_uri": redirect,
        "scope": SCOPES,
        "state": state,
        "requests_timeout": REQUEST_TIMEOUT_S,
        "requests_session": _session(),
        "open_browser": False,
        "cache_handler": MemoryCacheHandler(),
    }
    if creds.client_secret:
        return _point_at_configured_urls(SpotifyOAuth(client_secret=creds.client_secret, **common))
    return _point_at_configured_urls(SpotifyPKCE(**common))


def sync_client(creds: Credentials | None, timeout: float = REQUEST_TIMEOUT_S) -> spotipy.Spotify:
    """The client sync uses: the refresh token when present, else client credentials."""
    if creds is None or not creds.can_sync:
        raise AuthError(
            "no Spotify credentials: set SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT_SECRET "
            "(and SPOTIFY_REFRESH_TOKEN from `python -m emuse spotify login`) in the environment or "
            ".streamlit/secrets.toml; see docs/music.md"
        )
    if creds.mode == "user":
        manager: Any = _user_manager(creds, redirect_uri())
        manager.cache_handler.save_token_to_cache(
            {"access_token": "", "refresh_token": creds.refresh_token, "expires_at": 0, "scope": SCOPES}
        )
    else:
        manager = _point_at_configured_urls(
            SpotifyClientCredentials(
                creds.client_id,
                creds.client_secret,
                requests_timeout=timeout,
                requests_session=_session(),
                cache_handler=MemoryCacheHandler(),
            )
        )
    return client_from_manager(manager, timeout)


def describe_auth_error(exc: BaseException) -> str:
    """One line for a failed token request, without the token."""
    error = getattr(exc, "error", None) or ""
    description = str(getattr(exc, "error_description", None) or "").lower()
    if error == "invalid_grant" and "expired" in description:
        return (
            "Spotify says the refresh token has expired: refresh tokens last 6 months from the login. "
            "Run `python -m emuse spotify login` again and update SPOTIFY_REFRESH_TOKEN (for the weekly job: "
            "the repository secret of that name)"
        )
    if error == "invalid_grant":
        return (
            "Spotify rejected the refresh token: most likely it expired (refresh tokens last 6 months from the "
            "login), or it was a PKCE token, which works once. Run `python -m emuse spotify login` again and "
            "update SPOTIFY_REFRESH_TOKEN"
        )
    if error == "invalid_client":
        return "Spotify rejected the client ID or secret; check SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT_SECRET"
    return f"Spotify authorization failed ({error or type(exc).__name__}); check the credentials in docs/music.md"


def refresh_token_rotated(client: spotipy.Spotify, creds: Credentials) -> bool:
    """Whether Spotify replaced the stored refresh token during this run (the old one may stop working)."""
    manager = client.auth_manager
    token = manager.cache_handler.get_cached_token() if manager is not None else None
    new = (token or {}).get("refresh_token")
    return bool(creds.refresh_token and new and new != creds.refresh_token)


# --------------------------------------------------------------------------- PKCE in the browser


@dataclass
class PendingLogin:
    """A login started in the app, waiting for Spotify to redirect back with ``code`` and ``state``."""

    authorize_url: str
    state: str
    code_verifier: str
    redirect_uri: str
    created: float = field(default_factory=time.time)


def start_pkce(client_id: str, redirect: str) -> PendingLogin:
    """Begin Authorization Code with PKCE: the URL to send the person to, and the verifier to keep."""
    state = pysecrets.token_urlsafe(16)
    manager = _point_at_configured_urls(
        SpotifyPKCE(
            client_id=client_id,
            redirect_uri=redirect,
            scope=SCOPES,
            state=state,
            open_browser=False,
            cache_handler=MemoryCacheHandler(),
        )
    )
    url = manager.get_authorize_url()
    return PendingLogin(url, state, manager.code_verifier, redirect)


def finish_pkce(client_id: str, pending: PendingLogin, code: str) -> dict[str, Any]:
    """Exchange the ``code`` Spotify returned for a token (``access_token``, ``refresh_token``, ``expires_at``)."""
    if not code:  # spotipy would fall back to asking on stdin, which would hang a server
        raise AuthError("Spotify sent no authorization code; press Connect Spotify again")
    cache = MemoryCacheHandler()
    manager = _point_at_configured_urls(
        SpotifyPKCE(
            client_id=client_id,
            redirect_uri=pending.redirect_uri,
            scope=SCOPES,
            state=pending.state,
            open_browser=False,
            requests_timeout=REQUEST_TIMEOUT_S,
            requests_session=_session(),
            cache_handler=cache,
        )
    )
    manager.code_verifier = pending.code_verifier
    manager.code_challenge = "unused"  # only needed for the authorize URL, which was built earlier
    try:
        manager.get_access_token(code=code, check_cache=False)
    except spotipy.SpotifyOauthError as exc:
        raise AuthError(describe_auth_error(exc)) from exc
    except requests.RequestException as exc:
        raise AuthError(f"could not reach Spotify to finish the login ({type(exc).__name__})") from exc
    token = cache.get_cached_token()
    if not token or "access_token" not in token:
        raise AuthError("Spotify did not return an access token; try Connect Spotify again")
    return token


def refresh_user_token(client_id: str, token: dict[str, Any]) -> dict[str, Any]:
    """A fresh token for the in-app session, refreshed when it is about to expire."""
    if token.get("expires_at", 0) - time.time() > 60:
        return token
    manager = _point_at_configured_urls(
        SpotifyPKCE(
            client_id=client_id,
            redirect_uri=DEFAULT_REDIRECT_URI,
            scope=SCOPES,
            requests_timeout=REQUEST_TIMEOUT_S,
            requests_session=_session(),
            cache_handler=MemoryCacheHandler(),
        )
    )
    try:
        return manager.refresh_access_token(token["refresh_token"])
    except (spotipy.SpotifyOauthError, KeyError) as exc:
        raise AuthError("the Spotify connection expired; press Connect Spotify again") from exc


# --------------------------------------------------------------------------- command-line login


def login_manager(creds: Credentials, redirect: str) -> SpotifyOAuth | SpotifyPKCE:
    """The manager ``python -m emuse spotify login`` drives (see :func:`_user_manager` for why two)."""
    return _user_manager(creds, redirect, state=pysecrets.token_urlsafe(16))


def exchange_redirect(manager: SpotifyOAuth | SpotifyPKCE, redirected_url: str) -> dict[str, Any]:
    """Turn the URL the browser was sent back to into a token, checking ``state``."""
    try:
        state, code = manager.parse_auth_response_url(redirected_url.strip())
    except spotipy.SpotifyOauthError as exc:
        raise AuthError(f"Spotify refused the authorization ({exc.error}); try again") from exc
    if not code:
        raise AuthError("that URL has no ?code=...; paste the whole address the browser was redirected to")
    if state != manager.state:
        raise AuthError("the URL belongs to a different login attempt (state mismatch); start again")
    try:
        if isinstance(manager, SpotifyOAuth):
            manager.get_access_token(code=code, as_dict=False, check_cache=False)
        else:
            manager.get_access_token(code=code, check_cache=False)
    except spotipy.SpotifyOauthError as exc:
        raise AuthError(describe_auth_error(exc)) from exc
    except requests.RequestException as exc:
        raise AuthError(f"could not reach Spotify to finish the login ({type(exc).__name__})") from exc
    token = manager.cache_handler.get_cached_token()
    if not token or not token.get("refresh_token"):
        raise AuthError("Spotify returned no refresh token; try again")
    return token
