"""Calibration from corrections: measured on generated faces whose neutral is read as sad."""

from __future__ import annotations

import numpy as np
import pytest

from emuse.labels import EMOTIONS
from emuse.vision.calibration import CAP, Calibration, log_scores, shift_log_scores
from emuse.vision.frame_analysis import FrameAnalyzer

N, S = EMOTIONS.index("neutral"), EMOTIONS.index("sad")
#: A person whose resting face the model reads as sad: mean scores sad 0.50, neutral 0.32.
CONFUSED = {"angry": 0.03, "disgust": 0.02, "fear": 0.05, "happy": 0.05, "sad": 0.50, "surprise": 0.03, "neutral": 0.32}
#: The same person really sad, and really neutral on a good-light day.
SAD = {"angry": 0.03, "disgust": 0.02, "fear": 0.05, "happy": 0.03, "sad": 0.70, "surprise": 0.02, "neutral": 0.15}
NEUTRAL = {"angry": 0.03, "disgust": 0.02, "fear": 0.05, "happy": 0.08, "sad": 0.17, "surprise": 0.05, "neutral": 0.60}


def faces(mean: dict[str, float], n: int, seed: int) -> np.ndarray:
    """``n`` score vectors drawn from a Dirichlet around ``mean`` (concentration 20: realistic spread)."""
    return np.random.default_rng(seed).dirichlet(np.array([mean[e] for e in EMOTIONS]) * 20, n)


def read_as(scores: np.ndarray, index: int) -> float:
    return float((scores.argmax(axis=1) == index).mean())


def corrected(k: int) -> Calibration:
    """A calibration from ``k`` corrections, each made when a neutral face was shown as sad."""
    wrong = [s for s in faces(CONFUSED, 200, seed=3) if s.argmax() == S][:k]
    calibration = Calibration()
    for scores in wrong:
        calibration.add(scores, "neutral")
    return calibration


def measure() -> dict[int, tuple[float, float, float]]:
    """k corrections -> (confused neutral read neutral, sad read sad, clear neutral read neutral) on 2000 each."""
    confused, sad, neutral = faces(CONFUSED, 2000, 0), faces(SAD, 2000, 1), faces(NEUTRAL, 2000, 2)
    result = {0: (read_as(confused, N), read_as(sad, S), read_as(neutral, N))}
    for k in (1, 3, 10):
        c = corrected(k)
        result[k] = (read_as(c.apply(confused), N), read_as(c.apply(sad), S), read_as(c.apply(neutral), N))
    return result


def test_corrections_move_a_confused_neutral_back() -> None:
    m = measure()
    print({k: tuple(round(v, 3) for v in vs) for k, vs in m.items()})
    assert m[0][0] < 0.25  # before: most of these neutral faces read as sad
    assert m[1][0] > m[0][0] + 0.2  # one correction already helps
    assert m[3][0] >= 0.7 and m[10][0] >= 0.9  # a few corrections bring most back
    assert m[3][1] >= 0.9 and m[10][1] >= 0.7  # at a price on really sad faces, which mostly stay sad
    assert all(v[2] >= 0.98 for v in m.values())  # clear neutral faces stay neutral


def test_the_bias_is_capped_centred_and_resettable() -> None:
    calibration = Calibration()
    for _ in range(50):  # a person insisting on "happy" for faces read 99 % sad
        calibration.add([0.001, 0.001, 0.001, 0.001, 0.99, 0.003, 0.003], "happy")
    assert np.all(np.abs(calibration.bias) <= CAP + 1e-9)
    assert calibration.bias.sum() == pytest.approx(0.0, abs=1e-6)
    assert calibration.corrections == 50
    calibration.reset()
    assert calibration.corrections == 0 and not calibration.bias.any()
    scores = np.array([0.1, 0.1, 0.1, 0.1, 0.4, 0.1, 0.1])
    assert calibration.apply(scores) is scores  # nothing learned: untouched


def test_apply_and_uncalibrate_are_inverse_and_refitting_from_storage_agrees() -> None:
    c = corrected(3)
    raw = faces(CONFUSED, 5, seed=9)
    assert np.allclose(c.uncalibrate(c.apply(raw[0])), raw[0], atol=1e-6)
    assert c.apply(raw).shape == raw.shape and np.allclose(c.apply(raw).sum(axis=1), 1.0)
    stored = list(zip(c._scores, ["neutral"] * 3, strict=True))
    assert np.allclose(Calibration.from_corrections(stored).bias, c.bias, atol=1e-6)
    with pytest.raises(ValueError, match="7 finite scores"):
        c.add([0.5, 0.5], "neutral")


def test_the_analyzer_applies_the_sessions_calibration_to_a_real_face(classifier, grace_hopper_bgr) -> None:
    raw = FrameAnalyzer(classifier).analyze(grace_hopper_bgr, now=0.0).faces[0]
    wanted = EMOTIONS[int(np.argsort(raw.scores)[-2])]  # the runner-up: the emotion it is confused with
    calibration = Calibration()
    for _ in range(5):  # the person said so five times
        calibration.add(raw.scores, wanted)
    face = FrameAnalyzer(classifier, calibration=calibration).analyze(grace_hopper_bgr, now=0.0).faces[0]
    # The analyzer applies exactly the session's calibration to the classifier's scores...
    assert np.allclose(face.scores, calibration.apply(np.asarray(raw.scores)), atol=1e-5)
    # ...which moves a real face's reading well toward what the person said. Whether it flips depends
    # on how sure the model was: the default reads this face 68% neutral, 11% angry, and the cap and
    # penalty keep five corrections from overruling that (angry 33% after them, neutral 40%).
    assert face.scores[EMOTIONS.index(wanted)] > 2 * raw.scores[EMOTIONS.index(wanted)]
    assert face.emotion == wanted or face.scores[EMOTIONS.index(raw.emotion)] < raw.scores[EMOTIONS.index(raw.emotion)]


def test_biased_log_scores_pick_the_class_the_shifted_scores_pick() -> None:
    """make_default.py ranks ~700k candidates by argmax(log_scores + bias) instead of the softmax."""
    scores = faces(CONFUSED, 2000, seed=5)
    scores[:10] = 0.0
    scores[:10, S] = 1.0  # an int8 network's hard zeros stay finite
    bias = np.array([0.0, 0.5, 0.2, 0.0, -0.3, 0.0, 0.4])
    logs = log_scores(scores)
    assert np.isfinite(logs).all()
    picked = (logs + bias).argmax(axis=1)
    assert (picked == shift_log_scores(scores, bias).argmax(axis=1)).all()
    assert (picked != scores.argmax(axis=1)).sum() > 100  # the bias really moves decisions
