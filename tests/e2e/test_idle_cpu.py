"""An open tab costs (almost) nothing: the README's server with a ``.venv`` in the folder stays idle.

With the README's setup the virtual environment lives inside the project folder, and
Streamlit's file watcher used to crawl its ~57,000 files: about 95% of a core and
hundreds of "Inotify queue overflowed" log lines in 30 s of just showing Home. The
other tests start the server with ``--server.fileWatcherType none`` and never saw
it. This one starts it the README's way (``streamlit run Home.py``, nothing but the
port and address from the environment) in a copy of the project whose ``.venv`` is a
hard-linked copy of the running one, opens Home in Chromium, and measures the
server's CPU time over 20 s after the page has rendered.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support import browser as bs
from tests.support.paths import ROOT

pytestmark = pytest.mark.browser

WINDOW_S = 20.0
MAX_CORE_SHARE = 0.05


def project_copy(tmp_path: Path) -> Path:
    """The tracked files of the checkout, plus ``.venv``: hard links to this interpreter's environment."""
    if sys.prefix == sys.base_prefix:
        pytest.skip("not running inside a virtual environment to copy as .venv")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True, timeout=60
    ).stdout.split(b"\0")
    root = tmp_path / "emuse"
    for name in filter(None, (f.decode() for f in files)):
        source = ROOT / name
        if source.is_file():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    # Hard links: 57,000 directory entries in a few seconds and no disk space; nothing is written through them.
    # Across file systems (a tmpfs /tmp in CI) each file becomes a symbolic link instead: the folders, which
    # are what the watcher crawls, are real either way.
    shutil.copytree(sys.prefix, root / ".venv", symlinks=True, copy_function=link_or_symlink)
    return root


def link_or_symlink(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        os.symlink(source, target)


def test_an_open_home_tab_leaves_the_server_idle(tmp_path: Path) -> None:
    import psutil
    from playwright.sync_api import sync_playwright

    executable = bs.require_chromium()
    root = project_copy(tmp_path)
    port = bs.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMUSE_", "STREAMLIT_", "VIRTUAL_ENV"))}
    env.update(STREAMLIT_SERVER_PORT=str(port), STREAMLIT_SERVER_ADDRESS="127.0.0.1")
    env["PATH"] = f"{root / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', os.defpath)}"
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        # `streamlit run Home.py` after activating .venv; through `python -m` because the copied
        # console script's shebang still names the original environment's interpreter.
        server = subprocess.Popen(
            [str(root / ".venv" / "bin" / "python"), "-m", "streamlit", "run", "Home.py"],
            cwd=root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, log_path.read_text(errors="replace")[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server did not become healthy in 120 s"
            time.sleep(0.2)
        process = psutil.Process(server.pid)
        with sync_playwright() as playwright:
            browser = bs.launch_chromium(playwright, executable=executable)
            try:
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{port}/")
                bs.wait_for_app(page, timeout_ms=120_000)
                lines_before = len(log_path.read_text(errors="replace").splitlines())
                cpu_before = process.cpu_times()
                started = time.monotonic()
                time.sleep(WINDOW_S)  # the measurement window itself, not a wait for a condition
                cpu_after = process.cpu_times()
                elapsed = time.monotonic() - started
                assert page.locator('[data-testid="stMainBlockContainer"]').count() == 1  # the tab is still open
            finally:
                browser.close()
        used = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
        share = used / elapsed
        new_lines = log_path.read_text(errors="replace").splitlines()[lines_before:]
        assert share < MAX_CORE_SHARE, f"the server used {share:.0%} of a core while Home sat open"
        assert not [line for line in new_lines if "Inotify" in line or "Traceback" in line], new_lines[:20]
    finally:
        if server.poll() is None:
            os.killpg(server.pid, 15)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, 9)
                server.wait(timeout=15)
