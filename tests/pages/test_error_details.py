"""An uncaught error never shows visitors a traceback with server paths; the server log has it."""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.support.paths import ROOT


def test_the_config_hides_error_details_from_visitors() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] in ("none", False)


def test_an_uncaught_error_is_redacted_in_the_page_and_logged_in_full(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)  # Streamlit reads .streamlit/config.toml from the working directory
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("streamlit.error_util")
    logger.addHandler(handler)
    try:
        script = "raise RuntimeError('/srv/emuse/private/settings.py exploded')"
        at = AppTest.from_string(script, default_timeout=60).run()
    finally:
        logger.removeHandler(handler)
    (shown,) = at.exception
    assert "/srv/emuse" not in shown.message and not shown.stack_trace
    assert "redacted" in shown.message
    logged = [r for r in records if r.exc_info and "/srv/emuse/private" in str(r.exc_info[1])]
    assert logged, [r.getMessage() for r in records]


def test_a_data_dir_that_is_a_file_is_a_warning_on_the_history_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "data"
    target.write_text("not a folder")
    monkeypatch.setenv("EMUSE_DATA_DIR", str(target))
    monkeypatch.delenv("EMUSE_DATABASE_URL", raising=False)
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120).run()
    at = at.switch_page("pages/history.py").run()
    assert not at.exception
    assert any("is a file, not a folder" in w.value for w in at.warning)


def test_a_malformed_database_url_never_shows_its_password_on_the_history_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EMUSE_DATABASE_URL", "postgres//u:S3cretPW@h/x")  # a missing colon
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120).run()
    at = at.switch_page("pages/history.py").run()
    assert not at.exception
    shown = [w.value for w in at.warning] + [e.value for e in at.error] + [m.value for m in at.markdown]
    assert any("postgres//u:***@h/x" in text for text in shown), shown
    assert not any("S3cretPW" in text for text in shown)
