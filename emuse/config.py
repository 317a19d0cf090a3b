"""Where eMuse keeps things, in one place.

Every folder defaults to the project checkout and can be moved with an environment
variable, which is how tests use temporary folders and how a deployment puts data
on a persistent volume.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
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


def playlists_dir() -> Path:
    """Per-emotion playlist CSVs and ``sources.csv``."""
    return _dir_from_env("EMUSE_PLAYLISTS_DIR", "playlists")


class ConfigError(ValueError):
    """A setting is present but malformed; the message says which and how to fix it."""


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


def ice_servers(secrets: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """WebRTC ICE servers: ``secrets["ice_servers"]``, else ``EMUSE_ICE_SERVERS`` (JSON), else STUN.

    ``[]`` is a valid answer: no ICE servers at all, which is what a loopback browser
    test needs. ``secrets`` is passed in by the UI layer so this module stays free of
    Streamlit.
    """
    if secrets is not None and "ice_servers" in secrets:
        value: Any = secrets["ice_servers"]
        if isinstance(value, str):
            value = _parse_ice_json(value, "st.secrets['ice_servers']")
        return _validate_ice([dict(server) for server in value], "st.secrets['ice_servers']")
    raw = os.environ.get("EMUSE_ICE_SERVERS")
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


def _validate_ice(value: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(s, dict) and "urls" in s for s in value):
        raise ConfigError(f'{where} must be a JSON list of objects with "urls" (and optional "username", "credential")')
    return value
