"""Where the playlist files are, and reading their bytes as text.

The pieces of :mod:`emuse.music.store` that know nothing about songs: a path per
emotion, the version of some bytes (a hash, for the "changed by someone else" check) and strict
UTF-8 decoding that names the line of a bad byte. The lock that keeps two saves from
interleaving is :func:`emuse.files.locked` on the folder.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from emuse import config
from emuse.labels import normalize_label
from emuse.music.links import PlaylistError


def playlist_path(emotion: str, folder: Path | None = None) -> Path:
    return (folder or config.playlists_dir()) / f"{normalize_label(emotion)}.csv"


def sources_path(folder: Path | None = None) -> Path:
    return (folder or config.playlists_dir()) / "sources.csv"


def version_of(data: bytes | None) -> str:
    return "" if data is None else hashlib.sha256(data).hexdigest()[:16]


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PlaylistError(
            f"{path} line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8 (in Excel: 'CSV UTF-8') and reload"
        ) from exc
