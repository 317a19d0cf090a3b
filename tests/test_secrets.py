"""Secrets never reach outputs or logs: Spotify credentials, tokens and TURN passwords.

The CLI runs in real subprocesses against the fake Spotify (every failure mode, with
``--debug`` tracebacks too); the pages run in AppTest with Python logging at DEBUG.
Every byte they print or log is scanned for the secret values.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.support import fake_spotify as fs
from tests.support.paths import ROOT

TURN_PASSWORD = "turn-password-5f1c9e"
SECRETS = (fs.CLIENT_SECRET, fs.REFRESH_TOKEN, TURN_PASSWORD)


@pytest.fixture
def fake(fake: fs.FakeSpotify, monkeypatch: pytest.MonkeyPatch):
    """The shared fake Spotify, plus a refresh token and a TURN password in the environment."""
    monkeypatch.setenv("SPOTIFY_REFRESH_TOKEN", fs.REFRESH_TOKEN)
    ice = [{"urls": ["turn:127.0.0.1:3478"], "username": "u", "credential": TURN_PASSWORD}]
    monkeypatch.setenv("EMUSE_ICE_SERVERS", json.dumps(ice))
    return fake


def assert_clean(text: str, server: fs.FakeSpotify) -> None:
    for secret in (*SECRETS, *server.tokens):
        assert secret not in text, f"a secret ({secret[:6]}…) was printed or logged"


@pytest.mark.parametrize("failure", [None, 401, 403, 404, 500, "slow", "bad-secret", "bad-refresh"])
def test_sync_output_never_contains_secrets(fake: fs.FakeSpotify, tmp_path: Path, failure) -> None:
    (tmp_path / "sources.csv").write_text("emotion,playlist\nhappy,p1\nsad,p2\n")
    fake.playlists["p1"] = [fs.track(1)]
    fake.playlists["p2"] = [fs.track(2)]
    fake.refresh_tokens.add(fs.REFRESH_TOKEN)
    env = dict(os.environ)
    if isinstance(failure, int):
        fake.fail["p2"] = failure
    elif failure == "slow":
        fake.delay["p2"] = 30
    elif failure == "bad-secret":
        env["SPOTIPY_CLIENT_SECRET"] = fs.CLIENT_SECRET + "-wrong"
    elif failure == "bad-refresh":
        env["SPOTIFY_REFRESH_TOKEN"] = fs.REFRESH_TOKEN + "-expired"
    for debug in ([], ["--debug"]):
        result = subprocess.run(
            [sys.executable, "-m", "emuse", *debug, "sync"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode in (0, 1, 2)
        assert_clean(result.stdout + result.stderr, fake)
        assert (fs.CLIENT_SECRET + "-wrong") not in result.stdout + result.stderr
        assert (fs.REFRESH_TOKEN + "-expired") not in result.stdout + result.stderr


@pytest.mark.parametrize("page", ["pages/playlists.py", "pages/live.py", "pages/home.py"])
def test_pages_never_show_or_log_secrets(fake, page: str, caplog, capfd) -> None:
    caplog.set_level(logging.DEBUG)
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120).run()
    at = at.switch_page(page).run()
    assert not at.exception
    rendered = "\n".join(str(element) for element in at.main) + "\n".join(str(element) for element in at.sidebar)
    out, err = capfd.readouterr()
    assert_clean(rendered + caplog.text + out + err, fake)


def test_secrets_file_is_ignored_by_git() -> None:
    result = subprocess.run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"], cwd=ROOT, capture_output=True)
    if result.returncode == 128:
        pytest.skip("not a git checkout")
    assert result.returncode == 0, ".streamlit/secrets.toml must be git-ignored"
    example = (ROOT / ".streamlit" / "secrets.toml.example").read_text()
    assert 'SPOTIPY_CLIENT_SECRET = ""' in example
