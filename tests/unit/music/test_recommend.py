"""The recommender: mood-space ordering on known points, lists that stay, and feedback."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from emuse.labels import EMOTIONS
from emuse.music import Recommender, moodspace, store
from emuse.music.recommend import TIE_SLACK
from emuse.music.store import Track
from tests.support.paths import ROOT

HEADER = "track_id,name,artists,album,duration_ms,url,source,added_at\n"


def one_hot(emotion: str, weight: float = 1.0, other: str = "neutral") -> list[float]:
    scores = [0.0] * len(EMOTIONS)
    scores[EMOTIONS.index(emotion)] += weight
    scores[EMOTIONS.index(other)] += 1.0 - weight
    return scores


def grid_library() -> dict[str, list[Track]]:
    """441 songs on a 21 x 21 grid of (valence, energy), named by their point, all in the happy list."""
    tracks = [
        Track("", f"v{v:.2f} e{e:.2f}", "Grid", source=store.STARTER, valence=v, energy=e)
        for v in [i / 20 for i in range(21)]
        for e in [i / 20 for i in range(21)]
    ]
    return {e: (tracks if e == "happy" else []) for e in EMOTIONS}


def featureless(sizes: dict[str, int]) -> dict[str, list[Track]]:
    return {e: [store.manual_track("", f"{e} {i}", f"Artist {i}") for i in range(sizes.get(e, 0))] for e in EMOTIONS}


def rec_for(data: dict[str, list[Track]], **kwargs) -> Recommender:
    kwargs.setdefault("seed", 0)
    return Recommender(loader=lambda e: data[e], **kwargs)


# --------------------------------------------------------------------------- mood space


def test_a_mood_between_emotions_lands_between_their_targets() -> None:
    sad, calm = moodspace.TARGETS["sad"], moodspace.TARGETS["neutral"]
    assert moodspace.mood_point(one_hot("sad")) == pytest.approx(sad)
    point = moodspace.mood_point(one_hot("neutral", 0.6, other="sad"))
    assert point == pytest.approx((0.6 * calm[0] + 0.4 * sad[0], 0.6 * calm[1] + 0.4 * sad[1]))
    assert moodspace.nearest_emotion(point) == "neutral"
    assert moodspace.mood_point({"happy": 2.0, "surprise": 2.0}) == pytest.approx(
        tuple((a + b) / 2 for a, b in zip(moodspace.TARGETS["happy"], moodspace.TARGETS["surprise"], strict=True))
    )
    with pytest.raises(ValueError, match="all zero"):
        moodspace.mood_point([0.0] * 7)


def test_targets_follow_russells_circle() -> None:
    t = moodspace.TARGETS
    assert t["happy"][0] > t["surprise"][0] > t["angry"][0] > t["fear"][0] > t["disgust"][0]  # valence falls
    assert min(t[e][1] for e in ("surprise", "angry", "fear")) > t["happy"][1] > t["sad"][1]  # aroused on top
    assert t["neutral"][1] == min(p[1] for p in t.values())  # calm is the least energetic


def test_match_picks_the_songs_nearest_the_mood_point() -> None:
    for scores in (one_hot("sad"), one_hot("neutral", 0.5, other="sad"), one_hot("angry", 0.7, other="fear")):
        rec = rec_for(grid_library(), strategy="match")
        tracks = rec.for_mood(EMOTIONS[max(range(7), key=scores.__getitem__)], scores, now=0.0)
        point = moodspace.mood_point(scores)
        distances = sorted(moodspace.distance(t.point, point) for t in tracks)
        fifth = sorted(moodspace.distance(t.point, point) for t in grid_library()["happy"])[4]
        # the five nearest songs, give or take near-ties (shuffled so a session hears variety)
        assert len(tracks) == 5 and distances[-1] <= fifth + TIE_SLACK + 1e-9, (scores, distances)
        assert [moodspace.distance(t.point, point) for t in tracks] == distances  # nearest first


def test_lift_meets_the_listener_then_steps_toward_calm_then_happy() -> None:
    rec = rec_for(grid_library(), strategy="lift")
    tracks = rec.for_mood("sad", one_hot("sad"), now=0.0)
    points = [t.point for t in tracks]
    sad, calm, happy = (moodspace.TARGETS[e] for e in ("sad", "neutral", "happy"))
    assert moodspace.distance(points[0], sad) <= 0.05  # meets you where you are
    assert moodspace.distance(points[2], calm) <= 0.08  # halfway: calm
    assert moodspace.distance(points[-1], happy) <= 0.05  # ends happy
    assert points[1][1] < points[0][1] + 0.03 and points[1][0] > points[0][0]  # first steps lose energy
    assert [moodspace.distance(p, happy) for p in points[2:]] == sorted(
        (moodspace.distance(p, happy) for p in points[2:]), reverse=True
    )
    assert rec.current.heading == "Lifting you from sad toward happy"
    assert rec.current.steps == (
        "1 of 5 · meets you where you are",
        "2 of 5 · a step toward calm",
        "3 of 5 · calm",
        "4 of 5 · a step toward happy",
        "5 of 5 · happy",
    )


def test_lift_for_a_happy_or_pleasant_mood_goes_straight_to_happy() -> None:
    rec = rec_for(grid_library(), strategy="lift")
    happy = rec.for_mood("happy", one_hot("happy"), now=0.0)
    assert all(moodspace.distance(t.point, moodspace.HAPPY) <= 0.08 for t in happy)
    assert rec.current.heading == "You look happy: songs to keep you there"
    rec = rec_for(grid_library(), strategy="lift")
    points = [t.point for t in rec.for_mood("surprise", one_hot("surprise"), now=0.0)]
    assert moodspace.distance(points[0], moodspace.TARGETS["surprise"]) <= 0.05
    assert all(p[1] > 0.5 for p in points)  # never down through calm
    assert rec.current.heading == "Lifting you from surprise toward happy"


def test_lists_without_features_fall_back_to_their_emotions_list() -> None:
    data = featureless({e: 8 for e in EMOTIONS})
    rec = rec_for(data, strategy="match")
    assert {t.name.split()[0] for t in rec.for_mood("fear", now=0.0)} == {"fear"}
    rec = rec_for(data, strategy="lift")
    names = [t.name.split()[0] for t in rec.for_mood("sad", now=0.0)]
    assert names[0] == "sad" and names[2] == "neutral" and names[-1] == "happy"


def test_the_real_starter_lists_match_and_lift() -> None:
    """On the shipped lists: matching a mood plays its own list; lifting sad ends in the happy list."""
    shipped = {e: store.load_playlist(e, ROOT / "playlists") for e in EMOTIONS}
    home = {t.key: e for e, ts in shipped.items() for t in ts}
    for emotion in EMOTIONS:
        rec = rec_for(shipped, strategy="match")
        got = [home[t.key] for t in rec.for_mood(emotion, one_hot(emotion), now=0.0)]
        assert got.count(emotion) >= 4, (emotion, got)
    rec = rec_for(shipped, strategy="lift")
    got = [home[t.key] for t in rec.for_mood("sad", one_hot("sad"), now=0.0)]
    assert got[0] == "sad" and got[2] == "neutral" and got[-1] == "happy", got


# --------------------------------------------------------------------------- lists that stay


def wavering(seconds: float = 20.0, seed: int = 4) -> list[tuple[float, str]]:
    """A smoothed mood flipping between happy and neutral every 0.5-3 s, read at 10 page reruns a second."""
    rng = random.Random(seed)
    flips, t, label = [], 0.0, "happy"
    while t < seconds:
        flips.append((t, label))
        t += rng.uniform(0.5, 3.0)
        label = "neutral" if label == "happy" else "happy"
    readings, j = [], 0
    for i in range(int(seconds * 10)):
        now = i / 10
        while j + 1 < len(flips) and flips[j + 1][0] <= now:
            j += 1
        readings.append((now, flips[j][1]))
    return readings


def changes(rec: Recommender, readings: list[tuple[float, str]]) -> int:
    serials = set()
    for now, label in readings:
        rec.for_mood(label, one_hot(label, 0.55, other="neutral" if label == "happy" else "happy"), now=now)
        serials.add(rec.current.serial)
    return len(serials) - 1  # the first list is not a change


def test_a_wavering_mood_does_not_churn_the_songs() -> None:
    readings = wavering()
    flips = sum(1 for a, b in itertools.pairwise(readings) if a[1] != b[1])
    assert changes(rec_for(featureless({"happy": 30, "neutral": 30}), dwell_s=0.0), readings) == flips >= 10
    assert changes(rec_for(featureless({"happy": 30, "neutral": 30})), readings) == 0
    # the same wavering followed by 6 s of a steady neutral: one change, 4 s after it settled
    settled = readings + [(20.0 + i / 10, "neutral") for i in range(60)]
    rec = rec_for(featureless({"happy": 30, "neutral": 30}))
    assert changes(rec, settled) == 1 and rec.current.emotion == "neutral"


def test_dwell_pin_and_a_lost_face() -> None:
    rec = rec_for(featureless({"happy": 20, "sad": 20}), dwell_s=4.0)
    first = rec.for_mood("sad", now=0.0)  # the first mood gets songs at once
    assert rec.for_mood(None, now=1.0) == first  # no face for a moment: same songs
    assert rec.for_mood("happy", now=2.0) == first and rec.waiting_for(now=3.0) == ("happy", 3.0)
    assert rec.for_mood("happy", now=5.9) == first
    later = rec.for_mood("happy", now=6.0)
    assert later != first and rec.current.emotion == "happy" and rec.current.heading == "Songs for your happy mood"
    rec.pinned = True
    for step in range(100):
        assert rec.for_mood("sad", now=10.0 + step) == later  # pinned: never changes by itself
    assert rec.waiting_for() is None and rec.current.emotion == "happy"  # heading still names its mood
    rec.pinned = False
    rec.for_mood("sad", now=200.0)
    assert rec.for_mood("sad", now=204.0) != later and rec.current.emotion == "sad"


def test_snapshot_lists_come_at_once_and_a_no_face_result_clears_them() -> None:
    rec = rec_for(featureless({"happy": 20, "sad": 20}), dwell_s=4.0)
    assert {t.name.split()[0] for t in rec.pick_now("sad")} == {"sad"}
    assert {t.name.split()[0] for t in rec.pick_now("happy")} == {"happy"}
    rec.clear()
    assert rec.current.tracks == [] and rec.current.emotion is None


def test_no_repeats_until_the_neighbourhood_is_exhausted() -> None:
    rec = rec_for(featureless({"sad": 10}), n=4, seed=3)
    seen = [t.key for t in rec.for_mood("sad", now=0.0)]
    seen += [t.key for t in rec.more()]
    assert len(set(seen)) == 8
    third = [t.key for t in rec.more()]
    assert len(third) == 4 and len(set(third)) == 4
    assert len(set(seen + third)) == 10  # the last 2 unseen songs come first, then a new round


def test_shuffled_differently_per_session() -> None:
    orders = {tuple(t.name for t in rec_for(featureless({"happy": 20}), seed=s).for_mood("happy")) for s in range(5)}
    assert len(orders) > 1


def test_problems_are_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "neutral.csv").write_text("bad header\n")
    rec = Recommender("lift", n=3, seed=0, loader=lambda e: store.load_playlist(e, tmp_path))
    (tmp_path / "happy.csv").write_text(HEADER + ",Happy,Pharrell Williams,,,,manual,\n")
    tracks = rec.for_mood("fear")
    assert [t.name for t in tracks] == ["Happy"]  # a short library fills from what is there
    assert any("neutral.csv line 1" in p for p in rec.problems)
    assert any("fear playlist is empty" in p for p in rec.problems)
    with pytest.raises(ValueError, match="unknown emotion"):
        rec.for_mood("bored")


# --------------------------------------------------------------------------- feedback


def test_a_disliked_song_leaves_at_once_and_never_comes_back() -> None:
    rec = rec_for(featureless({"sad": 12, "neutral": 12}), strategy="match")
    tracks = rec.for_mood("sad", now=0.0)
    bad = tracks[2]
    rec.rate(bad, liked=False)
    after = rec.current.tracks
    assert bad not in after and len(after) == 5 and after[:2] == tracks[:2] and after[3:] == tracks[3:]
    for _ in range(30):
        assert bad not in rec.more()


def test_a_liked_song_comes_back_more_often_for_that_mood() -> None:
    rec = rec_for(featureless({"sad": 25}), strategy="match", seed=5)
    favourite = rec.for_mood("sad", now=0.0)[0]
    rec.rate(favourite, liked=True)
    counts: dict[str, int] = {}
    for _ in range(40):
        for t in rec.more():
            counts[t.key] = counts.get(t.key, 0) + 1
    others = [c for k, c in counts.items() if k != favourite.key]
    assert counts[favourite.key] == 20 and max(others) <= 11  # every other list, versus about once a round
    assert favourite.key in rec.liked("sad") and not rec.liked("happy")


def test_feedback_is_shared_by_a_sessions_recommenders() -> None:
    from emuse.music import Feedback

    shared = Feedback()
    data = featureless({"sad": 6})
    live, snapshot = rec_for(data, feedback=shared), rec_for(data, feedback=shared, seed=1)
    bad = live.for_mood("sad", now=0.0)[0]
    live.rate(bad, liked=False)
    for _ in range(10):
        assert bad not in snapshot.pick_now("sad")
