"""Every face box shows that face's own smoothed mood; the face the music follows; labels that don't collide."""

from __future__ import annotations

import cv2
import numpy as np

from emuse.labels import COLORS, EMOTIONS, hex_to_bgr
from emuse.mood import Mood, in_words
from emuse.vision.frame_analysis import FrameAnalyzer, _intersects, draw, place_labels
from emuse.vision.smoothing import FaceMoods


def head(picture: np.ndarray) -> np.ndarray:
    """The face of a sample picture with a margin (where the Haar detector finds it in that picture)."""
    if picture.shape[0] == 512:  # the astronaut: face at (174, 64, 97, 97)
        return picture[14:211, 124:321]
    return picture[40:390, 90:440]  # Grace Hopper: face at (152, 102, 225, 225)


def two_people(left_bgr: np.ndarray, right_bgr: np.ndarray, right_size: int = 240) -> np.ndarray:
    """A 960x480 frame: one head 300 px tall on the left, another ``right_size`` px on the right."""
    frame = np.full((480, 960, 3), 90, np.uint8)
    frame[90:390, 40:340] = cv2.resize(head(left_bgr), (300, 300))
    top = 90 + (300 - right_size) // 2
    frame[top : top + right_size, 600 : 600 + right_size] = cv2.resize(head(right_bgr), (right_size, right_size))
    return frame


def test_each_face_has_its_own_smoothed_mood(classifier, astronaut_bgr, grace_hopper_bgr) -> None:
    analyzer = FrameAnalyzer(classifier)
    frame = two_people(astronaut_bgr, grace_hopper_bgr)
    for i in range(10):
        result = analyzer.analyze(frame, now=i / 10)
    left, right = sorted(result.faces, key=lambda f: f.box[0])
    assert left.mood is not None and left.mood.label == "happy"
    assert right.mood is not None and right.mood.label != "happy"
    assert right.mood.label == right.emotion  # a steady face: smoothed and raw agree


def test_the_box_keeps_the_smoothed_mood_through_one_odd_frame(classifier, astronaut_bgr, grace_hopper_bgr) -> None:
    analyzer = FrameAnalyzer(classifier)
    happy = two_people(astronaut_bgr, grace_hopper_bgr)
    for i in range(10):
        analyzer.analyze(happy, now=i / 10)
    odd = two_people(grace_hopper_bgr, grace_hopper_bgr)  # one frame where the left person looks neutral
    result = analyzer.analyze(odd, now=1.05)
    left = min(result.faces, key=lambda f: f.box[0])
    assert left.emotion != "happy", "the raw answer of the odd frame"
    assert left.mood is not None and left.mood.label == "happy", "the box shows the smoothed mood, not the raw one"


def test_music_follows_the_largest_face_or_the_group(classifier, astronaut_bgr, grace_hopper_bgr) -> None:
    frame = two_people(grace_hopper_bgr, astronaut_bgr, right_size=220)  # the larger face is not the happy one
    analyzer = FrameAnalyzer(classifier)
    for i in range(5):
        result = analyzer.analyze(frame, now=i / 10)
    main = [f for f in result.faces if f.main]
    assert len(main) == 1 and main[0].box[0] < 320, "the larger (left) face drives the music"
    assert result.mood == main[0].mood and result.follow == "largest"

    analyzer.follow = "group"
    result = analyzer.analyze(frame, now=0.5)
    assert all(f.main for f in result.faces) and result.follow == "group"
    mean = np.mean([f.scores for f in result.faces], axis=0)
    assert result.mood is not None and result.mood.label in EMOTIONS
    assert abs(result.mood.scores[EMOTIONS.index("happy")] - mean[EMOTIONS.index("happy")]) < 0.25


def test_the_main_face_does_not_take_turns_with_a_similar_one() -> None:
    moods = FaceMoods()
    a, b = (0, 0, 100, 100), (300, 0, 98, 98)
    scores = [np.eye(7)[3], np.eye(7)[4]]
    ids = [face_id for face_id, _ in moods.update([a, b], scores, 0.0)]
    again = [face_id for face_id, _ in moods.update([(302, 1, 101, 101), (2, 1, 99, 99)], scores[::-1], 0.1)]
    assert again == ids[::-1], "boxes are matched to the same faces by overlap, whatever their order"
    assert moods.mood(ids[0]).label == "happy" and moods.mood(ids[1]).label == "sad"
    moods.update([], [], 1.0)
    assert moods.mood(ids[0]) is not None  # just left: still remembered for a moment
    moods.update([], [], 5.0)
    assert moods.mood(ids[0]) is None and len(moods) == 0


def test_labels_of_faces_side_by_side_never_cover_each_other() -> None:
    boxes = [(100, 50, 120, 120), (180, 60, 110, 110), (10, 300, 100, 100), (60, 320, 100, 100)]
    sizes = [(160, 30)] * len(boxes)
    spots = place_labels(boxes, sizes, 640, 480)
    for i, spot in enumerate(spots):
        assert spot[0] >= 0 and spot[1] >= 0 and spot[0] + spot[2] <= 640 and spot[1] + spot[3] <= 480
        for j, other in enumerate(spots):
            assert i == j or not _intersects(spot, other), (i, j, spots)


def test_draw_shows_the_smoothed_colour_and_a_heavier_main_box(classifier, astronaut_bgr, grace_hopper_bgr) -> None:
    analyzer = FrameAnalyzer(classifier)
    happy = two_people(astronaut_bgr, grace_hopper_bgr)
    for i in range(10):
        analyzer.analyze(happy, now=i / 10)
    odd = two_people(grace_hopper_bgr, grace_hopper_bgr)
    result = analyzer.analyze(odd, now=1.05)
    annotated = draw(odd.copy(), result)
    left = min(result.faces, key=lambda f: f.box[0])
    x, y, _, h = left.box
    edge = annotated[y + h // 2, max(0, x - 1) : x + 8].astype(int)  # across the left edge of the box
    happy_bgr = np.array(hex_to_bgr(COLORS["happy"]))
    assert (np.abs(edge - happy_bgr).max(axis=1) < 10).sum() >= 4, "the main box is thick and in the smoothed colour"


def test_confidence_in_words() -> None:
    def mood(**scores: float) -> Mood:
        values = tuple(scores.get(label, 0.0) for label in EMOTIONS)
        return Mood(max(scores, key=scores.get), max(values), values)

    assert in_words(mood(happy=0.9, neutral=0.1)) == "sure"
    assert in_words(mood(happy=0.6, neutral=0.3)) == "fairly sure"
    assert in_words(mood(neutral=0.45, sad=0.4, happy=0.15)) == "unsure: mixed between neutral and sad"
