"""The mood history database: SQLite by default, any SQLAlchemy URL (PostgreSQL) by choice.

Why it is built this way:

* **Short transactions, retried.** Several browser sessions, a CLI run and maybe a
  second app instance write at once. Every call here is one small transaction; a
  busy or locked database is retried with a bounded, jittered backoff before the
  caller sees a :class:`HistoryError`, so concurrent writers lose nothing.
* **SQLite in WAL mode with a busy timeout.** Readers (the history page) never
  block writers (the video thread), and a writer waits for the lock instead of
  failing at once. Writes start with ``BEGIN IMMEDIATE`` so a transaction takes the
  write lock up front, where the busy timeout applies, instead of failing to
  upgrade a read lock half way through.
* **One clear error type.** A locked, read-only, damaged or unreachable database
  becomes a :class:`HistoryError` whose message says what to do; the rest of the
  app keeps working without history.
* **Portable SQL only.** Everything goes through SQLAlchemy Core; the only
  SQLite-specific statements are the connection pragmas below.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import Connection, Select, create_engine, delete, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from emuse.history import schema
from emuse.history.engine import HistoryError, database_url, explain, is_busy, redact_url, scrub, sqlite_engine
from emuse.history.rows import correction_values, filtered, mood_values, song_feedback_values, song_values, utc
from emuse.mood import Mood

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Columns of :meth:`HistoryStore.moods` and :meth:`HistoryStore.songs`, in order.
MOOD_COLUMNS: tuple[str, ...] = ("id", "time", "session", "source", "emotion", "confidence", *schema.SCORE_COLUMNS)
SONG_COLUMNS: tuple[str, ...] = ("id", "time", "session", "emotion", "track_id", "name", "artists", "url", "event")
FEEDBACK_COLUMNS: tuple[str, ...] = (
    "id",
    "time",
    "session",
    "feedback",
    "emotion",
    "corrected_to",
    "track_id",
    "name",
    "artists",
    "url",
    *schema.SCORE_COLUMNS,
)


class HistoryStore:
    """Read and write mood and song rows. Thread-safe; share one per process.

    ``busy_timeout_s`` is how long SQLite waits for a lock per attempt, and
    ``retries`` how many more attempts follow (with a backoff of at most a second)
    before a :class:`HistoryError`; ``max_wait_s`` caps the whole wait, so a
    database locked by another program costs a page or a CLI run about 4 s, not
    the 28 s that 2 s x 6 attempts plus backoff used to.
    """

    def __init__(
        self, url: str | None = None, *, busy_timeout_s: float = 1.0, retries: int = 3, max_wait_s: float = 5.0
    ) -> None:
        self.url = url or database_url()
        try:
            parsed = make_url(self.url)
            parsed.port  # noqa: B018  (SQLAlchemy parses a port such as "notaport" lazily on some paths)
        except (ArgumentError, ValueError):
            # Never the exception text: it can quote the URL, password included.
            raise HistoryError(
                f"{redact_url(self.url)!r} is not a database URL (check the scheme's '://' and that the port "
                "is a number); use e.g. sqlite:////path/history.sqlite or "
                "postgresql+psycopg://user:password@host:5432/dbname in EMUSE_DATABASE_URL"
            ) from None
        #: Where the database is, safe to show (no password).
        self.where = redact_url(parsed.render_as_string(hide_password=True))
        self._secrets = tuple(str(p) for p in (parsed.password,) if p)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and (parsed.database in (None, "", ":memory:") or "mode=memory" in self.url):
            # Each pooled connection would get its own empty in-memory database: rows would vanish.
            raise HistoryError(
                f"{self.where} is an in-memory SQLite database, which each connection sees empty; "
                "use a file, e.g. sqlite:////path/history.sqlite, or unset EMUSE_DATABASE_URL"
            )
        self.retries = retries
        self.max_wait_s = max_wait_s
        try:
            if self.is_sqlite:
                self._engine = sqlite_engine(self.url, busy_timeout_s)
            else:
                self._engine = create_engine(self.url, pool_pre_ping=True)
        except (NoSuchModuleError, ModuleNotFoundError) as exc:
            raise HistoryError(
                f"no database driver for {self.where} ({scrub(str(exc), self._secrets)}); for PostgreSQL "
                "install psycopg (pip install 'psycopg[binary]') and use a postgresql+psycopg:// URL"
            ) from None
        except (ArgumentError, ValueError, TypeError) as exc:
            raise HistoryError(
                f"{self.where} can't be used ({scrub(str(exc), self._secrets)}); check EMUSE_DATABASE_URL"
            ) from None
        self._ready = False
        self._ready_lock = threading.Lock()

    # -- plumbing -------------------------------------------------------------

    def _run(self, work: Callable[[Connection], T], *, write: bool, prepare: bool = True) -> T:
        """Run ``work`` in one short transaction, retrying while the database is busy."""
        if prepare:
            self.ensure_schema()
        delay = 0.05
        deadline = time.monotonic() + self.max_wait_s
        for attempt in range(self.retries + 1):
            try:
                with self._engine.connect() as conn:
                    if write:
                        conn.execution_options(emuse_write=True)
                    with conn.begin():
                        return work(conn)
            except DBAPIError as exc:
                if prepare and attempt == 0 and "no such table" in str(exc.orig).lower():
                    # The file was deleted or replaced under a running app: start a fresh schema.
                    self._ready = False
                    self.ensure_schema()
                    continue
                if is_busy(exc) and attempt < self.retries and time.monotonic() + delay < deadline:
                    log.info("history database busy, retrying in %.2fs", delay)
                    time.sleep(delay * random.uniform(0.5, 1.5))  # jitter: writers don't retry in lockstep
                    delay = min(delay * 2, 1.0)
                    continue
                raise explain(exc, self.where, self._secrets) from exc
            except SQLAlchemyError as exc:
                raise explain(exc, self.where, self._secrets) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def ensure_schema(self) -> None:
        """Create the tables or migrate them to the current version (once per store)."""
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            try:
                before, after = self._run(schema.upgrade, write=True, prepare=False)
            except ValueError as exc:  # a newer schema than we know
                raise HistoryError(str(exc)) from exc
            except HistoryError:
                # Another process may have created the tables at the same moment
                # (PostgreSQL has no BEGIN IMMEDIATE); if so, the schema is ready now.
                if self._run(schema.current_version, write=False, prepare=False) != schema.SCHEMA_VERSION:
                    raise
                before = after = schema.SCHEMA_VERSION
            if before != after:
                log.info("history database %s: schema %d -> %d", self.where, before, after)
            self._ready = True

    def schema_version(self) -> int:
        return self._run(schema.current_version, write=False)

    def dispose(self) -> None:
        """Close pooled connections (tests, or before moving the file)."""
        self._engine.dispose()

    # -- writing --------------------------------------------------------------

    def add_mood(self, session: str, source: str, mood: Mood, time: datetime | None = None) -> None:
        """Record one smoothed mood of ``session`` (now, unless ``time`` is given)."""
        self.add_moods([(session, source, mood, time)])

    def add_moods(self, rows: Iterable[tuple[str, str, Mood, datetime | None]]) -> int:
        """Record several moods in one transaction; returns how many."""
        values = [mood_values(*row) for row in rows]
        if not values:
            return 0
        self._run(lambda conn: conn.execute(schema.moods.insert(), values), write=True)
        return len(values)

    def add_song(
        self,
        session: str,
        emotion: str,
        track_id: str,
        name: str,
        artists: str | Sequence[str],
        url: str = "",
        event: str = "recommended",
        time: datetime | None = None,
    ) -> None:
        """Record that a song was recommended for (or played in) a mood."""
        self.add_songs([(session, emotion, track_id, name, artists, url, event, time)])

    def add_songs(
        self, rows: Iterable[tuple[str, str, str, str, str | Sequence[str], str, str, datetime | None]]
    ) -> int:
        """Record several songs (the arguments of :meth:`add_song`, in order) in one transaction."""
        values = [song_values(*row) for row in rows]
        if not values:
            return 0
        self._run(lambda conn: conn.execute(schema.songs.insert(), values), write=True)
        return len(values)

    def add_song_feedback(
        self,
        session: str,
        emotion: str,
        liked: bool,
        track_id: str,
        name: str,
        artists: str | Sequence[str],
        url: str = "",
        time: datetime | None = None,
    ) -> None:
        """Record a 👍 (``liked``) or 👎 on a song shown for ``emotion``."""
        values = song_feedback_values(session, emotion, liked, track_id, name, artists, url, time)
        self._run(lambda conn: conn.execute(schema.feedback.insert(), [values]), write=True)

    def add_correction(
        self, session: str, shown: str, corrected_to: str, scores: Sequence[float], time: datetime | None = None
    ) -> None:
        """Record "Not right? I'm ``corrected_to``" when eMuse showed ``shown``, with the classifier's scores."""
        values = correction_values(session, shown, corrected_to, scores, time)
        self._run(lambda conn: conn.execute(schema.feedback.insert(), [values]), write=True)

    def feedback(self, sessions: Sequence[str] | None = None) -> pd.DataFrame:
        """Feedback rows in time order (``FEEDBACK_COLUMNS``), optionally of ``sessions`` only."""
        query = filtered(
            select(*(schema.feedback.c[c] for c in FEEDBACK_COLUMNS)), schema.feedback, None, None, sessions
        )
        return self._frame(query, FEEDBACK_COLUMNS)

    def corrections(self, session: str) -> list[tuple[tuple[float, ...], str]]:
        """A session's corrections as ``(scores, the emotion the person named)``, oldest first."""
        frame = self.feedback([session])
        rows = frame[frame["feedback"] == "correction"]
        return [
            (tuple(float(row[c]) for c in schema.SCORE_COLUMNS), str(row["corrected_to"])) for _, row in rows.iterrows()
        ]

    def clear(self, sessions: Sequence[str] | None = None) -> tuple[int, int]:
        """Delete all rows (feedback too), or those of ``sessions``; returns ``(moods, songs)`` deleted."""

        def work(conn: Connection) -> tuple[int, int]:
            counts = []
            for table in (schema.moods, schema.songs, schema.feedback):
                statement = delete(table)
                if sessions is not None:
                    statement = statement.where(table.c.session.in_(list(sessions)))
                counts.append(conn.execute(statement).rowcount or 0)
            return counts[0], counts[1]

        return self._run(work, write=True)

    # -- reading --------------------------------------------------------------

    def counts(self) -> tuple[int, int]:
        """``(mood rows, song rows)`` in the whole database."""

        def work(conn: Connection) -> tuple[int, int]:
            n_moods = conn.execute(select(func.count()).select_from(schema.moods)).scalar_one()
            n_songs = conn.execute(select(func.count()).select_from(schema.songs)).scalar_one()
            return int(n_moods), int(n_songs)

        return self._run(work, write=False)

    def sessions(self) -> pd.DataFrame:
        """One row per session with any mood or song: ``session, source, first, last, moods, songs``.

        An aggregate query, so the page can offer its filters without loading every row.
        """

        def work(conn: Connection) -> tuple[list[Any], list[Any]]:
            m, s = schema.moods.c, schema.songs.c
            mood_rows = conn.execute(
                select(m.session, func.min(m.source), func.min(m.time), func.max(m.time), func.count()).group_by(
                    m.session
                )
            ).all()
            song_rows = conn.execute(
                select(s.session, func.min(s.time), func.max(s.time), func.count()).group_by(s.session)
            ).all()
            return mood_rows, song_rows

        mood_rows, song_rows = self._run(work, write=False)
        by_session: dict[str, dict[str, Any]] = {}
        for session, source, first, last, count in mood_rows:
            by_session[session] = {"source": source, "first": utc(first), "last": utc(last), "moods": count, "songs": 0}
        for session, first, last, count in song_rows:
            entry = by_session.setdefault(session, {"source": "", "first": utc(first), "last": utc(last), "moods": 0})
            entry.update(first=min(entry["first"], utc(first)), last=max(entry["last"], utc(last)), songs=count)
        frame = pd.DataFrame(
            [{"session": k, **v} for k, v in by_session.items()],
            columns=["session", "source", "first", "last", "moods", "songs"],
        )
        return frame.sort_values("first", ascending=False, ignore_index=True)

    def session_sources(self) -> pd.DataFrame:
        """One row per session and mood source: ``session, source, first, last, moods`` (times UTC).

        One browser session records live, snapshot and upload moods under the same
        session id; this says what each session held, so the page can name it
        ("Live, 14:02-14:05, 3 uploads") without loading its rows.
        """
        m = schema.moods.c
        query = select(m.session, m.source, func.min(m.time), func.max(m.time), func.count()).group_by(
            m.session, m.source
        )
        rows = self._run(lambda conn: conn.execute(query).all(), write=False)
        frame = pd.DataFrame(
            [(session, source, utc(first), utc(last), int(n)) for session, source, first, last, n in rows],
            columns=["session", "source", "first", "last", "moods"],
        )
        return frame.sort_values(["session", "first"], ignore_index=True)

    def moods(
        self, start: datetime | None = None, end: datetime | None = None, sessions: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Mood rows in time order (``time`` as UTC), optionally within ``[start, end)`` and ``sessions``."""
        query = filtered(select(*(schema.moods.c[c] for c in MOOD_COLUMNS)), schema.moods, start, end, sessions)
        return self._frame(query, MOOD_COLUMNS)

    def songs(
        self, start: datetime | None = None, end: datetime | None = None, sessions: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Song rows in time order, filtered like :meth:`moods`."""
        query = filtered(select(*(schema.songs.c[c] for c in SONG_COLUMNS)), schema.songs, start, end, sessions)
        return self._frame(query, SONG_COLUMNS)

    def _frame(self, query: Select, columns: Sequence[str]) -> pd.DataFrame:
        rows = self._run(lambda conn: conn.execute(query).all(), write=False)
        frame = pd.DataFrame([tuple(row) for row in rows], columns=list(columns))
        frame["time"] = pd.to_datetime(frame["time"], utc=True)  # naive SQLite values are UTC
        return frame

    def export_rows(self, batch: int = 1000) -> Iterator[dict[str, Any]]:
        """Every row, moods then songs then feedback, as dicts with :data:`schema.EXPORT_COLUMNS` keys that apply.

        Read in batches by id, one short transaction each, so exporting a large
        history never holds a lock for long or loads it all into memory.
        """
        tables = (
            ("mood", schema.moods, MOOD_COLUMNS),
            ("song", schema.songs, SONG_COLUMNS),
            ("feedback", schema.feedback, FEEDBACK_COLUMNS),
        )
        for kind, table, columns in tables:
            last_id = 0
            while True:
                query = (
                    select(*(table.c[c] for c in columns)).where(table.c.id > last_id).order_by(table.c.id).limit(batch)
                )
                rows = self._run(lambda conn, q=query: conn.execute(q).all(), write=False)
                if not rows:
                    break
                for row in rows:
                    record = dict(zip(columns, row, strict=True))
                    last_id = record.pop("id")
                    record["time"] = utc(record["time"]).isoformat()
                    if kind == "feedback" and record["feedback"] != "correction":
                        record = {k: v for k, v in record.items() if k not in schema.SCORE_COLUMNS}
                    yield {"kind": kind, **record}


def open_store(url: str | None = None, **kwargs: Any) -> HistoryStore:
    """A ready store (schema created or migrated), or a :class:`HistoryError` saying why not."""
    store = HistoryStore(url, **kwargs)
    store.ensure_schema()
    return store
