"""Run inside a virtual environment that has ``requirements.txt`` and nothing else (no pytest).

Called by ``tests/e2e/test_fresh_venv.py``, from the root of a fresh clone: every page in
Streamlit's AppTest, ``--help`` of every command, and ``bench`` on a generated video.
Prints one line per check and exits 1 at the first failure, with what failed. Anything
the app imports that ``requirements.txt`` doesn't bring in shows up here as a
``ModuleNotFoundError``, which is the point.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path.cwd()
sys.path.insert(0, str(ROOT))  # run as a script: the project is the working directory


def pages() -> list[str]:
    return sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").rglob("*.py") if p.name != "__init__.py")


def check_pages() -> None:
    from streamlit.testing.v1 import AppTest

    for page in pages():
        at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=180).run()
        if not at.exception:
            at = at.switch_page(page).run()
        if at.exception:
            sys.exit(f"FAIL page {page}: {[e.message for e in at.exception]}")
        print(f"ok page {page}", flush=True)


def commands() -> list[list[str]]:
    """Every command and subcommand of ``python -m emuse``, from the parser itself."""
    from emuse.cli import build_parser

    found: list[list[str]] = []

    def walk(parser: argparse.ArgumentParser, prefix: list[str]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found.append([*prefix, name])
                    walk(sub, [*prefix, name])

    walk(build_parser(), [])
    return found


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "emuse", *args], capture_output=True, text=True, timeout=600)


def check_commands() -> None:
    for command in commands():
        done = run([*command, "--help"])
        if done.returncode != 0 or "usage:" not in done.stdout:
            sys.exit(f"FAIL {' '.join(command)} --help (exit {done.returncode}): {done.stderr[-2000:]}")
        print(f"ok python -m emuse {' '.join(command)} --help", flush=True)


def check_bench() -> None:
    import cv2
    import numpy as np

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.avi"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (320, 240))
        rng = np.random.default_rng(0)
        for i in range(30):
            frame = np.full((240, 320, 3), 80, np.uint8)
            cv2.circle(frame, (100 + i * 3, 120), 50, (200, 180, 160), -1)  # a moving disc: no face, still work
            writer.write(np.clip(frame + rng.normal(0, 4, frame.shape), 0, 255).astype(np.uint8))
        writer.release()
        done = run(["bench", str(path), "--frames", "30", "--warmup", "5", "--json"])
        if done.returncode != 0 or '"frames": 30' not in done.stdout:
            sys.exit(f"FAIL bench (exit {done.returncode}): {done.stdout[-1000:]} {done.stderr[-2000:]}")
        print("ok python -m emuse bench generated.avi", flush=True)


if __name__ == "__main__":
    check_commands()
    check_bench()
    check_pages()
    print("all checks passed")
