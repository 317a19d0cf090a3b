"""``python -m emuse history export|clear``, and the recorder behind ``analyze --record``.

Standard output carries only the exported rows, so ``history export > moods.csv``
gives a clean file; questions and summaries go to standard error.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys

from emuse.cli.errors import EXIT_OK, EXIT_PARTIAL, CliError
from emuse.history import export
from emuse.history.recorder import MoodRecorder, new_session_id
from emuse.history.store import HistoryError, HistoryStore, open_store


def _open() -> HistoryStore:
    try:
        return open_store()
    except HistoryError as exc:
        raise CliError(str(exc), EXIT_PARTIAL) from exc


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this domain's subcommands to ``python -m emuse``."""
    history = subparsers.add_parser("history", help="export or delete the recorded mood history")
    commands = history.add_subparsers(dest="history_command", required=True, parser_class=type(history))

    export = commands.add_parser("export", help="write every mood and song row to standard output")
    export.add_argument(
        "--format", choices=("csv", "json"), default="csv", help="CSV with a header (default) or JSON lines"
    )
    export.set_defaults(handler=cmd_export)

    clear = commands.add_parser("clear", help="delete the recorded history (asks first)")
    clear.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    clear.add_argument("--session", action="append", help="delete only this session (repeatable)")
    clear.set_defaults(handler=cmd_clear)


def cmd_export(args: argparse.Namespace) -> int:
    store = _open()
    writer = None
    if args.format == "csv":  # the page's download layout: rounded scores, the emotion column explained
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(export.headers())
    count = 0
    try:
        for row in store.export_rows():
            if writer is not None:
                writer.writerow(export.export_record(row))
            else:
                sys.stdout.write(json.dumps(row) + "\n")
            count += 1
    except HistoryError as exc:
        raise CliError(f"{exc} ({count} rows were written before the error)", EXIT_PARTIAL) from exc
    sys.stdout.flush()
    print(f"exported {count} rows from {store.where}", file=sys.stderr)
    return EXIT_OK


def cmd_clear(args: argparse.Namespace) -> int:
    store = _open()
    try:
        n_moods, n_songs = store.counts()
        what = f"sessions {', '.join(args.session)}" if args.session else f"all {n_moods} mood and {n_songs} song rows"
        if not args.yes:
            print(f"Delete {what} from {store.where}? This cannot be undone. [y/N] ", end="", file=sys.stderr)
            sys.stderr.flush()
            try:
                answer = input()
            except EOFError:  # nobody to ask (a pipe or a script): don't delete
                answer = ""
            if answer.strip().lower() not in ("y", "yes"):
                print("Nothing deleted (pass --yes to skip this question).", file=sys.stderr)
                return EXIT_PARTIAL
        deleted_moods, deleted_songs = store.clear(args.session)
    except HistoryError as exc:
        raise CliError(str(exc), EXIT_PARTIAL) from exc
    print(f"deleted {deleted_moods} mood rows and {deleted_songs} song rows", file=sys.stderr)
    return EXIT_OK


def cli_recorder() -> MoodRecorder:
    """The recorder for ``analyze --record``: a new ``cli-…`` session, source ``cli``.

    Opening the store first means a locked or damaged database stops the command
    before any analysis, with one clear line, instead of after it.
    """
    return MoodRecorder(_open(), new_session_id("cli"), "cli")


def report_recording(recorder: MoodRecorder) -> int:
    """Say what was recorded (on stderr); the exit status is 1 if any write failed."""
    print(f"recorded {recorder.written} mood rows as session {recorder.session_id}", file=sys.stderr)
    if recorder.failed:
        print(f"emuse: error: {recorder.failed} moods were not recorded: {recorder.last_error}", file=sys.stderr)
        return EXIT_PARTIAL
    return EXIT_OK
