"""A small fake of the Spotify Web API and token endpoint on 127.0.0.1, for tests.

It serves just what eMuse uses, shaped like the real thing after the February 2026
changes (``/playlists/{id}/items`` with ``item`` entries), and lets a test script
failures: an HTTP status for one playlist, 429s with Retry-After, slow answers.
Point eMuse at it with ``EMUSE_SPOTIFY_API_URL`` and ``EMUSE_SPOTIFY_TOKEN_URL``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret"
REFRESH_TOKEN = "test-refresh-token"


def track_id(n: int) -> str:
    """A 22-character base62 ID for fake track ``n`` (not a real Spotify track)."""
    return f"fake{n:018d}"


def track(n: int, *, key: str = "item", added_at: str = "2025-01-01T00:00:00Z") -> dict[str, Any]:
    obj = {
        "type": "track",
        "id": track_id(n),
        "name": f"Song {n}",
        "artists": [{"name": f"Artist {n}"}, {"name": "Guest"}],
        "album": {"name": f"Album {n}"},
        "duration_ms": 180000 + n,
        "is_local": False,
    }
    return {"added_at": added_at, "is_local": False, key: obj}


def null_entry() -> dict[str, Any]:
    return {"added_at": "2025-01-01T00:00:00Z", "is_local": False, "item": None}


def local_entry() -> dict[str, Any]:
    return {
        "added_at": "2025-01-01T00:00:00Z",
        "is_local": True,
        "item": {"type": "track", "id": None, "name": "my demo.mp3", "artists": [], "is_local": True},
    }


def episode_entry() -> dict[str, Any]:
    return {
        "added_at": "2025-01-01T00:00:00Z",
        "is_local": False,
        "item": {"type": "episode", "id": "episode000000000000001", "name": "A podcast", "episode": True},
    }


@dataclass
class FakeSpotify:
    playlists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: playlist id -> HTTP status it always answers with
    fail: dict[str, int] = field(default_factory=dict)
    #: playlist id -> Retry-After values of 429 answers to give before serving it
    rate_limit: dict[str, list[int]] = field(default_factory=dict)
    #: playlist id -> seconds to sleep before answering (timeouts)
    delay: dict[str, float] = field(default_factory=dict)
    me_playlists: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 50
    refresh_tokens: set[str] = field(default_factory=lambda: {REFRESH_TOKEN})
    #: refresh tokens past Spotify's 6-month lifetime: answered with invalid_grant "Refresh token expired"
    expired_refresh_tokens: set[str] = field(default_factory=set)
    #: playlist id -> Retry-After of a 429 whose reason is QUOTA_EXCEEDED (the body Spotify sends since July 2026)
    quota_exceeded: dict[str, int] = field(default_factory=dict)
    #: authorization code -> (code_challenge, redirect_uri) for the PKCE exchange
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    token_grants: list[str] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def base(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.base + "/v1/"

    @property
    def token_url(self) -> str:
        return self.base + "/api/token"

    def start(self) -> FakeSpotify:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                fake._get(self)

            def do_POST(self) -> None:
                fake._post(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
            pass

    def _error(self, handler: BaseHTTPRequestHandler, status: int, message: str, **headers: str) -> None:
        self._send(handler, status, {"error": {"status": status, "message": message}}, headers)

    def _post(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(handler.rfile.read(length).decode()).items()}
        with self._lock:
            self.requests.append(("POST", handler.path))
            self.token_grants.append(form.get("grant_type", ""))
        if urlparse(handler.path).path != "/api/token":
            return self._error(handler, 404, "not found")
        basic = handler.headers.get("Authorization", "")
        client_id, client_secret = form.get("client_id"), None
        if basic.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        if client_id != CLIENT_ID or (client_secret is not None and client_secret != CLIENT_SECRET):
            return self._send(handler, 400, {"error": "invalid_client", "error_description": "Invalid client"})
        grant = form.get("grant_type")
        extra: dict[str, Any] = {}
        if grant == "client_credentials":
            if client_secret is None:
                return self._send(handler, 400, {"error": "invalid_client", "error_description": "secret needed"})
        elif grant == "refresh_token":
            if form.get("refresh_token") in self.expired_refresh_tokens:
                return self._send(
                    handler, 400, {"error": "invalid_grant", "error_description": "Refresh token expired"}
                )
            if form.get("refresh_token") not in self.refresh_tokens:
                return self._send(handler, 400, {"error": "invalid_grant", "error_description": "Invalid refresh"})
            extra["scope"] = "playlist-read-private playlist-read-collaborative"
        elif grant == "authorization_code":
            challenge, redirect = self.codes.pop(form.get("code", ""), ("", ""))
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            if not challenge or (client_secret is None and digest != challenge) or redirect != form.get("redirect_uri"):
                return self._send(handler, 400, {"error": "invalid_grant", "error_description": "Invalid code"})
            extra = {"scope": "playlist-read-private playlist-read-collaborative", "refresh_token": "new-refresh"}
        else:
            return self._send(handler, 400, {"error": "unsupported_grant_type"})
        token = f"access-{len(self.tokens) + 1}"
        with self._lock:
            self.tokens.add(token)
        self._send(handler, 200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600, **extra})

    def _get(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlparse(handler.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with self._lock:
            self.requests.append(("GET", handler.path))
        auth = handler.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return self._error(handler, 401, "Invalid access token")
        parts = url.path.strip("/").split("/")
        if parts[:1] != ["v1"]:
            return self._error(handler, 404, "not found")
        parts = parts[1:]
        if len(parts) == 3 and parts[0] == "playlists" and parts[2] == "items":
            return self._items(handler, parts[1], query)
        if parts == ["me", "playlists"]:
            return self._page(handler, "me/playlists", self.me_playlists, query)
        if len(parts) == 2 and parts[0] == "tracks":
            for entries in self.playlists.values():
                for entry in entries:
                    obj = (entry or {}).get("item") or (entry or {}).get("track")
                    if obj and obj.get("id") == parts[1]:
                        return self._send(handler, 200, obj)
            return self._error(handler, 404, "Non existing id")
        return self._error(handler, 404, "Service not found")

    def _items(self, handler: BaseHTTPRequestHandler, playlist_id: str, query: dict[str, str]) -> None:
        if playlist_id in self.delay:
            time.sleep(self.delay[playlist_id])
        with self._lock:
            waits = self.rate_limit.get(playlist_id)
            retry_after = waits.pop(0) if waits else None
        if retry_after is not None:
            return self._error(handler, 429, "API rate limit exceeded", **{"Retry-After": str(retry_after)})
        if playlist_id in self.quota_exceeded:
            body = {"error": {"status": 429, "message": "Too many requests", "reason": "QUOTA_EXCEEDED"}}
            return self._send(handler, 429, body, {"Retry-After": str(self.quota_exceeded[playlist_id])})
        if playlist_id in self.fail:
            status = self.fail[playlist_id]
            return self._error(handler, status, {403: "Forbidden", 404: "Not found"}.get(status, "Server error"))
        if playlist_id not in self.playlists:
            return self._error(handler, 404, "Not found")
        self._page(handler, f"playlists/{playlist_id}/items", self.playlists[playlist_id], query)

    def _page(self, handler: BaseHTTPRequestHandler, path: str, items: list[Any], query: dict[str, str]) -> None:
        limit = min(int(query.get("limit", 20)), self.page_size)
        offset = int(query.get("offset", 0))
        end = offset + limit
        nxt = f"{self.api_url}{path}?{urlencode({'offset': end, 'limit': limit})}" if end < len(items) else None
        body = {"items": items[offset:end], "next": nxt, "total": len(items), "limit": limit, "offset": offset}
        self._send(handler, 200, body)
