"""``python -m emuse analyze PATH``: faces, emotions and the smoothed mood of an image, video or folder."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from emuse.cli.errors import EXIT_OK, EXIT_PARTIAL
from emuse.cli.history import cli_recorder, report_recording
from emuse.vision.classifier import EmotionClassifier
from emuse.vision.frame_analysis import FrameAnalyzer
from emuse.vision.media import MediaError, iter_media


def register(subparsers: Any) -> None:
    analyze = subparsers.add_parser("analyze", help="detect faces and emotions in an image, video or folder")
    analyze.add_argument("path", type=Path)
    analyze.add_argument("--json", action="store_true", help="one JSON object per image or video frame")
    analyze.add_argument(
        "--model", default=None, help="registered model name or folder (default: the registry default)"
    )
    analyze.add_argument("--max-frames", type=int, default=None, help="stop each video after N frames")
    analyze.add_argument("--record", action="store_true", help="save the smoothed moods to the mood history")
    analyze.set_defaults(handler=cmd_analyze)


def cmd_analyze(args: argparse.Namespace) -> int:
    """Exit 0, or 1 when some files of a folder could not be read (each is reported; the rest are analysed)."""
    # Open the history first: a locked database stops us before the slow part.
    recorder = cli_recorder() if args.record else None
    classifier = EmotionClassifier(args.model)
    analyzer: FrameAnalyzer | None = None
    current_source = None
    unreadable: list[MediaError] = []

    def report(exc: MediaError) -> None:  # one line per file that can't be read; the folder run goes on
        unreadable.append(exc)
        print(f"emuse: error: {exc}", file=sys.stderr, flush=True)

    for frame in iter_media(args.path, args.max_frames, on_error=report):
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
    status = report_recording(recorder) if recorder is not None else EXIT_OK
    if unreadable:
        print(f"emuse: {len(unreadable)} file(s) could not be analysed (see above)", file=sys.stderr)
        return EXIT_PARTIAL
    return status
