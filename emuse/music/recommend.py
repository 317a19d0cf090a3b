"""Which songs to play for a mood: the strategies and a per-session recommender.

Plain Python (no Streamlit): the Live page keeps one :class:`Recommender` in its
session state and calls :meth:`Recommender.for_mood` with the *smoothed* mood on
every rerun. The list changes only when that mood changes, songs don't repeat
within the session until every candidate has been shown, and order is shuffled.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from emuse.labels import EMOTIONS, normalize_label
from emuse.music.store import PlaylistError, Track, load_playlist

#: Strategy key -> what a person sees.
STRATEGIES: dict[str, str] = {"match": "Match my mood", "lift": "Lift my mood"}

#: The one place that says where "lift my mood" goes. Each mood lists the playlists
#: to draw from, in order: negative moods move first toward calmer songs (neutral)
#: and then toward happier ones, the way a DJ eases a room rather than jumping from
#: a sad song to a party anthem. Positive moods stay where they are.
LIFT_PATH: dict[str, tuple[str, ...]] = {
    "angry": ("neutral", "happy"),
    "disgust": ("neutral", "happy"),
    "fear": ("neutral", "happy"),
    "sad": ("neutral", "happy"),
    "neutral": ("neutral", "happy"),
    "surprise": ("surprise", "happy"),
    "happy": ("happy",),
}


def playlists_for(emotion: str, strategy: str) -> tuple[str, ...]:
    """The playlists a recommendation for ``emotion`` draws from, in order (calmer first)."""
    emotion = normalize_label(emotion)
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}")
    return (emotion,) if strategy == "match" else LIFT_PATH[emotion]


@dataclass(frozen=True)
class Recommendation:
    """A handful of songs for one mood, with the problems met while loading them."""

    emotion: str | None
    tracks: list[Track]
    problems: list[str]


class Recommender:
    """Per-session song picker: ``Recommender("lift", n=5).for_mood("sad") -> list[Track]``."""

    def __init__(
        self,
        strategy: str = "match",
        n: int = 5,
        seed: int | None = None,
        loader: Callable[[str], Sequence[Track]] = load_playlist,
    ) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}")
        if n < 1:
            raise ValueError("n must be at least 1")
        self._strategy = strategy
        self.n = n
        self._rng = random.Random(seed)
        self._loader = loader
        self._shown: dict[str, set[str]] = {e: set() for e in EMOTIONS}  # per playlist, this session
        self._current = Recommendation(None, [], [])

    @property
    def strategy(self) -> str:
        return self._strategy

    @strategy.setter
    def strategy(self, value: str) -> None:
        if value not in STRATEGIES:
            raise ValueError(f"unknown strategy {value!r}; expected one of {', '.join(STRATEGIES)}")
        if value != self._strategy:
            self._strategy = value
            self._current = Recommendation(None, [], [])  # pick again for the same mood, with the new strategy

    @property
    def current(self) -> Recommendation:
        """The last recommendation (its tracks, and any playlist problems to show)."""
        return self._current

    @property
    def problems(self) -> list[str]:
        return self._current.problems

    def for_mood(self, emotion: str | None) -> list[Track]:
        """Songs for the smoothed mood. Same mood (or no face right now) -> the same songs as last time."""
        if emotion is None:
            return list(self._current.tracks)
        emotion = normalize_label(emotion)
        if emotion != self._current.emotion:
            self._current = self._pick(emotion)
        return list(self._current.tracks)

    def more(self) -> list[Track]:
        """A new handful for the current mood ("more songs" button)."""
        if self._current.emotion is not None:
            self._current = self._pick(self._current.emotion)
        return list(self._current.tracks)

    def _pick(self, emotion: str) -> Recommendation:
        steps = playlists_for(emotion, self._strategy)
        # Split the handful across the steps, calmer playlists first: 5 songs over
        # (neutral, happy) -> 3 neutral then 2 happy.
        shares = [self.n // len(steps) + (1 if i < self.n % len(steps) else 0) for i in range(len(steps))]
        tracks: list[Track] = []
        problems: list[str] = []
        pools: dict[str, list[Track]] = {}
        for step in steps:
            try:
                pool = list(self._loader(step))
            except (PlaylistError, OSError) as exc:
                problems.append(str(exc))
                pool = []
            else:
                if not pool:
                    problems.append(f"the {step} playlist is empty; add songs on the Playlists page")
            pools[step] = pool
        taken: set[str] = set()
        for step, share in zip(steps, shares, strict=True):
            tracks += self._draw(step, pools[step], share, taken)
        # A short or broken playlist: fill up from the other steps rather than show fewer songs.
        for step in steps:
            if len(tracks) < self.n:
                tracks += self._draw(step, pools[step], self.n - len(tracks), taken)
        return Recommendation(emotion, tracks, problems)

    def _draw(self, playlist: str, pool: list[Track], k: int, taken: set[str]) -> list[Track]:
        """Up to ``k`` shuffled songs from ``pool`` not yet shown this session (a new round once all were)."""
        candidates = [t for t in pool if t.key not in taken]
        if not candidates or k <= 0:
            return []
        shown = self._shown[playlist]
        fresh = [t for t in candidates if t.key not in shown]
        if len(fresh) < k:
            # Everything has been played: start a new round, but finish the old one first.
            picked = self._rng.sample(fresh, len(fresh))
            shown.clear()
            shown.update(t.key for t in picked)
            rest = [t for t in candidates if t.key not in shown]
            picked += self._rng.sample(rest, min(k - len(picked), len(rest)))
        else:
            picked = self._rng.sample(fresh, k)
        shown.update(t.key for t in picked)
        taken.update(t.key for t in picked)
        return picked
