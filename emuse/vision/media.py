"""Read images, videos and folders of them as BGR frames, with errors a person can act on.

Used by the CLI (``python -m emuse analyze``) and the Live page's upload box. Bad
input raises :class:`MediaError` whose message names the file and says what would
work; callers show it and carry on.
"""

from __future__ import annotations

import errno
import io
import os
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import av
import cv2
import numpy as np
from PIL import Image

from emuse import quiet  # noqa: F401  (sets OpenCV's ffmpeg log level before cv2 opens a video)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif"}
VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".y4m"}
#: Images larger than this are refused before decoding (a 10000x10000 upload is 300 MB of pixels).
#: OpenCV's own limit (``OPENCV_IO_MAX_IMAGE_PIXELS``, set in :mod:`emuse.quiet`) is the same.
MAX_PIXELS = 40_000_000
#: Video frames larger than this are refused from the stream header before any frame is decoded:
#: 4096x2304 (DCI 4K and UHD fit). A 16000x16000 clip of 3.7 MB took the server to 3.9-4.7 GB.
MAX_VIDEO_PIXELS = 4096 * 2304
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


#: What :func:`image_header_size` answers for a picture beyond even Pillow's limit.
_BOMB = (MAX_PIXELS + 1, 1)


def image_header_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the file header alone (Pillow reads no pixels for this).

    ``None`` when Pillow doesn't know the format. OpenCV reads more formats than
    Pillow (Radiance HDR, PFM, OpenEXR, Sun raster...), but those are exactly the ones
    whose size nobody checked before decoding, so callers refuse them.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's own decompression-bomb warning: we refuse below
            with Image.open(io.BytesIO(data)) as image:
                return image.size
    except Image.DecompressionBombError:  # far beyond Pillow's own limit: certainly too large for us
        return _BOMB
    except Exception:  # not a format Pillow knows
        return None


def check_image_header(data: bytes, name: str, max_pixels: int = MAX_PIXELS) -> tuple[int, int]:
    """Refuse an image whose header is unknown or declares more than ``max_pixels``, before decoding."""
    size = image_header_size(data)
    if size is None:
        # Text, PDF, or a format only OpenCV knows (its size can't be checked before decoding).
        raise MediaError(f"{name}: not an image eMuse can read; use JPEG, PNG, BMP, WebP, TIFF or GIF")
    width, height = size
    if width * height > max_pixels:
        dimensions = "" if size == _BOMB else f"{width}x{height}, "
        raise MediaError(
            f"{name}: the image is too large ({dimensions}over {max_pixels // 1_000_000} megapixels); resize it first"
        )
    return size


def decode_image(data: bytes, name: str = "upload") -> np.ndarray:
    """Decode image bytes to BGR, refusing absurd sizes from the header before any pixel is decoded."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    if buffer.size == 0:
        raise MediaError(f"{name}: the file is empty; choose a JPEG or PNG photo")
    check_image_header(data, name)
    image = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
    if image is None:
        raise MediaError(f"{name}: not an image OpenCV can read; use JPEG, PNG, BMP or WebP")
    return _limit_size(image)


def _check_video_size(width: int, height: int, name: str) -> None:
    if width * height > MAX_VIDEO_PIXELS:
        raise MediaError(
            f"{name}: the video's frames are too large ({width}x{height}, over "
            f"{MAX_VIDEO_PIXELS / 1e6:.1f} megapixels); re-encode it at 4K or less"
        )


def read_image(path: Path) -> np.ndarray:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MediaError(f"{path}: cannot read the file ({exc.strerror})") from exc
    return decode_image(data, str(path))


def iter_video(path: Path, max_frames: int | None = None) -> Iterator[MediaFrame]:
    """Frames of a video file, downscaled like uploads; :class:`MediaError` if it can't be opened or has none.

    Decoded with PyAV, like uploads, so the frame size is checked from the stream
    header before the first frame is decoded, and each frame is downscaled at once.
    """
    yield from _iter_av(str(path), str(path), max_frames)


def iter_video_bytes(data: bytes, name: str = "upload", max_frames: int | None = None) -> Iterator[MediaFrame]:
    """Frames of an uploaded video, decoded in memory with PyAV (nothing is written to disk).

    The stream header's frame size is checked before decoding (:data:`MAX_VIDEO_PIXELS`),
    FFmpeg's own ``max_pixels`` guard catches a stream that lies about it, and every
    frame is downscaled to :data:`MAX_SIDE` as soon as it is decoded.
    """
    yield from _iter_av(io.BytesIO(data), name, max_frames)


def _iter_av(source: str | IO[bytes], name: str, max_frames: int | None) -> Iterator[MediaFrame]:
    if max_frames is not None and max_frames < 1:
        raise MediaError(f"{name}: asked for {max_frames} frames; give 1 or more (or leave the limit out)")
    try:
        container = av.open(source, mode="r")
    except OSError as exc:  # PyAV's errors are OSErrors too: a path that can't be read, or not a container
        if isinstance(exc, av.error.FFmpegError) and not isinstance(exc, av.error.PermissionError):
            raise MediaError(f"{name}: not a video eMuse can read; use MP4 (H.264), WebM or MOV") from exc
        raise MediaError(f"{name}: cannot read the file ({exc.strerror or exc})") from exc
    except ValueError as exc:  # not a container FFmpeg recognises
        raise MediaError(f"{name}: not a video eMuse can read; use MP4 (H.264), WebM or MOV") from exc
    index = 0
    try:
        if not container.streams.video:
            what = "an audio-only file" if container.streams.audio else "a file without a video track"
            raise MediaError(f"{name}: {what}; eMuse needs a video with a face in it (MP4, WebM or MOV)")
        stream = container.streams.video[0]
        _check_video_size(stream.codec_context.width, stream.codec_context.height, name)
        stream.codec_context.options = {"max_pixels": str(MAX_VIDEO_PIXELS)}
        stream.thread_type = "AUTO"
        try:
            for frame in container.decode(stream):
                if max_frames is not None and index >= max_frames:
                    break
                _check_video_size(frame.width, frame.height, name)
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


def iter_media(
    path: Path, max_frames: int | None = None, on_error: Callable[[MediaError], None] | None = None
) -> Iterator[MediaFrame]:
    """Frames of an image, a video, or every image and video in a folder (sorted by name).

    In a folder, a file that can't be read is passed to ``on_error`` and the run goes
    on with the next file (without ``on_error`` the first such file stops the run).
    """
    path = Path(path)
    if max_frames is not None and max_frames < 1:
        raise MediaError(f"the frame limit must be 1 or more, not {max_frames} (leave it out for every frame)")
    if not path.exists():
        if path.is_symlink():
            try:
                path.resolve(strict=True)
            except RuntimeError:  # Python < 3.13 reports a loop this way
                raise MediaError(f"{path}: a symbolic link loop (it points back to itself); fix the link") from None
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise MediaError(f"{path}: a symbolic link loop (it points back to itself); fix the link") from None
            raise MediaError(f"{path}: a symbolic link to {os.readlink(path)}, which does not exist")
        raise MediaError(f"{path}: no such file or folder")
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES)
        if not files:
            raise MediaError(f"{path}: the folder has no images or videos ({', '.join(sorted(IMAGE_SUFFIXES))})")
        for file in files:
            if on_error is None:
                yield from iter_media(file, max_frames)
                continue
            try:
                yield from iter_media(file, max_frames)
            except MediaError as exc:
                on_error(exc)
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
