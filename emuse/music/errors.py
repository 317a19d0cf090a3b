"""The music domain's one error type: what is wrong with a playlist, sources file or link, and the fix."""

from __future__ import annotations


class PlaylistError(ValueError):
    """A playlist or sources file is unreadable or invalid; the message names file, line and fix."""


class ConflictError(PlaylistError):
    """The file changed since it was read; saving would overwrite someone else's rows."""
