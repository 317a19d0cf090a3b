"""Hostile pictures and videos: sizes are checked from headers before anything is decoded."""

from __future__ import annotations

import os
import zlib
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from emuse.vision import media
from emuse.vision.media import MediaError, decode_image, iter_media, iter_video_bytes

#: A 16000x16000 Radiance picture's header: OpenCV reads the format, Pillow does not, and
#: decoding it allocates 16000*16000*3 floats (3 GB) before noticing the data is missing.
RADIANCE_BOMB = b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 16000 +X 16000\n" + b"\x02\x02\x3e\x80" * 256


def y4m(width: int, height: int, frame_bytes: bytes = b"\x80" * 64) -> bytes:
    """A raw YUV4MPEG2 video whose header claims ``width`` x ``height``, with a short first frame."""
    return f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode() + b"FRAME\n" + frame_bytes


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("cv2.imdecode was called on an image that should have been refused from its header")

    monkeypatch.setattr(media.cv2, "imdecode", refuse)


@pytest.mark.parametrize("name", ["bomb.jpg", "bomb.hdr", "upload"])
def test_a_format_whose_size_cant_be_checked_first_is_never_decoded(name: str, no_decoding: None) -> None:
    with pytest.raises(MediaError, match="not an image eMuse can read; use JPEG, PNG"):
        decode_image(RADIANCE_BOMB, name)


def test_a_huge_png_header_is_refused_without_decoding(no_decoding: None) -> None:
    png = cv2.imencode(".png", np.zeros((8, 8), np.uint8))[1].tobytes()
    # Rewrite the IHDR chunk to claim 16000x16000 (with a correct CRC): a 100-byte 768 MB picture.
    ihdr = b"IHDR" + (16000).to_bytes(4, "big") * 2 + png[24:29]
    huge = png[:12] + ihdr + zlib.crc32(ihdr).to_bytes(4, "big") + png[33:]
    with pytest.raises(MediaError, match=r"too large \(over 40 megapixels"):
        decode_image(huge, "huge.png")


def test_opencv_own_pixel_limit_is_lowered_before_it_decodes_anything() -> None:
    """Defence in depth for every decode that doesn't go through decode_image (training images)."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "OPENCV_IO_MAX_IMAGE_PIXELS"}
    code = (
        "import emuse, os, cv2, numpy as np\n"
        "print(os.environ['OPENCV_IO_MAX_IMAGE_PIXELS'])\n"
        "data = np.frombuffer(open(os.environ['BOMB'], 'rb').read(), np.uint8)\n"
        "try:\n    cv2.imdecode(data, cv2.IMREAD_COLOR)\nexcept cv2.error as exc:\n"
        "    print('refused' if 'CV_IO_MAX_IMAGE_PIXELS' in str(exc) else 'other')\n"
    )
    bomb = Path(os.environ.get("TMPDIR", "/tmp")) / f"emuse-bomb-{os.getpid()}.hdr"
    bomb.write_bytes(RADIANCE_BOMB.replace(b"16000", b"7000"))  # 49 MP: over 40 MP, 590 MB if decoded
    try:
        out = subprocess.run(
            [sys.executable, "-c", code], env={**env, "BOMB": str(bomb)}, capture_output=True, text=True, check=True
        ).stdout.split()
    finally:
        bomb.unlink()
    assert out == [str(media.MAX_PIXELS), "refused"]


@pytest.mark.parametrize("size", [(16000, 16000), (8192, 8192)])
def test_a_video_with_huge_frames_is_refused_from_its_header(size: tuple[int, int], tmp_path: Path) -> None:
    data = y4m(*size)
    with pytest.raises(MediaError, match=rf"frames are too large \({size[0]}x{size[1]}"):
        list(iter_video_bytes(data, "bomb.y4m"))
    path = tmp_path / "bomb.y4m"
    path.write_bytes(data)
    with pytest.raises(MediaError, match="frames are too large"):  # the CLI's path, same check
        list(iter_media(path))


def write_video(path: Path, width: int, height: int, frames: int = 3) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (width, height))
    assert writer.isOpened()
    for i in range(frames):
        writer.write(np.full((height, width, 3), 40 + i * 30, np.uint8))
    writer.release()
    return path


def test_cli_video_frames_are_downscaled_like_uploads(tmp_path: Path) -> None:
    path = write_video(tmp_path / "wide.avi", 2400, 1350)
    frames = list(iter_media(path))
    assert len(frames) == 3
    assert {frame.image.shape for frame in frames} == {(1080, 1920, 3)}


def test_an_audio_only_file_is_called_that(tmp_path: Path) -> None:
    import av

    path = tmp_path / "song.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=8000)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.rate, frame.pts, frame.time_base = 8000, 0, Fraction(1, 8000)
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    with pytest.raises(MediaError, match="audio-only file"):
        list(iter_media(path))
    with pytest.raises(MediaError, match="audio-only file"):
        list(iter_video_bytes(path.read_bytes(), "song.mp4"))


def test_a_frame_limit_of_zero_is_explained(tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.avi", 64, 48)
    with pytest.raises(MediaError, match="frame limit must be 1 or more, not 0"):
        list(iter_media(path, 0))


def test_a_symlink_loop_is_called_that(tmp_path: Path) -> None:
    loop = tmp_path / "loop.jpg"
    loop.symlink_to(loop)
    with pytest.raises(MediaError, match="symbolic link loop"):
        list(iter_media(loop))
    dangling = tmp_path / "gone.jpg"
    dangling.symlink_to(tmp_path / "deleted.jpg")
    with pytest.raises(MediaError, match=r"symbolic link to .*deleted\.jpg, which does not exist"):
        list(iter_media(dangling))


def test_a_folder_run_goes_past_a_file_it_cannot_read(tmp_path: Path) -> None:
    good = cv2.imencode(".png", np.full((32, 32, 3), 200, np.uint8))[1].tobytes()
    (tmp_path / "a.png").write_bytes(good)
    (tmp_path / "b.png").write_bytes(b"not a picture")
    (tmp_path / "c.png").write_bytes(good)
    errors: list[MediaError] = []
    sources = [Path(frame.source).name for frame in iter_media(tmp_path, on_error=errors.append)]
    assert sources == ["a.png", "c.png"]
    assert len(errors) == 1 and "b.png" in str(errors[0])
