"""eMuse music: per-emotion playlists, Spotify sync and recommendations.

What other parts of the app use::

    from emuse.music import Recommender, Track, load_playlist, STRATEGIES

    rec = Recommender(strategy="lift", n=5)      # one per session
    tracks = rec.for_mood("sad", scores)         # changes only when a new mood has held a few seconds
    rec.current.heading, rec.current.steps       # "Lifting you from sad toward happy", "1 of 5 · ..."
    tracks[0].embed_url, tracks[0].open_url      # Spotify player / "open in Spotify"

Spotify itself (``emuse.music.auth``, ``spotify``, ``sync``) is imported only where needed.
"""

from emuse.music.recommend import STRATEGIES, Feedback, Recommendation, Recommender
from emuse.music.store import ConflictError, PlaylistError, Track, load_playlist

__all__ = [
    "STRATEGIES",
    "ConflictError",
    "Feedback",
    "PlaylistError",
    "Recommendation",
    "Recommender",
    "Track",
    "load_playlist",
]
