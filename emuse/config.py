"""Where eMuse keeps things, in one place.

Every folder defaults to the project checkout and can be moved with an environment
variable, which is how tests use temporary folders and how a deployment puts data
on a persistent volume.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Public STUN server used when nothing is configured. Enough for most home
#: networks; behind strict NAT (Streamlit Community Cloud, school Wi-Fi) add a TURN
#: server through ``st.secrets["ice_servers"]`` or ``EMUSE_ICE_SERVERS``.
DEFAULT_ICE_SERVERS: list[dict[str, Any]] = [{"urls": ["stun:stun.l.google.com:19302"]}]


def _dir_from_env(var: str, default: str) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser() if value else PROJECT_ROOT / default


def models_dir() -> Path:
    """The model registry: one folder per model with ``model.keras`` and ``meta.json``."""
    return _dir_from_env("EMUSE_MODELS_DIR", "models")


def user_models_dir() -> Path:
    """Models people train and their evaluations: under the data folder, never in the repository's ``models/``."""
    return data_dir() / "models"


def playlists_dir() -> Path:
    """Per-emotion playlist CSVs and ``sources.csv``."""
    return _dir_from_env("EMUSE_PLAYLISTS_DIR", "playlists")


class ConfigError(ValueError):
    """A setting is present but malformed; the message says which and how to fix it."""


def _int_from_env(var: str, default: int, low: int, high: int, what: str) -> int:
    raw = os.environ.get(var, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{var}={raw[:20]!r} is not a whole number; give {what} from {low} to {high}") from None
    if not low <= value <= high:
        raise ConfigError(f"{var}={value} is out of range; give {what} from {low} to {high}")
    return value


#: Live streams one server runs at once by default: on the 2-core reference machine three sessions
#: got 10.1-10.5 fps each (benchmarks/results/browser_bench.md); ten got two streams and eight black boxes.
DEFAULT_MAX_LIVE_SESSIONS = 3
#: Live page uploads (photos, short clips), MB. The 400 MB server limit is for FER2013 on the Train
#: page; a 380 MiB video on Live took the server to 1.4 GB.
DEFAULT_LIVE_UPLOAD_MB = 50


def max_live_sessions() -> int:
    """``EMUSE_MAX_LIVE_SESSIONS``: live streams at once before new ones are told the server is busy."""
    return _int_from_env("EMUSE_MAX_LIVE_SESSIONS", DEFAULT_MAX_LIVE_SESSIONS, 1, 1000, "a number of sessions")


def live_upload_limit_bytes() -> int:
    """``EMUSE_LIVE_UPLOAD_MB``: the largest photo or video the Live page analyses."""
    return _int_from_env("EMUSE_LIVE_UPLOAD_MB", DEFAULT_LIVE_UPLOAD_MB, 1, 400, "megabytes") * 1024 * 1024


def data_dir() -> Path:
    """Runtime data (history database, training jobs); git-ignored, created on demand.

    A setting that names a file, or a folder that can't be created, is a
    :class:`ConfigError` naming ``EMUSE_DATA_DIR`` (not a ``FileExistsError`` traceback).
    """
    path = _dir_from_env("EMUSE_DATA_DIR", "data")
    if path.exists() and not path.is_dir():
        raise ConfigError(f"EMUSE_DATA_DIR ({path}) is a file, not a folder; point it at a folder (or unset it)")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"EMUSE_DATA_DIR ({path}) can't be created ({exc.strerror}); point it at a writable folder"
        ) from None
    return path


def ice_servers(
    secrets: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """WebRTC ICE servers: ``secrets["ice_servers"]``, else ``EMUSE_ICE_SERVERS`` (JSON), else STUN.

    ``[]`` is a valid answer: no ICE servers at all, which is what a loopback browser
    test needs. ``secrets`` is passed in by the UI layer so this module stays free of
    Streamlit.
    """
    if secrets is not None and "ice_servers" in secrets:
        value: Any = secrets["ice_servers"]
        if isinstance(value, str):
            value = _parse_ice_json(value, "st.secrets['ice_servers']")
        if not isinstance(value, list | tuple) or not all(isinstance(server, Mapping) for server in value):
            raise ConfigError("st.secrets['ice_servers'] must be a list of tables with \"urls\"")
        return _validate_ice([dict(server) for server in value], "st.secrets['ice_servers']")
    raw = (os.environ if environ is None else environ).get("EMUSE_ICE_SERVERS")
    if raw is not None and raw.strip():
        return _validate_ice(_parse_ice_json(raw, "EMUSE_ICE_SERVERS"), "EMUSE_ICE_SERVERS")
    return [dict(server) for server in DEFAULT_ICE_SERVERS]


def _parse_ice_json(raw: str, where: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{where} is not valid JSON ({exc.msg}); expected a list such as "
            '[{"urls": ["stun:stun.l.google.com:19302"]}] or [] for none'
        ) from exc


_ICE_SCHEMES = ("stun:", "stuns:", "turn:", "turns:")


def _validate_ice(value: Any, where: str) -> list[dict[str, Any]]:
    """The RTCIceServer shape browsers accept; anything else is a ConfigError, not a raw browser error."""
    shape = f'{where} must be a JSON list of objects with "urls" (and optional "username", "credential")'
    if not isinstance(value, list) or not all(isinstance(s, dict) and "urls" in s for s in value):
        raise ConfigError(shape)
    for n, server in enumerate(value, start=1):
        urls = server["urls"]
        if isinstance(urls, str):
            urls = [urls]
        if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
            raise ConfigError(
                f'{where}, server {n}: "urls" must be a string or a list of strings, such as '
                '"stun:stun.l.google.com:19302"'
            )
        bad = [u for u in urls if not u.startswith(_ICE_SCHEMES)]
        if bad:
            raise ConfigError(f"{where}, server {n}: {bad[0][:60]!r} is not a stun:, stuns:, turn: or turns: URL")
        for key in ("username", "credential"):
            if key in server and not isinstance(server[key], str):
                raise ConfigError(f'{where}, server {n}: "{key}" must be a string')
        if any(u.startswith(("turn:", "turns:")) for u in urls) and not {"username", "credential"} <= set(server):
            raise ConfigError(f'{where}, server {n}: a TURN server needs "username" and "credential"')
    return value


#: TURN providers whose credentials streamlit-webrtc 0.79 can fetch itself, in the order it tries them:
#: (what the Live page calls it, the keys it needs). Keys come from the environment or ``st.secrets``.
ICE_PROVIDERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Cloudflare TURN", ("CLOUDFLARE_TURN_KEY_ID", "CLOUDFLARE_TURN_KEY_API_TOKEN")),
    ("Twilio TURN", ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")),
    ("Hugging Face TURN", ("HF_TOKEN",)),
)


@dataclass(frozen=True)
class IcePlan:
    """How the Live page gets its ICE servers, and how to say so on the page.

    ``servers`` is the explicit list when one is configured; otherwise ``provider``
    names the TURN service whose credentials are fetched (``keys`` holds them) or
    is ``None`` for the public STUN default.
    """

    kind: str  # "configured", "provider" or "stun"
    description: str
    servers: list[dict[str, Any]] | None = None
    provider: str | None = None
    keys: dict[str, str] = field(default_factory=dict, repr=False)  # secrets: never shown, never logged


def ice_plan(secrets: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> IcePlan:
    """An explicit ``ice_servers`` setting wins; else a TURN provider's keys; else Google's public STUN.

    eMuse's own STUN default used to override streamlit-webrtc's credential helpers,
    so a deployment with Cloudflare or Hugging Face keys still got STUN only and, on
    Community Cloud's NAT, no video.
    """
    environ = os.environ if environ is None else environ
    secrets = secrets or {}
    if "ice_servers" in secrets or (environ.get("EMUSE_ICE_SERVERS") or "").strip():
        servers = ice_servers(secrets, environ)
        turn = any(
            str(u).startswith(("turn:", "turns:"))
            for s in servers
            for u in ([s["urls"]] if isinstance(s["urls"], str) else s["urls"])
        )
        where = "st.secrets['ice_servers']" if "ice_servers" in secrets else "EMUSE_ICE_SERVERS"
        what = "no ICE servers (same machine or LAN only)" if not servers else "TURN" if turn else "STUN only"
        return IcePlan("configured", f"{what}, from {where}", servers=servers)
    for provider, names in ICE_PROVIDERS:
        keys = {name: str(secrets.get(name) or environ.get(name) or "") for name in names}
        if all(keys.values()):
            return IcePlan(
                "provider", f"{provider} (credentials fetched by streamlit-webrtc)", provider=provider, keys=keys
            )
    return IcePlan(
        "stun",
        "Google's public STUN server only: fine on most home networks; add TURN for strict ones",
        servers=[dict(server) for server in DEFAULT_ICE_SERVERS],
    )
