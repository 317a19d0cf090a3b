"""A newcomer's first run: a fresh clone, a clean virtual environment, exactly the README's app command.

Slow (it installs the requirements into a new virtual environment), and the one test that
would catch a missing requirement, a file that only exists on a developer's machine, or a
README command that no longer works.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.paths import ROOT

pytestmark = pytest.mark.slow


def readme_app_command() -> str:
    """The README's one-line app command (the first bash block that ends in `streamlit run Home.py`)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^(python3 -m venv .*streamlit run Home\.py)$", readme, flags=re.MULTILINE)
    assert commands, "README.md must give the one-line command that installs and runs the app"
    return commands[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (test_command,) = re.findall(r"^(python3 -m venv .*python -m pytest)$", readme, flags=re.MULTILINE)
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in ci_lines


def test_fresh_clone_starts_with_the_readme_command(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    clone = tmp_path / "emuse"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("VIRTUAL_ENV", "EMUSE_", "PYTHON"))}
    env.update(
        PATH=os.defpath if "PATH" not in os.environ else os.environ["PATH"].replace(str(ROOT / ".venv/bin"), ""),
        STREAMLIT_SERVER_PORT=str(port),
        STREAMLIT_SERVER_ADDRESS="127.0.0.1",
        STREAMLIT_SERVER_HEADLESS="true",
        STREAMLIT_SERVER_FILE_WATCHER_TYPE="none",
        EMUSE_DATA_DIR=str(tmp_path / "data"),
    )
    log = (tmp_path / "app.log").open("w")
    server = subprocess.Popen(
        ["bash", "-c", readme_app_command()],
        cwd=clone,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 900  # installing TensorFlow into a new venv takes minutes
        healthy = False
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
                    healthy = reply.status == 200
                    break
            except OSError:
                time.sleep(2)
        output = (tmp_path / "app.log").read_text(errors="replace")
        assert healthy, f"the app did not come up (exit {server.poll()}):\n{output[-3000:]}"
        assert (clone / ".venv" / "bin" / "streamlit").exists(), "the README command installs into .venv"
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read().decode()
        assert "<title>Streamlit</title>" in page or "streamlit" in page.lower()
        _home_renders(port)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def _home_renders(port: int) -> None:
    """Open the Home page in headless Chromium, when it is installed, and read its title."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI")
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        try:
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/", timeout=60_000)
            page.get_by_role("heading", name="eMuse").first.wait_for(timeout=60_000)
            assert page.locator('[data-testid="stException"]').count() == 0
        finally:
            browser.close()
