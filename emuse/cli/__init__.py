"""``python -m emuse``: analyse media, benchmark, and each domain's commands.

Exit status: see :mod:`emuse.cli.errors`. Errors are one line on stderr; ``--debug``
shows the traceback too. Standard output carries only results.

Each command module has ``register(subparsers)``; :data:`COMMANDS` lists them in
the order ``--help`` shows them. Domain packages never import this package: the
dependency points one way, from the command line to the domains.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from types import ModuleType

from emuse import quiet  # noqa: F401  (quiets TensorFlow and OpenCV before they load)
from emuse.cli import analyze, bench, history, music, training
from emuse.cli.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, CliError
from emuse.config import ConfigError
from emuse.registry import ModelError
from emuse.vision.media import MediaError

#: The command modules, each with ``register(subparsers) -> None``.
COMMANDS: tuple[ModuleType, ...] = (analyze, music, history, training, bench)

#: Errors reported as one line with their own exit code (``CliError.code``) or 2.
KNOWN_ERRORS: tuple[type[BaseException], ...] = (CliError, ConfigError, ModelError, MediaError)


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line and exit status 2, like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m emuse", description="eMuse: emotion recognition and mood music")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except KNOWN_ERRORS as exc:
        if args.debug:
            traceback.print_exc()
        print(f"emuse: error: {exc}", file=sys.stderr)
        return getattr(exc, "code", EXIT_USAGE)
    except KeyboardInterrupt:
        print("emuse: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `python -m emuse analyze x --json | head`
        return EXIT_OK
    except Exception as exc:  # last resort: still one line, never a traceback without --debug
        if args.debug:
            traceback.print_exc()
        print(f"emuse: error: {type(exc).__name__}: {exc} (run with --debug for details)", file=sys.stderr)
        return EXIT_PARTIAL
