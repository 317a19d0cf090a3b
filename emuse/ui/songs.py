"""The songs block shared by the Live and Playlists pages: players, links, 👍/👎, heading, pin.

Links and players come only from :mod:`emuse.music.links` (validated track IDs);
song names are escaped HTML text, never Markdown.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from emuse.labels import EMOJI
from emuse.mood import Mood
from emuse.music import Feedback, Recommender, Track
from emuse.ui import state
from emuse.ui.common import md, song_html
from emuse.ui.history import mood_recorder


def recommender(source: str, strategy: str) -> Recommender:
    """The session's recommender for ``source``: the live stream's has a dwell time, a still's picks at once.

    All of them share one :class:`emuse.music.Feedback`, so a 👎 anywhere counts everywhere.
    """
    key = state.RECOMMENDER if source == "live" else state.still_recommender(source)
    rec = st.session_state.get(key)
    if rec is None:
        feedback = st.session_state.setdefault(state.MUSIC_FEEDBACK, Feedback())
        rec = st.session_state[key] = Recommender(
            strategy=strategy, n=5, feedback=feedback, **({} if source == "live" else {"dwell_s": 0.0})
        )
    rec.strategy = strategy
    return rec


def follow_live_mood(rec: Recommender, mood: Mood | None) -> bool:
    """Offer the live smoothed mood to the recommender; ``True`` when its songs changed (rerun the page)."""
    before = rec.current.serial
    rec.for_mood(mood.label if mood else None, mood.scores if mood else None)
    return rec.current.serial != before


def song_note(rec: Recommender, mood: Mood | None) -> None:
    """Under the live mood: why the songs below have not changed (yet) although the mood has."""
    current = rec.current.emotion
    if mood is None or current is None or mood.label == current:
        return
    if rec.pinned:
        st.caption(f"📌 Songs kept for {current}, as you asked; your mood now reads {mood.label}.")
        return
    waiting = rec.waiting_for()
    if waiting is not None:
        st.caption(f"Your mood now reads {waiting[0]}: new songs if it holds {waiting[1]:.0f} s more.")


def text(value: str) -> str:
    """A song's name or artists for Markdown, shown exactly as typed (no formatting, links or formulas)."""
    return md(value).replace("$", "\\$")


def _rated(rec: Recommender, source: str, track: Track, key: str) -> None:
    """``st.feedback`` callback: 1 is 👍, 0 is 👎, ``None`` when the person took it back."""
    value = st.session_state.get(key)
    if value is not None:
        _rate(rec, source, track, liked=value == 1)


def _rate(rec: Recommender, source: str, track: Track, liked: bool) -> None:
    emotion = rec.current.emotion
    rec.rate(track, liked)
    recorder = mood_recorder(source)
    if recorder is not None and emotion is not None:
        recorder.song_feedback(emotion, track, liked)
    if liked:
        st.toast(f"👍 More like “{track.name}” when you're {emotion}.")
    else:
        st.toast(f"👎 “{track.name}” won't come back this session.")


def track_list(
    tracks: Sequence[Track],
    *,
    players: bool = True,
    max_players: int = 5,
    steps: Sequence[str] = (),
    rate: tuple[Recommender, str] | None = None,
) -> None:
    """Songs with the Spotify embed player (rows with a valid track ID) and an "open in Spotify" link.

    At most ``max_players`` iframes, because each one is a full web player in the
    browser; the rest are links. ``steps`` puts a caption above each song (the lift
    path), ``rate`` adds 👍/👎 (``st.feedback``) for that recommender and source. Names are
    escaped HTML text (:func:`emuse.ui.common.song_html`), never Markdown; links come only
    from :mod:`emuse.music.links` (validated IDs).
    """
    shown = 0
    for i, track in enumerate(tracks):
        if i < len(steps):
            st.caption(steps[i])
        if players and track.embed_url and shown < max_players:
            st.iframe(track.embed_url, height=80)
            line = song_html(track, "Open in Spotify")
            shown += 1
        else:
            line = song_html(track, "Open in Spotify" if track.embed_url else "Find on Spotify")
        if rate is None:
            st.html(line)
            continue
        link, thumbs = st.columns([3, 1], vertical_alignment="center")
        with link:
            st.html(line)
        rec, source = rate
        key = state.rate_song(source, rec.current.serial, i)
        with thumbs:
            st.feedback("thumbs", key=key, on_change=_rated, args=(rec, source, track, key))


def songs_block(rec: Recommender, source: str = "live", *, max_players: int = 5, pin: bool = True) -> None:
    """The songs of ``rec`` with their heading (naming the mood they were chosen for) and controls.

    Each list is recorded in the history once, when it is first shown.
    """
    current = rec.current
    if current.emotion is None:
        st.caption("Songs appear here as soon as eMuse sees your face.")
        return
    st.markdown(f"**{EMOJI[current.emotion]} {text(current.heading)}**")
    for problem in current.problems:
        st.warning(problem, icon="⚠️")
    track_list(current.tracks, max_players=max_players, steps=current.steps, rate=(rec, source))
    left, right = st.columns(2)
    if pin:
        left.toggle(
            "📌 Keep these songs",
            value=rec.pinned,
            key=state.pin_songs(source),
            help="The songs stay while you listen, whatever your face does. Switch off to follow your mood again.",
            on_change=lambda: setattr(rec, "pinned", bool(st.session_state[state.pin_songs(source)])),
        )
    right.button("🔀 Other songs", key=state.more_songs(source), on_click=rec.more)
    recorder = mood_recorder(source)
    if recorder is not None:
        recorder.songs_shown(current.emotion, current.tracks)  # once per distinct list, however often it reruns
