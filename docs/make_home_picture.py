"""Make docs/home-example.png: what eMuse does, in one picture (shown on the Home page and in the README).

A real face (scikit-image's astronaut, Eileen Collins, smiling) goes through the same
pipeline as the Live page (detector, classifier, smoother, ``draw``), and beside it
the mood panel and the first songs of that mood's playlist in ``playlists/``. Rerun
it when the drawing or the playlists change::

    python docs/make_home_picture.py

Needs the dev requirements (scikit-image for the face, matplotlib for the layout).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import cv2
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emuse.labels import COLORS, EMOTIONS  # noqa: E402  (needs the project root on sys.path)
from emuse.mood import in_words  # noqa: E402  (needs the project root on sys.path)
from emuse.music.store import load_playlist  # noqa: E402  (needs the project root on sys.path)
from emuse.vision.classifier import EmotionClassifier  # noqa: E402  (needs the project root on sys.path)
from emuse.vision.frame_analysis import FrameAnalyzer, draw  # noqa: E402  (needs the project root on sys.path)
from tests.support.faces import astronaut_bgr  # noqa: E402  (needs the project root on sys.path)

OUT = ROOT / "docs" / "home-example.png"


def _fit(text: str, width: int) -> str:
    """Cut a long song title with an ellipsis, so it stays inside the picture."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def main() -> Path:
    face = astronaut_bgr()
    analyzer = FrameAnalyzer(EmotionClassifier())
    for i in range(10):  # a third of a second of video: the smoother has settled
        result = analyzer.analyze(face, now=i / 30)
    annotated = cv2.cvtColor(draw(face.copy(), result)[0:330, 80:410], cv2.COLOR_BGR2RGB)
    mood = result.mood
    assert mood is not None, "no face found in the astronaut picture"
    songs = load_playlist(mood.label)[:3]

    figure = Figure(figsize=(9, 3.3), dpi=100)
    picture = figure.add_axes((0.0, 0.0, 0.37, 1.0))
    picture.imshow(annotated)
    picture.axis("off")
    panel = figure.add_axes((0.40, 0.05, 0.58, 0.9))
    panel.axis("off")
    panel.set_xlim(0, 1)
    panel.set_ylim(0, 1)
    panel.text(0, 0.93, f"Mood: {mood.label}", fontsize=20, weight="bold", va="top")
    panel.text(0, 0.77, f"{in_words(mood)} ({mood.confidence:.0%})", fontsize=11, color="#555", va="top")
    for i, (label, score) in enumerate(zip(EMOTIONS, mood.scores, strict=True)):
        y = 0.66 - i * 0.062
        panel.text(0, y, label, fontsize=9, va="center")
        panel.add_patch(Rectangle((0.14, y - 0.018), 0.34, 0.036, color="#eee", linewidth=0))
        panel.add_patch(Rectangle((0.14, y - 0.018), 0.34 * score, 0.036, color=COLORS[label], linewidth=0))
        panel.text(0.5, y, f"{score:.0%}", fontsize=8, va="center")
    panel.text(0.6, 0.93, f"Songs for {mood.label}", fontsize=13, weight="bold", va="top")
    for i, track in enumerate(songs):
        panel.text(0.6, 0.78 - i * 0.16, _fit(track.name, 24), fontsize=11, va="top")
        panel.text(0.6, 0.78 - i * 0.16 - 0.075, _fit(track.artists, 30), fontsize=9, color="#555", va="top")
    panel.text(0.6, 0.22, "played in the page (Spotify)", fontsize=9, color="#555", va="top", style="italic")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    # 256 colours are plenty for a photo this small beside flat text: a third of the bytes.
    Image.open(buffer).convert("RGB").quantize(256).save(OUT, optimize=True)
    return OUT


if __name__ == "__main__":
    print(main())
