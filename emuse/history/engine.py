"""The history database connection: where it is, how SQLite is set up, and what its errors mean.

:mod:`emuse.history.store` reads and writes through an engine made here;
:class:`HistoryError` is the domain's one error type, its message saying what to do.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError

from emuse import config


class HistoryError(RuntimeError):
    """The history database can't be used right now; the message says why and what to do."""


#: Query parameters of a database URL whose values are secrets (libpq accepts ``?password=``).
_SECRET_QUERY = re.compile(r"(?i)([?&](?:[a-z_]*pass[a-z_]*|[a-z_]*secret[a-z_]*|[a-z_]*token[a-z_]*|sslkey)=)[^&#]*")


def redact_url(raw: str) -> str:
    """``raw`` safe to show: user names kept, passwords and secret query values replaced by ``***``.

    Works on URLs SQLAlchemy rejects too (``postgres//u:pw@h/x``, a port that is not a
    number): everything before the last ``@`` of the address part is the user info and is
    masked, so a typo never puts a password on a page every visitor sees.
    """
    text = _SECRET_QUERY.sub(r"\1***", str(raw))
    head, sep, tail = text.partition("?")
    if "@" in head:
        prefix_end = head.find("//") + 2 if "//" in head else 0
        userinfo, _, host = head[prefix_end:].rpartition("@")
        user = userinfo.split(":", 1)[0]
        masked = f"{user}:***" if ":" in userinfo else userinfo
        head = f"{head[:prefix_end]}{masked}@{host}"
    return head + sep + tail


def scrub(text: str, secrets: Sequence[str] = ()) -> str:
    """One line without any of ``secrets``: driver messages can span lines and, rarely, echo a DSN."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return " ".join(str(text).split())


def database_url() -> str:
    """``EMUSE_DATABASE_URL`` if set, else the SQLite file ``$EMUSE_DATA_DIR/history.sqlite``."""
    url = os.environ.get("EMUSE_DATABASE_URL", "").strip()
    if url:
        return url
    try:
        return f"sqlite:///{config.data_dir() / 'history.sqlite'}"
    except config.ConfigError as exc:
        raise HistoryError(str(exc)) from None


def is_busy(exc: DBAPIError) -> bool:
    message = str(exc.orig).lower()
    pgcode = getattr(exc.orig, "pgcode", None) or getattr(exc.orig, "sqlstate", None)
    # SQLite: lock held by another connection. PostgreSQL: serialization failure or deadlock.
    return "locked" in message or "busy" in message or pgcode in ("40001", "40P01")


def explain(exc: BaseException, where: str, secrets: Sequence[str] = ()) -> HistoryError:
    """Turn a driver error into a message a person can act on: one line, never a password."""
    original = scrub(str(getattr(exc, "orig", None) or exc), secrets)
    message = original.lower()
    if "locked" in message or "busy" in message:
        text = (
            f"the history database ({where}) is busy: another program holds a lock on it. "
            "Close other programs using it and try again."
        )
    elif "readonly" in message or "read-only" in message or "read only" in message:
        text = (
            f"the history database ({where}) is read-only. Make the file and its folder writable, "
            "or set EMUSE_DATA_DIR or EMUSE_DATABASE_URL to a writable place."
        )
    elif "not a database" in message or "malformed" in message or "corrupt" in message:
        text = (
            f"the history database ({where}) is damaged ({original}). Move the file aside and eMuse starts "
            "a new, empty history, or restore it from a backup."
        )
    elif "unable to open" in message:
        text = (
            f"the history database ({where}) cannot be opened. Check that its folder exists and is writable, "
            "or set EMUSE_DATA_DIR or EMUSE_DATABASE_URL."
        )
    elif any(
        sign in message
        for sign in ("connection refused", "could not connect", "connection failed", "resolve host", "name or service")
    ):
        text = (
            f"the history database ({where}) is not reachable ({original}). Start the database server "
            "or check the host and port in EMUSE_DATABASE_URL."
        )
    else:
        text = f"the history database ({where}) failed: {original}"
    return HistoryError(scrub(text, secrets))


def sqlite_engine(url: str, busy_timeout_s: float) -> Engine:
    # check_same_thread=False: the pool hands a connection to whichever thread asks
    # next (page script, video thread); each is used by one thread at a time.
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_timeout_s})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We emit BEGIN ourselves (below); pysqlite's implicit transactions would
        # defeat BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            try:
                cursor.execute("PRAGMA journal_mode = WAL")  # persistent: a no-op once the file is in WAL
            except Exception as exc:  # a read-only database can still be read in its current mode
                if "readonly" not in str(exc).lower():
                    raise
            cursor.execute("PRAGMA synchronous = NORMAL")  # durable enough in WAL, and much faster
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("emuse_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
