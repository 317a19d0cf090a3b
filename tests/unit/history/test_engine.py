"""Hostile or mistaken database settings: never a password in a message, one line, a bounded wait."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from emuse import cli
from emuse.history.engine import redact_url
from emuse.history.store import HistoryError, HistoryStore, open_store
from tests.support.moods import mood

PASSWORD = "S3cretPW"

#: URLs SQLAlchemy rejects or can't use, each with the password in it.
BAD_URLS = [
    f"postgres//u:{PASSWORD}@h/x",  # a missing colon
    f"postgresql://u:{PASSWORD}@h:notaport/x",  # a port that is not a number
    f"postgresql+psycopg://u:{PASSWORD}@h/x?password={PASSWORD}",
    f"postgresql+nosuchdriver://u:{PASSWORD}@localhost/emuse",
    f"u:{PASSWORD}@just-a-host",
    f"postgresql://u:{PASSWORD}@127.0.0.1:1/x",  # no psycopg2: the default driver is missing
    f"postgresql+psycopg://u:{PASSWORD}@127.0.0.1:1/x",  # the server is down: psycopg's message has two lines
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_no_message_ever_shows_the_password_of_a_database_url(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("EMUSE_DATABASE_URL", url)
    with pytest.raises(HistoryError) as info:
        open_store()
    assert PASSWORD not in str(info.value)
    assert cli.main(["history", "export"]) == 1
    out, err = capsys.readouterr()
    assert PASSWORD not in out + err
    assert out == "" and len(err.strip().splitlines()) == 1, err  # one line, even when the driver's has several


def test_redact_url_keeps_the_user_and_host_and_masks_the_rest() -> None:
    assert redact_url("postgresql+psycopg://emuse:pw@db:5432/h?sslmode=require") == (
        "postgresql+psycopg://emuse:***@db:5432/h?sslmode=require"
    )
    assert redact_url("postgres//u:p@ss@h/x") == "postgres//u:***@h/x"  # an unescaped @ in the password
    assert redact_url("sqlite:////data/history.sqlite") == "sqlite:////data/history.sqlite"
    assert redact_url("postgresql://h/x?user=u&password=pw") == "postgresql://h/x?user=u&password=***"


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite:///file:x?mode=memory&uri=true"])
def test_an_in_memory_sqlite_url_is_refused(url: str) -> None:
    """Each pooled connection would see its own empty database: rows written by the video thread would vanish."""
    with pytest.raises(HistoryError, match=r"in-memory SQLite database.*use a file"):
        HistoryStore(url)


def test_a_data_dir_that_is_a_file_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    target = tmp_path / "data"
    target.write_text("not a folder")
    monkeypatch.setenv("EMUSE_DATA_DIR", str(target))
    monkeypatch.delenv("EMUSE_DATABASE_URL", raising=False)
    with pytest.raises(HistoryError, match=r"EMUSE_DATA_DIR .* is a file, not a folder"):
        open_store()
    assert cli.main(["history", "export"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("emuse: error: EMUSE_DATA_DIR") and "FileExistsError" not in err


def test_a_database_locked_by_another_program_costs_seconds_not_half_a_minute(data_dir: Path) -> None:
    """Default settings: main waited 2 s x 6 attempts plus backoff (28 s) before saying "busy"."""
    store = open_store()
    locker = sqlite3.connect(data_dir / "history.sqlite", isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(HistoryError, match="busy"):
            store.add_mood("s", "live", mood())
        assert time.monotonic() - started < store.max_wait_s + 3
    finally:
        locker.execute("ROLLBACK")
        locker.close()
        store.dispose()
