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


#: A PostgreSQL server for the history tests (``.ci/run`` starts one and sets this); see :func:`history_url`.
POSTGRES_URL_VAR = "EMUSE_TEST_POSTGRES_URL"


@pytest.fixture(params=["sqlite", "postgresql"])
def history_url(request: pytest.FixtureRequest, data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    """The history database URL, once on SQLite and once on a fresh PostgreSQL database.

    The PostgreSQL run needs ``EMUSE_TEST_POSTGRES_URL`` (a server where this user may
    create databases): each test gets a database of its own, dropped afterwards, and
    ``EMUSE_DATABASE_URL`` points at it so CLI commands and pages use it too. Without
    the variable the PostgreSQL run is skipped on a developer's machine and fails in CI.
    """
    import os
    import secrets

    if request.param == "sqlite":
        yield f"sqlite:///{data_dir / 'history.sqlite'}"
        return
    admin_url = os.environ.get(POSTGRES_URL_VAR)
    if not admin_url:
        if os.environ.get("CI"):
            pytest.fail(f"{POSTGRES_URL_VAR} is not set: .ci/run starts a PostgreSQL server and sets it")
        pytest.skip(f"no PostgreSQL server ({POSTGRES_URL_VAR} is not set; .ci/run sets it)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"emuse_test_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    monkeypatch.setenv("EMUSE_DATABASE_URL", url)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def store(history_url: str):
    """A history store on a real SQLite file in ``data_dir``, then on a real PostgreSQL database."""
    from emuse.history.store import open_store

    store = open_store(history_url)
    yield store
    store.dispose()


@pytest.fixture
def sqlite_store(data_dir: Path):
    """A history store on a real SQLite file in ``data_dir`` (tests about the file itself)."""
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
