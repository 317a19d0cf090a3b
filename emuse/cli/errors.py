"""The command line's one error type and its exit codes (documented in the README).

0 success, 1 partial failure (for example one playlist failed to sync, or a mood
was not recorded), 2 bad usage or bad input, 130 interrupted. Domain packages raise
their own errors (``MediaError``, ``PlaylistError`` …); the command modules turn
them into :class:`CliError` with the exit code that fits.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """An error to report as one line; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code
