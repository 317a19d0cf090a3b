"""Read images, videos and folders of them as BGR frames, with errors a person can act on.

Used by the CLI (``python -m emuse analyze``) and the Live page's upload box. Bad
input raises :class:`MediaError` whose message names the file and says what would
work; callers show it and carry on.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image

from emuse import quiet  # noqa: F401  (sets OpenCV's ffmpeg log level before cv2 opens a video)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif"}
VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".y4m"}
#: Images larger than this are refused before decoding (a 10000x10000 upload is 300 MB of pixels).
MAX_PIXELS = 40_000_000
#: Images are downscaled so their longer side is at most this; faces stay far above the detector's minimum.
MAX_SIDE = 1920


class MediaError(Exception):
    """The input can't be read as an image or video; the message says why and what to do."""


@dataclass(frozen=True)
class MediaFrame:
    source: str
    index: int
    t: float  # seconds from the start of the video (0 for images)
    image: np.ndarray  # BGR uint8


def _limit_size(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    longest = max(height, width)
    if longest <= MAX_SIDE:
        return image
    scale = MAX_SIDE / longest
    return cv2.resize(
        image, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA
    )


def _header_size(data: bytes) -> tuple[int, int]:
    """Width and height from the file header alone (Pillow reads no pixels for this); (0, 0) if unknown."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's own decompression-bomb warning: we refuse below
            with Image.open(io.BytesIO(data)) as image:
                return image.size
    except Image.DecompressionBombError:  # far beyond Pillow's own limit: certainly too large for us
        return (MAX_PIXELS + 1, 1)
    except Exception:  # not a format Pillow knows: OpenCV decides below
        return (0, 0)


def decode_image(data: bytes, name: str = "upload") -> np.ndarray:
    """Decode image bytes (any format OpenCV reads) to BGR, refusing absurd sizes."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    if buffer.size == 0:
        raise MediaError(f"{name}: the file is empty; choose a JPEG or PNG photo")
    width, height = _header_size(data)
    if width * height > MAX_PIXELS:
        raise MediaError(f"{name}: the image is too large (over {MAX_PIXELS // 1_000_000} megapixels); resize it first")
    image = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
    if image is None:
        raise MediaError(f"{name}: not an image OpenCV can read; use JPEG, PNG, BMP or WebP")
    return _limit_size(image)


def read_image(path: Path) -> np.ndarray:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MediaError(f"{path}: cannot read the file ({exc.strerror})") from exc
    return decode_image(data, str(path))


def iter_video(path: Path, max_frames: int | None = None) -> Iterator[MediaFrame]:
    """Frames of a video file; raises :class:`MediaError` if it can't be opened or has no frames."""
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise MediaError(f"{path}: cannot open the video; use an MP4 (H.264), WebM or AVI file")
        fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
        index = 0
        while max_frames is None or index < max_frames:
            ok, frame = capture.read()
            if not ok or frame is None:
                break
            t = index / fps if fps > 0 else capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            yield MediaFrame(str(path), index, round(t, 4), frame)
            index += 1
        if index == 0:
            raise MediaError(f"{path}: the video has no readable frames (truncated or unsupported codec)")
    finally:
        capture.release()


def iter_video_bytes(data: bytes, name: str = "upload", max_frames: int | None = None) -> Iterator[MediaFrame]:
    """Frames of an uploaded video, decoded in memory with PyAV (nothing is written to disk)."""
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except (av.error.FFmpegError, ValueError) as exc:  # not a container FFmpeg recognises
        raise MediaError(f"{name}: not a video eMuse can read; use MP4 (H.264), WebM or MOV") from exc
    index = 0
    try:
        if not container.streams.video:
            raise MediaError(f"{name}: the file has no video track")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for frame in container.decode(stream):
                if max_frames is not None and index >= max_frames:
                    break
                t = float(frame.time) if frame.time is not None else 0.0
                yield MediaFrame(name, index, round(t, 4), _limit_size(frame.to_ndarray(format="bgr24")))
                index += 1
        except av.error.FFmpegError:
            if index == 0:
                raise MediaError(
                    f"{name}: the video could not be decoded (truncated or damaged); try another file"
                ) from None
            # A truncated file: keep what decoded, which is what a person expects from a partial upload.
    finally:
        container.close()
    if index == 0:
        raise MediaError(f"{name}: the video has no readable frames (truncated or unsupported codec)")


def iter_media(path: Path, max_frames: int | None = None) -> Iterator[MediaFrame]:
    """Frames of an image, a video, or every image and video in a folder (sorted by name)."""
    path = Path(path)
    if not path.exists():
        raise MediaError(f"{path}: no such file or folder")
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES)
        if not files:
            raise MediaError(f"{path}: the folder has no images or videos ({', '.join(sorted(IMAGE_SUFFIXES))})")
        for file in files:
            yield from iter_media(file, max_frames)
        return
    suffix = path.suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        yield from iter_video(path, max_frames)
    elif suffix in IMAGE_SUFFIXES or suffix == "":
        yield MediaFrame(str(path), 0, 0.0, read_image(path))
    else:
        # Unknown suffix: try as an image, then as a video, before giving up.
        try:
            yield MediaFrame(str(path), 0, 0.0, read_image(path))
        except MediaError:
            try:
                yield from iter_video(path, max_frames)
            except MediaError:
                raise MediaError(f"{path}: not an image or video eMuse can read (JPEG, PNG, MP4, WebM…)") from None
