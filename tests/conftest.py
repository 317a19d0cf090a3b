"""Shared fixtures: real faces, a private data folder per test, a history store, the fake Spotify.

Helpers that are not fixtures live in tests/support/ (import them from there, never from here).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emuse.ui import runtime  # noqa: F401  (loads pylibsrtp before any test loads TensorFlow: see runtime 1.)
from tests.support import faces
from tests.support import fake_spotify as fs


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes into the project's data/ folder (history database, training jobs)."""
    monkeypatch.setenv("EMUSE_DATA_DIR", str(tmp_path_factory.mktemp("data")))


@pytest.fixture(scope="session")
def astronaut_bgr() -> np.ndarray:
    """Eileen Collins, smiling (scikit-image's ``data.astronaut()``), as BGR."""
    return faces.astronaut_bgr()


@pytest.fixture(scope="session")
def grace_hopper_bgr() -> np.ndarray:
    """Grace Hopper, neutral expression (matplotlib's sample image), as BGR."""
    return faces.grace_hopper_bgr()


@pytest.fixture(scope="session")
def webcam_frame(astronaut_bgr: np.ndarray) -> np.ndarray:
    """A 640x480 'webcam' frame with the astronaut's face at arm's length."""
    return faces.webcam_frame(astronaut_bgr)


@pytest.fixture(scope="session")
def classifier():
    """The shipped default model, loaded once for the whole test session."""
    from emuse.vision.classifier import EmotionClassifier

    return EmotionClassifier()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder of this test's own, and no database URL from the environment."""
    monkeypatch.setenv("EMUSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("EMUSE_DATABASE_URL", raising=False)
    return tmp_path


@pytest.fixture
def store(data_dir: Path):
    """A history store on a real SQLite file in ``data_dir``."""
    from emuse.history.store import open_store

    store = open_store()
    yield store
    store.dispose()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """A fake Spotify Web API on 127.0.0.1 with eMuse pointed at it: app credentials, playlists in tmp_path."""
    server = fs.FakeSpotify().start()
    monkeypatch.setenv("EMUSE_SPOTIFY_API_URL", server.api_url)
    monkeypatch.setenv("EMUSE_SPOTIFY_TOKEN_URL", server.token_url)
    monkeypatch.setenv("EMUSE_PLAYLISTS_DIR", str(tmp_path))
    monkeypatch.setenv("SPOTIPY_CLIENT_ID", fs.CLIENT_ID)
    monkeypatch.setenv("SPOTIPY_CLIENT_SECRET", fs.CLIENT_SECRET)
    monkeypatch.delenv("SPOTIFY_REFRESH_TOKEN", raising=False)
    yield server
    server.stop()
