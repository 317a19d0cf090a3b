"""Which songs to play for a mood: songs chosen in mood space, lists that stay, feedback that counts.

Plain Python (no Streamlit): the Live page keeps one :class:`Recommender` in its
session state and calls :meth:`Recommender.for_mood` with the *smoothed* mood on
every rerun.

* **Mood space** (:mod:`emuse.music.moodspace`): every song with Spotify's valence
  and energy is a point; a song without them stands at its playlist's emotion
  target, so synced and hand-made lists still work (by emotion, as before).
  "Match my mood" takes the songs nearest the mood's point, which the seven
  scores place between emotions. "Lift my mood" follows the iso principle: the
  first song meets the listener where they are, each next one is a step toward
  calm and then toward happy.
* **Lists that stay**: a new mood replaces the songs only after it has held for
  ``dwell_s`` seconds (on top of the smoother's hysteresis); a face lost for a
  moment keeps them; a pinned list never changes by itself. Measured on the
  issue's case (20 s of a mood wavering between happy and neutral, flips every
  0.5-3 s, read 10 times a second): 14 list changes without a dwell, 0 with the
  4 s dwell, and 1 once it settles (tests/unit/music/test_recommend.py).
* **Feedback**: a 👎 song is never offered again in the session; a 👍 song counts
  as nearer for the mood it was liked for and comes back in every other list for
  that mood (measured: 20 of 40 lists, other songs 7-11; tests/unit/music/test_recommend.py).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from emuse.labels import EMOTIONS, normalize_label
from emuse.music import moodspace
from emuse.music.moodspace import Point
from emuse.music.store import PlaylistError, Track, load_playlist

#: Strategy key -> what a person sees.
STRATEGIES: dict[str, str] = {"match": "Match my mood", "lift": "Lift my mood"}

#: Seconds a new mood must hold before the songs change.
DWELL_S = 4.0
#: A 👍 song counts as this much nearer (in mood-space distance) for the mood it was liked for.
LIKED_BONUS = 0.1
#: Songs whose distance is within this of the n-th nearest are equally good: shuffled among.
TIE_SLACK = 0.04


def _check_strategy(value: str) -> str:
    if value not in STRATEGIES:
        raise ValueError(f"unknown strategy {value!r}; expected one of {', '.join(STRATEGIES)}")
    return value


@dataclass(frozen=True)
class Recommendation:
    """A handful of songs for one mood: what to show above them, beside each, and problems met."""

    emotion: str | None  # the mood the songs were chosen for (the heading names it)
    tracks: list[Track]
    problems: list[str]
    heading: str = ""
    steps: tuple[str, ...] = ()  # one caption per track ("1 of 5 · meets you where you are")
    strategy: str = "match"
    serial: int = 0  # changes whenever the list does: record it once per serial
    point: Point | None = None


@dataclass(frozen=True)
class _Candidate:
    track: Track
    playlist: str
    point: Point
    tie: float  # a per-session random number: featureless songs in one list are shuffled, not alphabetical


def mood_words(emotion: str, scores: Sequence[float] | None = None) -> str:
    """ "sad" or, when a second emotion carries real weight, "sad, a little neutral"."""
    if scores is None or len(scores) != len(EMOTIONS):
        return emotion
    ranked = sorted(zip(scores, EMOTIONS, strict=True), reverse=True)
    second = next(((s, e) for s, e in ranked if e != emotion), None)
    total = sum(max(0.0, s) for s in scores) or 1.0
    if second is not None and second[0] / total >= 0.2:
        return f"{emotion}, a little {second[1]}"
    return emotion


def heading_for(strategy: str, emotion: str, scores: Sequence[float] | None = None) -> str:
    """What the list is doing, in words that name the mood it was chosen for."""
    words = mood_words(emotion, scores)
    if strategy == "match":
        return f"Songs for your {words} mood"
    start = moodspace.mood_point(scores) if scores is not None else moodspace.label_point(emotion)
    if moodspace.distance(start, moodspace.HAPPY) < 0.05:
        return f"You look {words}: songs to keep you there"
    return f"Lifting you from {words} toward happy"


def lift_captions(start: Point, n: int) -> tuple[str, ...]:
    """One caption per step of :func:`moodspace.lift_path`: where that song stands on the way."""
    if n == 1:
        return ("1 of 1 · meets you where you are",)
    via_calm = moodspace.goes_via_calm(start)
    points = moodspace.lift_path(start, n)
    before_calm = moodspace.distance(start, moodspace.CALM) if via_calm else 0.0
    captions, travelled = [], 0.0
    for i, point in enumerate(points):
        if i:
            travelled += moodspace.distance(points[i - 1], point)
        if i == 0:
            where = "meets you where you are"
        elif i == n - 1:
            where = "happy"
        elif via_calm and abs(travelled - before_calm) < 0.05:
            where = "calm"
        elif via_calm and travelled < before_calm:
            where = "a step toward calm"
        else:
            where = "a step toward happy"
        captions.append(f"{i + 1} of {n} · {where}")
    return tuple(captions)


@dataclass
class Feedback:
    """A session's 👍/👎, shared by its recommenders (live, snapshot, upload): a 👎 anywhere counts everywhere."""

    disliked: set[str] = field(default_factory=set)
    liked: dict[str, set[str]] = field(default_factory=dict)  # emotion -> track keys


class Recommender:
    """Per-session song picker: ``Recommender("lift", n=5).for_mood("sad", scores) -> list[Track]``."""

    def __init__(
        self,
        strategy: str = "match",
        n: int = 5,
        seed: int | None = None,
        loader: Callable[[str], Sequence[Track]] = load_playlist,
        dwell_s: float = DWELL_S,
        feedback: Feedback | None = None,
    ) -> None:
        if n < 1:
            raise ValueError("n must be at least 1")
        self._strategy = _check_strategy(strategy)
        self.n = n
        self.dwell_s = dwell_s
        self._rng = random.Random(seed)
        self._loader = loader
        self._shown: set[str] = set()  # track keys shown this session (the current round)
        self._feedback = feedback if feedback is not None else Feedback()
        self._current = Recommendation(None, [], [])
        self._serial = 0
        self._pending: tuple[str, float] | None = None  # a new mood and since when it has held
        self._latest: tuple[str, tuple[float, ...] | None] | None = None
        self._ties: dict[str, float] = {}
        self.pinned = False

    # -- state ---------------------------------------------------------------------

    @property
    def strategy(self) -> str:
        return self._strategy

    @strategy.setter
    def strategy(self, value: str) -> None:
        if _check_strategy(value) != self._strategy:
            self._strategy = value
            if self._current.emotion is not None and not self.pinned:
                # A person's choice: pick again at once, for the mood the list was for (or the latest).
                emotion, scores = self._latest or (self._current.emotion, None)
                self._current = self._pick(emotion, scores)

    @property
    def current(self) -> Recommendation:
        """The songs on screen now (with heading, captions and any playlist problems)."""
        return self._current

    @property
    def problems(self) -> list[str]:
        return self._current.problems

    def waiting_for(self, now: float | None = None) -> tuple[str, float] | None:
        """``(mood, seconds left)`` while a new mood is holding but the songs have not changed yet."""
        if self._pending is None or self.pinned:
            return None
        now = time.monotonic() if now is None else now
        return self._pending[0], max(0.0, self.dwell_s - (now - self._pending[1]))

    # -- choosing --------------------------------------------------------------------

    def for_mood(
        self, emotion: str | None, scores: Sequence[float] | Mapping[str, float] | None = None, now: float | None = None
    ) -> list[Track]:
        """Songs for the smoothed mood (``emotion``, optionally its seven ``scores``) at time ``now``.

        The first mood gets songs at once. After that the list changes only when a
        different mood has held for :attr:`dwell_s` seconds, never while pinned; no
        face right now keeps the list.
        """
        now = time.monotonic() if now is None else now
        if emotion is None:
            self._pending = None
            return list(self._current.tracks)
        emotion = normalize_label(emotion)
        vector = _vector(scores)
        self._latest = (emotion, vector)
        if self._current.emotion is None:
            self._pending = None
            self._current = self._pick(emotion, vector)
        elif emotion == self._current.emotion or self.pinned:
            self._pending = None if emotion == self._current.emotion else self._pending
        elif self._pending is None or self._pending[0] != emotion:
            self._pending = (emotion, now)
            if self.dwell_s <= 0:
                return self.for_mood(emotion, vector, now)
        elif now - self._pending[1] >= self.dwell_s:
            self._pending = None
            self._current = self._pick(emotion, vector)
        return list(self._current.tracks)

    def pick_now(self, emotion: str, scores: Sequence[float] | Mapping[str, float] | None = None) -> list[Track]:
        """A fresh list at once, for a snapshot or an upload (a new picture is a new observation)."""
        emotion = normalize_label(emotion)
        vector = _vector(scores)
        self._latest, self._pending = (emotion, vector), None
        self._current = self._pick(emotion, vector)
        return list(self._current.tracks)

    def clear(self) -> None:
        """No songs (a snapshot or upload in which no face was found)."""
        self._current = Recommendation(None, [], [])
        self._pending = self._latest = None

    def more(self) -> list[Track]:
        """A new handful for the mood the list is for ("other songs" button); works while pinned too."""
        if self._current.emotion is not None:
            emotion, scores = self._latest or (self._current.emotion, None)
            if emotion != self._current.emotion:
                emotion, scores = self._current.emotion, None
            self._current = self._pick(emotion, scores)
        return list(self._current.tracks)

    # -- feedback --------------------------------------------------------------------

    def rate(self, track: Track, liked: bool, emotion: str | None = None) -> None:
        """👍 (``liked``) or 👎 a song, for ``emotion`` (default: the mood of the list on screen).

        A 👎 song leaves the list on screen at once (replaced by the next best) and is
        not offered again this session; a 👍 one counts as nearer for that mood.
        """
        emotion = normalize_label(emotion or self._current.emotion or "neutral")
        if liked:
            self._feedback.disliked.discard(track.key)
            self._feedback.liked.setdefault(emotion, set()).add(track.key)
            return
        self._feedback.disliked.add(track.key)
        for liked_keys in self._feedback.liked.values():
            liked_keys.discard(track.key)
        tracks = list(self._current.tracks)
        index = next((i for i, t in enumerate(tracks) if t.key == track.key), None)
        if index is None or self._current.emotion is None:
            return
        current = self._current
        target = current.point or moodspace.TARGETS[current.emotion]
        if current.strategy == "lift":
            target = moodspace.lift_path(target, len(tracks))[index]
        on_screen = {t.key for t in tracks}
        pool = [c for c in self._candidates([], current.emotion) if c.track.key not in on_screen]
        replacement = self._nearest(pool, target, current.emotion, 1, on_screen)
        tracks[index : index + 1] = [c.track for c in replacement]
        self._shown.update(t.key for t in tracks)
        self._serial += 1
        self._current = Recommendation(
            current.emotion,
            tracks,
            current.problems,
            current.heading,
            current.steps if len(tracks) == len(current.tracks) else (),
            current.strategy,
            self._serial,
            current.point,
        )

    def liked(self, emotion: str) -> set[str]:
        return set(self._feedback.liked.get(normalize_label(emotion), set()))

    @property
    def disliked(self) -> set[str]:
        return set(self._feedback.disliked)

    # -- internals -------------------------------------------------------------------

    def _candidates(self, problems: list[str], emotion: str) -> list[_Candidate]:
        seen: set[str] = set()
        candidates: list[_Candidate] = []
        for playlist in EMOTIONS:
            try:
                tracks = list(self._loader(playlist))
            except (PlaylistError, OSError) as exc:
                problems.append(str(exc))
                continue
            if not tracks and playlist == emotion:
                problems.append(f"the {playlist} playlist is empty; add songs on the Playlists page")
            for track in tracks:
                if track.key in seen or track.key in self._feedback.disliked:
                    continue
                seen.add(track.key)
                tie = self._ties.setdefault(track.key, self._rng.random())
                candidates.append(_Candidate(track, playlist, track.point or moodspace.TARGETS[playlist], tie))
        return candidates

    def _distance(self, candidate: _Candidate, target: Point, emotion: str) -> float:
        d = moodspace.distance(candidate.point, target)
        return d - LIKED_BONUS if candidate.track.key in self._feedback.liked.get(emotion, ()) else d

    def _fresh(self, candidate: _Candidate, emotion: str, previous: set[str]) -> bool:
        key = candidate.track.key
        if key in self._feedback.liked.get(emotion, ()):
            return key not in previous  # a liked song may come back, just not in two lists running
        return key not in self._shown

    def _nearest(
        self, pool: list[_Candidate], target: Point, emotion: str, k: int, previous: set[str]
    ) -> list[_Candidate]:
        """The ``k`` nearest fresh candidates (near-ties shuffled); starts a new round when too few are fresh."""
        if k <= 0 or not pool:
            return []
        ranked = sorted(pool, key=lambda c: (self._distance(c, target, emotion), c.tie))
        neighbourhood = ranked[: max(4 * self.n, k)]
        fresh = [c for c in neighbourhood if self._fresh(c, emotion, previous)]
        if len(fresh) < k:
            # Everything near this mood was shown: a new round here, the old round's last songs first.
            self._shown.difference_update(c.track.key for c in neighbourhood if c not in fresh)
            rest = [c for c in neighbourhood if c not in fresh and c.track.key not in previous]
            rest += [c for c in neighbourhood if c not in fresh and c not in rest]
            return fresh + rest[: k - len(fresh)]
        edge = self._distance(fresh[k - 1], target, emotion) + TIE_SLACK
        window = [c for c in fresh if self._distance(c, target, emotion) <= edge]
        liked = self._feedback.liked.get(emotion, set())
        sure = [c for c in window if c.track.key in liked][:k]  # a 👍 song near the mood always makes it
        rest = [c for c in window if c not in sure]
        picked = sure + (self._rng.sample(rest, k - len(sure)) if len(rest) > k - len(sure) else rest[: k - len(sure)])
        return sorted(picked, key=lambda c: (self._distance(c, target, emotion), c.tie))

    def _pick(self, emotion: str, scores: tuple[float, ...] | None) -> Recommendation:
        problems: list[str] = []
        previous = {t.key for t in self._current.tracks}
        pool = self._candidates(problems, emotion)
        start = moodspace.mood_point(scores) if scores is not None else moodspace.TARGETS[emotion]
        steps: tuple[str, ...] = ()
        if self._strategy == "match":
            chosen = [c.track for c in self._nearest(pool, start, emotion, self.n, previous)]
        else:
            # One song per step of the lift path, each the nearest fresh song to its step's point.
            chosen = []
            for point in moodspace.lift_path(start, self.n):
                taken = {t.key for t in chosen}
                step = self._nearest([c for c in pool if c.track.key not in taken], point, emotion, 1, previous)
                chosen += [c.track for c in step]
            steps = lift_captions(start, len(chosen)) if len(chosen) == self.n else ()
        self._shown.update(t.key for t in chosen)
        self._serial += 1
        return Recommendation(
            emotion,
            chosen,
            problems,
            heading_for(self._strategy, emotion, scores),
            steps,
            self._strategy,
            self._serial,
            start,
        )


def _vector(scores: Sequence[float] | Mapping[str, float] | None) -> tuple[float, ...] | None:
    if scores is None:
        return None
    if isinstance(scores, Mapping):
        return tuple(float(scores.get(e, 0.0)) for e in EMOTIONS)
    values = tuple(float(s) for s in scores)
    if len(values) != len(EMOTIONS):
        raise ValueError(f"a mood needs {len(EMOTIONS)} scores in EMOTIONS order, got {len(values)}")
    return values
