"""``python -m emuse``: analyse media, and the commands each domain adds.

Exit status (documented in the README): 0 success, 1 partial failure (for example
one playlist failed to sync), 2 bad usage or bad input. Errors are one line on
stderr; ``--debug`` shows the traceback too. Standard output carries only results.

Each domain registers its own subcommands through a ``register(subparsers)``
function, so this file stays a thin dispatcher.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from emuse import quiet  # noqa: F401  (quiets TensorFlow and OpenCV before they load)

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2

#: Modules that add subcommands; each has ``register(subparsers) -> None``.
COMMAND_MODULES = ("emuse.music.cli", "emuse.history.cli", "emuse.training.cli", "emuse.vision.bench")


class CliError(Exception):
    """An error to report as one line; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, status 2, like every other bad input
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m emuse", description="eMuse: emotion recognition and mood music")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    analyze = sub.add_parser("analyze", help="detect faces and emotions in an image, video or folder")
    analyze.add_argument("path", type=Path)
    analyze.add_argument("--json", action="store_true", help="one JSON object per image or video frame")
    analyze.add_argument(
        "--model", default=None, help="registered model name or folder (default: the registry default)"
    )
    analyze.add_argument("--max-frames", type=int, default=None, help="stop each video after N frames")
    analyze.add_argument("--record", action="store_true", help="save the smoothed moods to the mood history")
    analyze.set_defaults(handler=cmd_analyze)

    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(sub)
    return parser


def cmd_analyze(args: argparse.Namespace) -> int:
    from emuse.vision.classifier import EmotionClassifier
    from emuse.vision.media import iter_media
    from emuse.vision.pipeline import FrameAnalyzer

    recorder = None
    if args.record:  # open the history first: a locked database stops us before the slow part
        from emuse.history.cli import cli_recorder

        recorder = cli_recorder()
    classifier = EmotionClassifier(args.model)
    analyzer: FrameAnalyzer | None = None
    current_source = None
    for frame in iter_media(args.path, args.max_frames):
        if frame.source != current_source:  # a new file starts a new smoothed mood
            analyzer, current_source = FrameAnalyzer(classifier), frame.source
            if recorder is not None:
                recorder.reset()
        assert analyzer is not None
        result = analyzer.analyze(frame.image, now=frame.t)
        if recorder is not None:
            recorder.observe(result.mood)
        if args.json:
            record = {
                "source": frame.source,
                "frame": frame.index,
                "t": frame.t,
                "faces": [f.as_dict() for f in result.faces],
            }
            print(json.dumps(record), flush=True)
        else:
            faces = ", ".join(f"{f.emotion} {f.confidence:.0%} at {list(f.box)}" for f in result.faces) or "no face"
            mood = f" | mood: {result.mood.label}" if result.mood else ""
            print(f"{frame.source} #{frame.index} t={frame.t:.2f}s: {faces}{mood}", flush=True)
    if recorder is not None:
        from emuse.history.cli import report_recording

        return report_recording(recorder)
    return EXIT_OK


def _known_errors() -> tuple[type[BaseException], ...]:
    from emuse.config import ConfigError
    from emuse.registry import ModelError
    from emuse.vision.media import MediaError

    return (CliError, ConfigError, ModelError, MediaError)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except _known_errors() as exc:
        if args.debug:
            traceback.print_exc()
        print(f"emuse: error: {exc}", file=sys.stderr)
        return getattr(exc, "code", EXIT_USAGE)
    except KeyboardInterrupt:
        print("emuse: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `python -m emuse analyze x --json | head`
        return EXIT_OK
    except Exception as exc:  # last resort: still one line, never a traceback without --debug
        if args.debug:
            traceback.print_exc()
        print(f"emuse: error: {type(exc).__name__}: {exc} (run with --debug for details)", file=sys.stderr)
        return EXIT_PARTIAL
