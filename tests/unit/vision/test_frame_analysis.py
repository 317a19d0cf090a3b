"""The vision pipeline on real faces: detection, classification, smoothing, odd frames."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from emuse import registry
from emuse.labels import EMOTIONS, normalize_label, reorder_scores
from emuse.vision.classifier import EmotionClassifier
from emuse.vision.frame_analysis import FrameAnalyzer, draw
from emuse.vision.frames import to_bgr
from emuse.vision.smoothing import MoodSmoother


def test_labels_are_canonical_and_aliases_map() -> None:
    assert EMOTIONS == ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
    assert normalize_label("Surprised") == "surprise"
    assert normalize_label("disgusted") == "disgust"
    with pytest.raises(ValueError, match="unknown emotion"):
        normalize_label("bored")


def test_reorder_scores_maps_by_name_not_position() -> None:
    model_order = ["neutral", "happy", "sad", "angry", "fear", "surprise", "disgust"]
    scores = np.array([[0.0, 0.7, 0.1, 0.05, 0.05, 0.1, 0.0]])
    canonical = reorder_scores(scores, model_order)
    assert EMOTIONS[int(np.argmax(canonical))] == "happy"
    assert canonical[0, EMOTIONS.index("sad")] == pytest.approx(0.1)


def test_shipped_model_is_registered_with_provenance() -> None:
    default = registry.resolve(None)
    assert default.name == "emuse_resnet_ensemble"
    assert sorted(name for name, _ in default.members) == [
        "emuse_resnet",
        "emuse_resnet_b",
        "emuse_resnet_kd",
        "fer2013_mini_xception",
    ]
    assert registry.resolve("emuse_resnet_kd").meta["distillation"]["teacher"] == "emuse_resnet_ensemble"
    assert registry.resolve("emuse_resnet_mix").meta["config"]["mixup"] == 0.2
    seeds = (("emuse_resnet", 1234), ("emuse_resnet_b", 777), ("emuse_resnet_kd", 4242), ("emuse_resnet_mix", 2027))
    for name, seed in seeds:
        ours = registry.resolve(name).meta
        assert ours["data"]["sha256"] == "a238ccaa3a7841321e58c2f8a46e26a2bb552abd29c5ed707bbfa7f29d4cefa8"
        assert ours["command"].startswith("python -m emuse train") and ours["seed"] == seed
    info = registry.resolve("fer2013_mini_xception")
    assert info.input_shape == (64, 64, 1)
    assert info.labels == EMOTIONS
    source = info.meta["source"]
    assert source["wheel_sha256"] == "84e05d6a2bf800ac1c4566da16e1862fc9e893ea88fe91907d32d2f5a24a3671"
    assert "MIT" in info.meta["license"]
    assert (info.path / "LICENSE").read_text().startswith("MIT License")


def test_smiling_astronaut_is_happy(classifier, astronaut_bgr) -> None:
    result = FrameAnalyzer(classifier).analyze(astronaut_bgr, now=0.0)
    assert len(result.faces) == 1
    face = result.faces[0]
    x, y, w, h = face.box
    # The face is in the upper middle of the 512x512 picture (around x 180-270, y 70-160).
    assert 150 < x + w / 2 < 300 and 50 < y + h / 2 < 180
    assert face.emotion == "happy" and face.confidence > 0.8
    assert sum(face.scores) == pytest.approx(1.0, abs=1e-3)
    assert result.mood is not None and result.mood.label == "happy"


def test_grace_hopper_is_not_happy(classifier, grace_hopper_bgr) -> None:
    result = FrameAnalyzer(classifier).analyze(grace_hopper_bgr, now=0.0)
    assert len(result.faces) == 1
    assert result.faces[0].emotion in {"neutral", "sad"}
    assert result.faces[0].scores[EMOTIONS.index("happy")] < 0.1


@pytest.mark.parametrize("name", ["emuse_resnet", "fer2013_mini_xception"])
def test_scaling_is_inside_the_model(name: str, astronaut_bgr) -> None:
    """Feeding [0, 1] or [-1, 1] pixels must not be what the model wants: raw 0..255 is."""
    classifier = EmotionClassifier(name)
    gray = cv2.cvtColor(astronaut_bgr, cv2.COLOR_BGR2GRAY)
    (box,) = FrameAnalyzer(classifier).detector.detect_frame(astronaut_bgr, gray)[:1]
    faces = classifier.crop_faces(gray, [box])
    raw = classifier.predict_batch(faces)[0]
    assert EMOTIONS[int(np.argmax(raw))] == "happy"
    keras_model = classifier.model
    scaled_wrong = keras_model(faces[..., None].astype("float32") / 255.0).numpy()[0]
    assert not np.allclose(scaled_wrong, raw[[EMOTIONS.index(lbl) for lbl in classifier.info.labels]], atol=0.05)


@pytest.mark.parametrize(
    "frame",
    [
        None,
        np.zeros((0, 0, 3), np.uint8),
        np.zeros((1, 1, 3), np.uint8),
        np.zeros((480, 640), np.uint8),
        np.zeros((480, 640, 1), np.uint8),
        np.zeros((480, 640, 4), np.uint8),
        np.zeros((37, 1013, 3), np.uint8),
        np.random.default_rng(0).random((120, 160, 3)),  # floats in [0, 1]
    ],
    ids=["none", "empty", "1x1", "gray", "gray1", "bgra", "odd", "float"],
)
def test_odd_frames_give_no_face_not_an_error(classifier, frame) -> None:
    result = FrameAnalyzer(classifier).analyze(frame, now=0.0)
    assert result.faces == ()


def test_rgba_and_gray_versions_of_a_face_are_found(classifier, astronaut_bgr) -> None:
    bgra = cv2.cvtColor(astronaut_bgr, cv2.COLOR_BGR2BGRA)
    gray = cv2.cvtColor(astronaut_bgr, cv2.COLOR_BGR2GRAY)
    for frame in (bgra, gray):
        result = FrameAnalyzer(classifier).analyze(frame, now=0.0)
        assert [f.emotion for f in result.faces] == ["happy"]
    assert to_bgr(gray).shape == astronaut_bgr.shape


def test_two_faces_are_classified_in_one_batch(classifier, astronaut_bgr, grace_hopper_bgr) -> None:
    left = cv2.resize(astronaut_bgr, (480, 480))
    right = cv2.resize(grace_hopper_bgr, (400, 480))
    frame = np.hstack([left, right])
    calls = []
    original = classifier.predict_batch

    def counting(faces):
        calls.append(len(faces))
        return original(faces)

    classifier.predict_batch = counting
    try:
        result = FrameAnalyzer(classifier).analyze(frame, now=0.0)
    finally:
        del classifier.predict_batch
    assert calls == [2]
    by_side = sorted(result.faces, key=lambda f: f.box[0])
    assert by_side[0].emotion == "happy" and by_side[1].emotion != "happy"


def test_draw_marks_the_face(classifier, webcam_frame) -> None:
    result = FrameAnalyzer(classifier).analyze(webcam_frame, now=0.0)
    annotated = draw(webcam_frame.copy(), result)
    assert np.count_nonzero(np.any(annotated != webcam_frame, axis=2)) > 500


def test_smoother_ignores_a_single_odd_frame_and_follows_a_real_change() -> None:
    happy = np.eye(7)[EMOTIONS.index("happy")]
    sad = np.eye(7)[EMOTIONS.index("sad")]
    smoother = MoodSmoother(tau=0.6, margin=0.1)
    t = 0.0
    for _ in range(30):  # one second of happy at 30 fps
        smoother.update(happy, t)
        t += 1 / 30
    smoother.update(sad, t)  # one sad frame
    assert smoother.mood.label == "happy"
    for _ in range(60):  # two seconds of sad
        t += 1 / 30
        smoother.update(sad, t)
    assert smoother.mood.label == "sad" and smoother.mood.confidence > 0.9


def test_smoother_hysteresis_holds_label_between_near_ties() -> None:
    smoother = MoodSmoother(tau=0.01, margin=0.1)
    a = np.array([0, 0, 0, 0.46, 0.44, 0, 0.10])
    b = np.array([0, 0, 0, 0.44, 0.46, 0, 0.10])
    labels = []
    for i in range(20):
        labels.append(smoother.update(a if i % 2 else b, i * 0.1).label)
    assert len(set(labels)) == 1


def test_smoother_forgets_a_person_who_left() -> None:
    smoother = MoodSmoother(forget_after=2.0)
    smoother.update(np.eye(7)[3], 0.0)
    assert smoother.update(None, 1.0) is not None
    assert smoother.update(None, 3.5) is None


def test_mood_json_shape_from_face(classifier, astronaut_bgr) -> None:
    face = FrameAnalyzer(classifier).analyze(astronaut_bgr, now=0.0).faces[0]
    record = json.loads(json.dumps(face.as_dict()))
    assert set(record) == {"box", "emotion", "confidence", "scores"}
    assert list(record["scores"]) == list(EMOTIONS)
