"""Make the hard benchmark clip: real faces doing what real webcam video does, with ground truth.

The clip the first benchmarks used (a still photo that only translated) flattered
tracking: nothing ever changed but the position. This one is built from real
photographs that the test dependencies ship (no download, nothing from FER2013):

- person A: scikit-image's ``astronaut`` (Eileen Collins, head and shoulders);
- person B: matplotlib's ``grace_hopper`` sample photo, who walks in later;
- person C: scikit-image's ``camera`` man, a real three-quarter profile half hidden
  behind his camera;
- the room: scikit-image's ``coffee`` photo, out of focus.

Timeline (30 fps, 640x360, 24 s, 720 frames; the segment of every frame is in the
ground truth):

=========  ===========  ==================================================================
seconds    segment      what happens
=========  ===========  ==================================================================
0-1        empty        no face
1-2        enter        A slides in from the left (fast: motion blur)
2-6        scale        A sways and zooms: face 70 to 170 pixels wide
6-9        roll         A tilts her head, +-30 degrees in the image plane
9-10.5     yaw          A "turns": the face squeezed to 55% of its width (an approximation)
10.5-12    profile      cut to C, a real turned face, swaying
12-13.5    mirrored     A mirrored, swaying
13.5-16.5  lighting     exposure falls to 35%, rises to 160% (clipping), then light from one side
16.5-18    motion       A moves fast side to side (motion blur along the motion)
18-21.5    second face  B walks in from the right at 18.3 s, stays, walks out by 21.2 s
21.5-23    gone         A cut out: no face
23-24      back         A cut back in at another place and size
=========  ===========  ==================================================================

Every frame gets sensor noise and is compressed as JPEG at quality 35-60 (the
stream's compression noise) before it is written as a Motion-JPEG AVI.

Ground truth: each visible face's box (the hand-measured face box of the source
photo, carried through the same transform, then its bounding box), written as JSON
beside the clip. A face counts as visible when at least 60% of its box is inside the
frame.

The clip is about 13 MB, so it is made, not committed::

    .venv/bin/python benchmarks/make_clip.py                 # data/bench/hard_clip.avi + .json
    .venv/bin/python benchmarks/make_clip.py --out /tmp/clip.avi
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT, FPS, SECONDS = 640, 360, 30, 24.0


@dataclass(frozen=True)
class Sprite:
    """A photo region with a person, the face box inside it (hand-measured), and a soft-edged alpha."""

    image: np.ndarray  # BGR float32
    face: tuple[float, float, float, float]  # x, y, w, h in the sprite's pixels
    alpha: np.ndarray  # float32 0..1


@dataclass
class Pose:
    """Where a sprite goes in one frame."""

    cx: float  # frame position of the face centre
    cy: float
    face_width: float  # pixels
    angle: float = 0.0  # degrees, counter-clockwise
    squeeze: float = 1.0  # horizontal squeeze (a crude yaw)
    mirror: bool = False
    velocity: tuple[float, float] = (0.0, 0.0)  # pixels per frame, for motion blur


def feathered(height: int, width: int, border: int) -> np.ndarray:
    alpha = np.zeros((height, width), np.float32)
    alpha[border:-border, border:-border] = 1.0
    return cv2.GaussianBlur(alpha, (0, 0), border / 2)


def sprites() -> dict[str, Sprite]:
    from matplotlib import cbook
    from skimage import data

    astronaut = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)[0:330, 40:440]
    hopper = cv2.imread(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))[0:460, 40:480]
    camera = cv2.cvtColor(data.camera(), cv2.COLOR_GRAY2BGR)[40:330, 110:380]
    out = {}
    # Face boxes measured by eye on the source photos (forehead to chin, ear to ear), in crop pixels.
    for name, image, face in (
        ("A", astronaut, (135.0, 66.0, 108.0, 116.0)),
        ("B", hopper, (122.0, 122.0, 206.0, 208.0)),
        ("C", camera, (90.0, 62.0, 78.0, 100.0)),
    ):
        h, w = image.shape[:2]
        out[name] = Sprite(image.astype(np.float32), face, feathered(h, w, max(8, min(h, w) // 14)))
    return out


def background(width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """scikit-image's coffee photo, out of focus, filling ``width`` x ``height`` (float32 BGR)."""
    from skimage import data

    room = cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR)
    scale = max(width / room.shape[1], height / room.shape[0])
    room = cv2.resize(room, (round(room.shape[1] * scale), round(room.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    top, left = (room.shape[0] - height) // 2, (room.shape[1] - width) // 2
    return cv2.GaussianBlur(room[top : top + height, left : left + width], (0, 0), 4).astype(np.float32)


def paste(frame: np.ndarray, sprite: Sprite, pose: Pose) -> tuple[np.ndarray, list[int], float]:
    """``sprite`` composited into ``frame`` (float32) at ``pose``; its face's truth box and share in frame."""
    height, width = frame.shape[:2]
    m = matrix(sprite, pose)
    layer = cv2.warpAffine(sprite.image, m, (width, height), flags=cv2.INTER_LINEAR)
    alpha = cv2.warpAffine(sprite.alpha, m, (width, height), flags=cv2.INTER_LINEAR)
    kernel = motion_kernel(*pose.velocity)
    if kernel is not None:
        layer, alpha = cv2.filter2D(layer, -1, kernel), cv2.filter2D(alpha, -1, kernel)
    frame = frame * (1 - alpha[..., None]) + layer * alpha[..., None]
    box, inside = truth_box(sprite, m, (width, height))
    return frame, box, inside


def matrix(sprite: Sprite, pose: Pose) -> np.ndarray:
    """Affine sprite -> frame: face centre to origin, mirror, squeeze, rotate, scale, move."""
    fx, fy, fw, fh = sprite.face
    k = pose.face_width / fw
    a = math.radians(pose.angle)
    to_origin = np.array([[1, 0, -(fx + fw / 2)], [0, 1, -(fy + fh / 2)], [0, 0, 1]], np.float64)
    mirror = np.diag([-1.0 if pose.mirror else 1.0, 1.0, 1.0])
    squeeze = np.diag([pose.squeeze, 1.0, 1.0])
    rotate = np.array([[math.cos(a), math.sin(a), 0], [-math.sin(a), math.cos(a), 0], [0, 0, 1]])
    scale = np.diag([k, k, 1.0])
    move = np.array([[1, 0, pose.cx], [0, 1, pose.cy], [0, 0, 1]], np.float64)
    return (move @ scale @ rotate @ squeeze @ mirror @ to_origin)[:2]


def truth_box(sprite: Sprite, m: np.ndarray, size: tuple[int, int] = (WIDTH, HEIGHT)) -> tuple[list[int], float]:
    """The face box's bounding box in a frame of ``size`` (clipped), and the share of it inside the frame."""
    fx, fy, fw, fh = sprite.face
    corners = np.array([[fx, fy, 1], [fx + fw, fy, 1], [fx, fy + fh, 1], [fx + fw, fy + fh, 1]]).T
    pts = m @ corners
    x0, y0, x1, y1 = pts[0].min(), pts[1].min(), pts[0].max(), pts[1].max()
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(size[0], x1), min(size[1], y1)
    inside = max(0.0, cx1 - cx0) * max(0.0, cy1 - cy0) / max(1e-6, (x1 - x0) * (y1 - y0))
    return [round(cx0), round(cy0), round(cx1 - cx0), round(cy1 - cy0)], inside


def motion_kernel(vx: float, vy: float) -> np.ndarray | None:
    length = round(math.hypot(vx, vy) * 0.8)
    if length < 3:
        return None
    kernel = np.zeros((length, length), np.float32)
    c = (length - 1) / 2
    dx, dy = vx / math.hypot(vx, vy), vy / math.hypot(vx, vy)
    cv2.line(kernel, (round(c - dx * c), round(c - dy * c)), (round(c + dx * c), round(c + dy * c)), 1.0, 1)
    return kernel / kernel.sum()


def smooth(t: float, t0: float, t1: float) -> float:
    """0 before t0, 1 after t1, eased between."""
    u = min(1.0, max(0.0, (t - t0) / (t1 - t0)))
    return u * u * (3 - 2 * u)


def timeline(t: float) -> tuple[str, dict[str, Pose], dict[str, float]]:
    """The segment, the poses of the visible people and the lighting at time t."""
    light = {"gain": 1.0, "side": 0.0}
    sway = 25 * math.sin(2 * math.pi * t / 3.1)
    bob = 8 * math.sin(2 * math.pi * t / 2.3)
    home = Pose(WIDTH * 0.42 + sway, HEIGHT * 0.45 + bob, 110.0)
    if t < 1.0:
        return "empty", {}, light
    if t < 2.0:
        u = smooth(t, 1.0, 1.7)
        x = -120 + u * (home.cx + 120)
        speed = (home.cx + 120) / (0.7 * FPS) * 6 * u * (1 - u)
        return "enter", {"A": Pose(x, home.cy, 110.0, velocity=(speed * 1.5, 0.0))}, light
    if t < 6.0:
        width = 110 + 60 * math.sin(2 * math.pi * (t - 2.0) / 4.0) * (1 if t < 4.0 else 0.66)
        return "scale", {"A": Pose(home.cx, home.cy + (width - 110) * 0.3, width)}, light
    if t < 9.0:
        return "roll", {"A": Pose(home.cx, home.cy, 115.0, angle=30 * math.sin(2 * math.pi * (t - 6.0) / 3.0))}, light
    if t < 10.5:
        squeeze = 1.0 - 0.45 * math.sin(math.pi * (t - 9.0) / 1.5)
        return "yaw", {"A": Pose(home.cx, home.cy, 110.0, squeeze=squeeze)}, light
    if t < 12.0:
        return "profile", {"C": Pose(home.cx + 20, home.cy + 10, 90.0)}, light
    if t < 13.5:
        return "mirrored", {"A": Pose(home.cx, home.cy, 112.0, mirror=True)}, light
    if t < 16.5:
        if t < 14.5:
            light["gain"] = 1.0 - 0.65 * math.sin(math.pi * (t - 13.5) / 1.0)
        elif t < 15.5:
            light["gain"] = 1.0 + 0.6 * math.sin(math.pi * (t - 14.5) / 1.0)
        else:
            light["side"] = 0.75 * math.sin(math.pi * (t - 15.5) / 1.0)
        return "lighting", {"A": home}, light
    if t < 18.0:
        x = home.cx + 120 * math.sin(2 * math.pi * (t - 16.5) / 0.75)
        vx = 120 * 2 * math.pi / (0.75 * FPS) * math.cos(2 * math.pi * (t - 16.5) / 0.75)
        return "motion", {"A": Pose(x, home.cy, 110.0, velocity=(vx, 0.0))}, light
    if t < 21.5:
        poses = {"A": Pose(home.cx - 60, home.cy, 105.0)}
        u_in, u_out = smooth(t, 18.3, 19.0), smooth(t, 20.5, 21.2)
        x = WIDTH + 110 - u_in * 230 + u_out * 230
        if 18.3 <= t < 21.2:
            speed = 230 / (0.7 * FPS) * 6 * (u_in * (1 - u_in) + u_out * (1 - u_out))
            poses["B"] = Pose(x, HEIGHT * 0.42, 95.0, velocity=(-speed if t < 20 else speed, 0.0))
        return "second face", poses, light
    if t < 23.0:
        return "gone", {}, light
    return "back", {"A": Pose(WIDTH * 0.62 + sway, HEIGHT * 0.5, 135.0)}, light


def render(t: float, people: dict[str, Sprite], room: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    segment, poses, light = timeline(t)
    frame = room.copy()
    faces = []
    for name, pose in poses.items():
        frame, box, inside = paste(frame, people[name], pose)
        if inside >= 0.6:
            faces.append({"person": name, "box": box})
    if light["side"]:
        ramp = np.linspace(1.0 - light["side"], 1.0, WIDTH, dtype=np.float32)[None, :, None]
        frame = frame * ramp
    frame = frame * light["gain"] + rng.normal(0, 4.0, frame.shape).astype(np.float32)
    frame = np.clip(frame, 0, 255).astype(np.uint8)
    quality = int(rng.integers(35, 61))
    frame = cv2.imdecode(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_COLOR)
    return frame, {"t": round(t, 4), "segment": segment, "faces": faces, "jpeg_quality": quality}


def make(out: Path, seconds: float = SECONDS, seed: int = 0) -> dict:
    """Write the clip and its ground truth (``out`` with ``.json``); returns the ground truth."""
    people, room = sprites(), background()
    rng = np.random.default_rng(seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise SystemExit(f"OpenCV cannot write {out}")
    writer.set(cv2.VIDEOWRITER_PROP_QUALITY, 95)  # the JPEG pass above already set the compression noise
    frames = []
    try:
        for i in range(round(seconds * FPS)):
            frame, truth = render(i / FPS, people, room, rng)
            writer.write(frame)
            frames.append(truth)
    finally:
        writer.release()
    truth = {
        "clip": out.name,
        "size": [WIDTH, HEIGHT],
        "fps": FPS,
        "seed": seed,
        "made_by": "benchmarks/make_clip.py",
        "frames": frames,
    }
    out.with_suffix(".json").write_text(json.dumps(truth) + "\n")
    return truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "bench" / "hard_clip.avi")
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    truth = make(args.out, args.seconds, args.seed)
    size = args.out.stat().st_size / 1e6
    print(f"wrote {args.out} ({len(truth['frames'])} frames, {size:.1f} MB) and {args.out.with_suffix('.json').name}")


if __name__ == "__main__":
    sys.exit(main())
