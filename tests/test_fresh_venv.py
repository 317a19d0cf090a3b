"""``requirements.txt`` alone is enough: every page, every command's help and ``bench`` in a fresh venv.

Slow (a new virtual environment gets the app's requirements, and only those: no pytest,
no scikit-image, no psutil from the dev list), and the test that catches a module the
app imports but ``requirements.txt`` doesn't bring in (psutil and scikit-image were).
The checks themselves are in ``tests/support/fresh_venv_check.py``, which runs in that venv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT

pytestmark = pytest.mark.slow


def test_requirements_txt_alone_runs_every_page_and_command(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    clone = tmp_path / "emuse"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("VIRTUAL_ENV", "EMUSE_", "PYTHON"))}
    env["EMUSE_DATA_DIR"] = str(tmp_path / "data")
    python = clone / ".venv" / "bin" / "python"
    subprocess.run([sys.executable, "-m", "venv", str(clone / ".venv")], check=True, timeout=120)
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "-r", "requirements.txt"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    listed = subprocess.run([str(python), "-m", "pip", "list"], capture_output=True, text=True, check=True).stdout
    assert "pytest " not in listed and "scikit-image" not in listed  # really the app's requirements only

    checks = subprocess.run(
        [str(python), str(ROOT / "tests" / "support" / "fresh_venv_check.py")],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert checks.returncode == 0, checks.stdout[-3000:] + checks.stderr[-3000:]
    assert checks.stdout.strip().endswith("all checks passed")
    assert "ok page pages/train.py" in checks.stdout  # the page that needed psutil
    assert "ok python -m emuse bench generated.avi" in checks.stdout

    hook = ROOT.parent / "shared" / "hooks" / "runtime_imports.py"
    if hook.exists():  # the team's own check, where it is installed
        missing = subprocess.run([str(python), str(hook)], cwd=clone, capture_output=True, text=True).stdout
        assert missing.strip() == "", missing
