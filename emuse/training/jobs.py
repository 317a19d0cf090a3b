"""Background training and evaluation jobs, each a subprocess with its state in a folder.

Why a subprocess and a folder: a Streamlit script run lasts a fraction of a second and
is restarted on every click and every browser refresh, while training takes minutes
to hours. So the page only *starts* a job and *reads* its state:

``config.data_dir()/jobs/<id>/``
    ``request.json``  what to do (kind "train" or "evaluate" and its settings)
    ``status.json``   state, phase, epoch/batch progress, time left, per-epoch history,
                      result or error; rewritten atomically by the job, read by anyone
    ``pid.json``      the process id and start time, to tell a live job from a dead one
    ``cancel``        present when someone asked the job to stop
    ``log.txt``       the job's stdout/stderr (tracebacks for the curious)
    ``upload/``       an uploaded data file, deleted when the job ends (or, after a kill -9,
                      when the job is next looked at or another one starts)

A refresh therefore reattaches to the running job (:func:`active_job`), a second click
or tab gets the same job instead of a duplicate (:func:`start_job` holds a lock while
it checks), and TensorFlow is imported only in the job's process, never in the page.

Run a job by hand with ``python -m emuse.training.job_runner <job folder>``; the job's own process
is :mod:`emuse.training.job_runner`. A training job checkpoints every epoch into
``<job folder>/checkpoint``, so a job that died (a killed process, a server restart) can be
resumed from its last epoch with :func:`resume_job`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import psutil

from emuse import (
    config,
    quiet,  # noqa: F401  (quiet TensorFlow before anything imports it)
)
from emuse.files import atomic_write_bytes

ACTIVE_STATES = ("queued", "running")
FINAL_STATES = ("done", "failed", "cancelled")
#: Job folders kept; older finished ones are removed when a new job starts.
KEEP_JOBS = 20
#: A queued job whose process hasn't registered after this long is considered dead.
START_GRACE_S = 60.0
#: status.json is rewritten at most this often during an epoch (always at epoch end).
WRITE_EVERY_S = 0.5
#: For tests that watch a job from outside (the browser test): a folder in which the job, at the
#: end of epoch k, waits for a file named ``epoch-k`` (or a cancel). A tiny job then cannot finish
#: between two steps of the test, however fast or slow the machine is. Unset: no waiting.
GATE_ENV = "EMUSE_TEST_JOB_GATE"

_children: dict[int, subprocess.Popen[bytes]] = {}  # processes this server started, to reap them


class JobError(Exception):
    """A job can't be started or read; the message says why."""


def jobs_dir() -> Path:
    path = config.data_dir() / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write JSON atomically: a reader sees the old file or the new one, never half of one."""
    atomic_write_bytes(path, json.dumps(data).encode("utf-8"))


def read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Job:
    """A handle on one job folder."""

    path: Path

    @property
    def id(self) -> str:
        return self.path.name

    def request(self) -> dict[str, Any]:
        return read_json(self.path / "request.json")

    def status(self) -> dict[str, Any]:
        """The job's state; a job whose process died without saying so is reported (and marked) failed."""
        status = read_json(self.path / "status.json")
        if status.get("state") in ACTIVE_STATES and not self._alive(status):
            status.update(
                state="failed",
                error="the job's process stopped unexpectedly (killed, out of memory, or the server restarted); "
                f"see {self.path / 'log.txt'}",
                finished=now_iso(),
            )
            write_json(self.path / "status.json", status)
            # A job killed with SIGKILL never ran its own clean-up: its uploaded data set goes now.
            shutil.rmtree(self.path / "upload", ignore_errors=True)
        return status

    @property
    def active(self) -> bool:
        return self.status().get("state") in ACTIVE_STATES

    def cancel(self) -> None:
        """Ask the job to stop after the current batch (it then reports "cancelled")."""
        (self.path / "cancel").touch()

    @property
    def cancel_requested(self) -> bool:
        return (self.path / "cancel").exists()

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return (self.path / "log.txt").read_text(encoding="utf-8", errors="replace")[-chars:]
        except FileNotFoundError:
            return ""

    def _alive(self, status: dict[str, Any]) -> bool:
        pid_info = read_json(self.path / "pid.json")
        if not pid_info:
            created = status.get("created_ts", 0.0)
            return time.time() - float(created) < START_GRACE_S
        pid = int(pid_info["pid"])
        child = _children.get(pid)
        if child is not None and child.poll() is not None:
            _children.pop(pid, None)
            return False
        try:
            process = psutil.Process(pid)
            if abs(process.create_time() - float(pid_info["create_time"])) > 1.0:
                return False  # the pid was reused by another process
            return process.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False


def remove_leftover_uploads() -> list[Path]:
    """Delete the uploaded data of every job that is not running; returns the folders removed.

    A job deletes its ``upload/`` when it ends, but a ``kill -9`` (or the machine
    going down) skips that. Called when a job starts and when the Train page opens,
    so an upload never outlives its job by more than one visit.
    """
    with _lock():  # not while start_job is copying an upload into a job that has no status yet
        return _remove_leftover_uploads()


def _remove_leftover_uploads() -> list[Path]:
    removed = []
    for path in sorted(jobs_dir().glob("*/upload")):
        job = Job(path.parent)
        if job.active:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def list_jobs() -> list[Job]:
    """All jobs, newest first (ids start with a timestamp)."""
    return [Job(p) for p in sorted(jobs_dir().iterdir(), reverse=True) if p.is_dir() and (p / "request.json").exists()]


def get_job(job_id: str) -> Job | None:
    path = jobs_dir() / job_id
    return Job(path) if job_id and "/" not in job_id and (path / "request.json").exists() else None


def active_job() -> Job | None:
    """The job running now, if any (at most one runs at a time: training uses every core)."""
    return next((job for job in list_jobs() if job.active), None)


def latest_job(kind: str | None = None) -> Job | None:
    return next((job for job in list_jobs() if kind is None or job.request().get("kind") == kind), None)


@contextlib.contextmanager
def _lock() -> Iterator[None]:
    with open(jobs_dir() / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def start_job(request: dict[str, Any], upload: tuple[str, IO[bytes]] | None = None) -> tuple[Job, bool]:
    """Start ``request`` in a new process, unless a job is already running.

    Returns ``(job, started)``: ``started`` is False when an active job already exists,
    which is then returned instead (two clicks, two tabs or a refresh never train twice).
    ``upload`` is ``(file name, binary stream)`` of an uploaded data file; it is copied
    into the job folder and becomes ``request["data"]``.
    """
    if request.get("kind") not in ("train", "evaluate"):
        raise JobError(f"unknown job kind {request.get('kind')!r}; use 'train' or 'evaluate'")
    with _lock():
        running = active_job()
        if running is not None:
            return running, False
        _prune()
        _remove_leftover_uploads()
        job_id = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
        path = jobs_dir() / job_id
        path.mkdir()
        request = dict(request)
        if request["kind"] == "train":  # a fixed name, so a resumed run saves under the same one
            request["name"] = request.get("name") or f"{request.get('arch', 'model')}_{job_id}"
        if upload is not None:
            name, stream = upload
            safe = Path(name).name.replace(" ", "_") or "data"
            (path / "upload").mkdir()
            fd, tmp = tempfile.mkstemp(dir=path / "upload", prefix=".", suffix=".part")
            with os.fdopen(fd, "wb") as handle:
                shutil.copyfileobj(stream, handle, length=1 << 20)
            os.replace(tmp, path / "upload" / safe)
            request["data"] = str(path / "upload" / safe)
            request["data_label"] = f"upload: {Path(name).name}"
        write_json(path / "request.json", request)
        write_json(
            path / "status.json", {"id": job_id, "state": "queued", "created": now_iso(), "created_ts": time.time()}
        )
        _spawn(path)
        return Job(path), True


def _spawn(path: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(config.PROJECT_ROOT), env.get("PYTHONPATH")]))
    with open(path / "log.txt", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "emuse.training.job_runner", str(path)],
            cwd=config.PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a server restart or Ctrl-C in its terminal doesn't kill training
        )
    _children[process.pid] = process
    try:
        create_time = psutil.Process(process.pid).create_time()
    except psutil.Error:  # already gone; status() will report it
        create_time = 0.0
    write_json(path / "pid.json", {"pid": process.pid, "create_time": create_time})


def _prune() -> None:
    finished = [job for job in list_jobs() if job.status().get("state") in FINAL_STATES]
    for job in finished[KEEP_JOBS:]:
        shutil.rmtree(job.path, ignore_errors=True)


def resumable_epochs(job: Job) -> int:
    """How many epochs a stopped training job has checkpointed (0: nothing to resume)."""
    if job.request().get("kind") != "train" or job.status().get("state") not in ("failed", "cancelled"):
        return 0
    log = job.path / "checkpoint" / "epochs.csv"
    return max(0, len(log.read_text().splitlines()) - 1) if log.is_file() else 0


def resume_job(job: Job) -> tuple[Job, bool]:
    """Go on with a stopped training job from its last checkpointed epoch, in a new process.

    Returns ``(job, started)`` like :func:`start_job` (another active job is returned instead).
    """
    if not resumable_epochs(job):
        raise JobError(f"job {job.id} has no checkpoint to resume from; start a new training instead")
    request = job.request()
    if not Path(request["data"]).exists():
        raise JobError(
            "the uploaded data set was deleted when the job stopped; upload it again and start a new training"
        )
    with _lock():
        running = active_job()
        if running is not None:
            return running, False
        write_json(job.path / "request.json", {**request, "resume": True})
        (job.path / "cancel").unlink(missing_ok=True)
        status = job.status()
        write_json(job.path / "status.json", {**status, "state": "queued", "created_ts": time.time(), "error": None})
        (job.path / "pid.json").unlink(missing_ok=True)
        _spawn(job.path)
        return job, True
