"""Hostile training data (zip bombs, huge images) and uploads left behind by a killed job."""

from __future__ import annotations

import io
import signal
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from emuse.training import jobs
from emuse.training.data import DataError, load
from emuse.training.data_checks import check_upload, quick_check


def _claim_size(zip_bytes: bytes, name: str, size: int) -> bytes:
    """Rewrite ``name``'s uncompressed size in the zip's headers: what a zip bomb's directory says."""
    data = bytearray(zip_bytes)
    encoded = name.encode()
    central = data.find(b"PK\x01\x02")
    while central != -1:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46 : central + 46 + name_len]) == encoded:
            struct.pack_into("<I", data, central + 24, size)
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


def csv_bomb(tmp_path: Path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("fer2013.csv", "emotion,pixels,Usage\n")
    path = tmp_path / "bomb.zip"
    path.write_bytes(_claim_size(buffer.getvalue(), "fer2013.csv", 3_000_000_000))  # "3 GB" inside 200 bytes
    return path


def huge_png(side: int = 30000) -> bytes:
    """A valid PNG header claiming ``side`` x ``side`` pixels (900 MP for 30000) around 8x8 of data."""
    png = cv2.imencode(".png", np.zeros((8, 8), np.uint8))[1].tobytes()
    ihdr = b"IHDR" + side.to_bytes(4, "big") * 2 + png[24:29]
    return png[:12] + ihdr + zlib.crc32(ihdr).to_bytes(4, "big") + png[33:]


def test_a_zip_whose_csv_is_3_gb_uncompressed_is_refused_naming_the_entry(tmp_path: Path) -> None:
    path = csv_bomb(tmp_path)
    for check in (load, quick_check):
        with pytest.raises(DataError, match=r"fer2013\.csv is 2\.8 GB uncompressed, over the 400 MB limit"):
            check(path)
    with open(path, "rb") as stream, pytest.raises(DataError, match=r"fer2013\.csv is 2\.8 GB uncompressed"):
        check_upload("bomb.zip", stream)


def test_a_zip_of_huge_pngs_is_refused_from_their_headers(tmp_path: Path) -> None:
    path = tmp_path / "pngs.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(3):
            zf.writestr(f"train/happy/{i}.png", huge_png())
    with pytest.raises(DataError, match=r"train/happy/0\.png: the image is too large \(over 4 megapixels\); training"):
        load(path)


def test_an_image_entry_too_big_to_be_a_face_is_refused_before_reading(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("train/sad/x.png", huge_png(16))
    path = tmp_path / "big.zip"
    path.write_bytes(_claim_size(buffer.getvalue(), "train/sad/x.png", 100_000_000))
    with pytest.raises(DataError, match=r"train/sad/x\.png is 95 MB uncompressed, over the 8 MB limit"):
        quick_check(path)


def test_an_upload_left_by_a_job_killed_with_sigkill_is_removed(tmp_path: Path) -> None:
    import psutil

    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        create_time = psutil.Process(victim.pid).create_time()
        path = jobs.jobs_dir() / "20990101-000000-killed"
        (path / "upload").mkdir(parents=True)
        (path / "upload" / "fer2013.csv").write_text("emotion,pixels,Usage\n")
        jobs.write_json(path / "request.json", {"kind": "train", "data": str(path / "upload" / "fer2013.csv")})
        jobs.write_json(path / "status.json", {"state": "running", "created_ts": 0})
        jobs.write_json(path / "pid.json", {"pid": victim.pid, "create_time": create_time})
        assert jobs.active_job() is not None and (path / "upload").exists()  # alive: its upload stays
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait()
    assert jobs.active_job() is None  # seen dead (what the Train page does on every run) ...
    assert not (path / "upload").exists()  # ... and its upload is gone
    assert jobs.Job(path).status()["state"] == "failed"


def test_leftover_uploads_are_removed_but_a_running_jobs_upload_is_kept() -> None:
    import os

    import psutil

    me = psutil.Process(os.getpid())
    for name, state in (("20990101-000001-done", "done"), ("20990101-000002-running", "running")):
        path = jobs.jobs_dir() / name
        (path / "upload").mkdir(parents=True)
        jobs.write_json(path / "request.json", {"kind": "train"})
        jobs.write_json(path / "status.json", {"state": state, "created_ts": 0})
        jobs.write_json(path / "pid.json", {"pid": me.pid, "create_time": me.create_time()})
    removed = jobs.remove_leftover_uploads()
    assert [p.parent.name for p in removed] == ["20990101-000001-done"]
    assert (jobs.jobs_dir() / "20990101-000002-running" / "upload").is_dir()
