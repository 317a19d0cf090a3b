"""A person's corrections turned into a small, capped, resettable calibration of the classifier.

Why: a FER2013 model reads some faces systematically wrong (a resting face read as
sad is the classic one). When the person says "Not right? I'm neutral", eMuse keeps
the classifier's seven scores and the emotion they named, and fits one bias per
emotion on the log-scores, ``p' = softmax(log p + b)``, to that session's
corrections. Seven numbers, not a new model: it can only shift the balance between
emotions, never invent a face, and with the cap of :data:`CAP` (a factor of e² ≈ 7.4
on the odds) and the L2 penalty a single stray click cannot make eMuse deaf to an
emotion. :meth:`Calibration.reset` forgets it all.

Measured on generated cases (tests/unit/vision/test_calibration.py: Dirichlet scores,
concentration 20, 2000 faces each; corrections made only where a neutral face was
shown as sad). Neutral faces read as sad (mean sad 0.50, neutral 0.32) read as
neutral 17 % before, 40 % after 1 correction, 74 % after 3, 93 % after 10. The
price: really sad faces of that person (sad 0.70) still read sad 99 % / 92 % / 73 %
(100 % before); clearly neutral faces stay neutral (99-100 %).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from emuse.labels import EMOTIONS, normalize_label

#: Largest bias on any log-score.
CAP = 2.0
#: How far (in log-score) the person's emotion should beat the best other one on their corrections.
MARGIN = 0.3
#: L2 penalty on the bias, so it stays the smallest that does the job.
PENALTY = 3.0
_EPS = 1e-6


def log_scores(scores: np.ndarray) -> np.ndarray:
    """Logs of the scores renormalised to sum to 1 (floored, so a 0 from an int8 network stays finite).

    ``argmax(log_scores(s) + bias)`` is the class :func:`shift_log_scores` picks, without its softmax.
    """
    scores = np.clip(np.asarray(scores, dtype=np.float64), _EPS, None)
    return np.log(scores / scores.sum(axis=-1, keepdims=True))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def shift_log_scores(scores: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Scores with ``bias`` added to their logs, renormalised: the one operation behind a person's
    calibration and a model's own per-class bias (``meta.json`` ``inference.log_bias``)."""
    return _softmax(log_scores(scores) + bias)


class Calibration:
    """Per-session bias on the seven log-scores, fitted to that session's corrections."""

    def __init__(self, cap: float = CAP, penalty: float = PENALTY) -> None:
        self.cap = cap
        self.penalty = penalty
        self._scores: list[np.ndarray] = []
        self._labels: list[int] = []
        self.bias = np.zeros(len(EMOTIONS))

    @property
    def corrections(self) -> int:
        """How many corrections the calibration has learned from."""
        return len(self._labels)

    @property
    def active(self) -> bool:
        return bool(self._labels)

    def add(self, scores: Sequence[float], emotion: str) -> None:
        """Learn from one correction: the classifier said ``scores`` (uncalibrated), the person said ``emotion``."""
        vector = np.asarray(scores, dtype=np.float64)
        if vector.shape != (len(EMOTIONS),) or not np.all(np.isfinite(vector)):
            raise ValueError(f"a correction needs {len(EMOTIONS)} finite scores in EMOTIONS order")
        self._scores.append(vector)
        self._labels.append(EMOTIONS.index(normalize_label(emotion)))
        self.fit()

    def fit(self, steps: int = 400, rate: float = 0.05) -> np.ndarray:
        """Refit the bias: the smallest one that lets each corrected emotion win by :data:`MARGIN`.

        A squared hinge on the log-score margin between the person's emotion and the
        best other one, plus the L2 penalty, by projected gradient descent. Log-loss
        would keep pushing until the corrections were read with certainty, and with
        corrections that all point one way (neutral, never sad) it ends up hiding the
        other emotion altogether; the hinge stops once the person's word wins.
        """
        if not self._labels:
            self.bias = np.zeros(len(EMOTIONS))
            return self.bias
        z = log_scores(np.stack(self._scores))
        labels = np.asarray(self._labels)
        rows = np.arange(len(labels))
        bias = self.bias.copy()
        for _ in range(steps):
            logits = z + bias
            rivals = logits.copy()
            rivals[rows, labels] = -np.inf
            best = rivals.argmax(axis=1)
            short = np.maximum(0.0, MARGIN - (logits[rows, labels] - logits[rows, best]))
            grad = 2 * self.penalty * bias
            np.add.at(grad, labels, -2 * short)  # summed: each correction adds evidence
            np.add.at(grad, best, 2 * short)
            bias = np.clip(bias - rate * grad, -self.cap, self.cap)
        self.bias = np.clip(bias - bias.mean(), -self.cap, self.cap)  # softmax ignores a common shift
        return self.bias

    def apply(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated scores (same shape: one face or a batch); unchanged when nothing was learned."""
        scores = np.asarray(scores)
        if not self._labels:
            return scores
        return shift_log_scores(scores, self.bias).astype(scores.dtype if scores.dtype.kind == "f" else np.float64)

    def uncalibrate(self, scores: Sequence[float]) -> np.ndarray:
        """The classifier's own scores behind calibrated ones (exact for one frame; the smoothed mood is near)."""
        vector = np.asarray(scores, dtype=np.float64)
        return vector if not self._labels else _softmax(log_scores(vector) - self.bias)

    def reset(self) -> None:
        """Forget every correction."""
        self._scores.clear()
        self._labels.clear()
        self.bias = np.zeros(len(EMOTIONS))

    @classmethod
    def from_corrections(cls, corrections: Sequence[tuple[Sequence[float], str]], **kwargs: float) -> Calibration:
        """A calibration refitted from stored ``(scores, emotion)`` pairs (e.g. the history database)."""
        calibration = cls(**kwargs)
        for scores, emotion in corrections:
            calibration._scores.append(np.asarray(scores, dtype=np.float64))
            calibration._labels.append(EMOTIONS.index(normalize_label(emotion)))
        calibration.fit()
        return calibration
