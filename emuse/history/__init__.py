"""Mood history: what moods and songs a person had, kept in a database and charted.

- :mod:`.schema`: the tables, their version and forward migrations (portable SQLAlchemy Core).
- :mod:`.store`: :class:`~.store.HistoryStore`, reading and writing with retries; :class:`~.store.HistoryError`.
- :mod:`.recorder`: :class:`~.recorder.MoodRecorder`, the "row on change, heartbeat while it holds" policy.
- :mod:`.charts`: pandas/plotly figures for the Mood History page.
- :mod:`.cli`: ``python -m emuse history export|clear`` and the recorder for ``analyze --record``.
"""
