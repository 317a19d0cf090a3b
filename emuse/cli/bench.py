"""``python -m emuse bench PATH``: time the per-frame pipeline on a video (see :mod:`emuse.vision.bench`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from emuse.cli.errors import EXIT_OK, CliError
from emuse.config import ConfigError
from emuse.vision.bench import run
from emuse.vision.classifier import EmotionClassifier
from emuse.vision.detect import DETECTORS, DetectorSettings, default_detector
from emuse.vision.frame_analysis import FrameAnalyzer
from emuse.vision.media import iter_media


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="time the per-frame pipeline on a video (decode excluded, warm-up excluded)",
        description="Decode a video's frames up front, then time detection, preprocessing, classification "
        "and smoothing on every frame. Medians and 95th percentiles; warm-up frames are not timed.",
    )
    parser.add_argument("path", type=Path, help="a video (or image, or folder of them)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--frames", type=int, default=300, help="use at most N frames (default 300)")
    parser.add_argument("--model", default=None, help="registered model name or folder (default: the default)")
    parser.add_argument(
        "--backend", choices=("auto", "tflite", "keras"), default="auto", help="classifier backend (default auto)"
    )
    parser.add_argument(
        "--full-scan-every",
        type=int,
        default=DetectorSettings.full_scan_every,
        help="scan the whole frame every N frames, tracking faces between (1 = no tracking)",
    )
    parser.add_argument(
        "--detector",
        choices=DETECTORS,
        default=None,
        help="face detector (default: EMUSE_DETECTOR, else blazeface; haar where LiteRT is missing)",
    )
    parser.add_argument("--warmup", type=int, default=10, help="untimed warm-up frames (default 10)")
    parser.set_defaults(handler=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    if args.frames < 1:
        raise CliError(f"--frames must be 1 or more, not {args.frames}")
    if args.warmup < 0:
        raise CliError(f"--warmup must be 0 or more, not {args.warmup}")
    try:
        kind = args.detector or default_detector()
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    try:
        settings = DetectorSettings(kind=kind, full_scan_every=args.full_scan_every)
    except ValueError as exc:
        raise CliError(f"--full-scan-every: {exc}") from None
    frames = [frame.image for frame in iter_media(args.path, args.frames)][: args.frames]
    classifier = EmotionClassifier(args.model, backend=args.backend)
    classifier.wait_ready()
    result = run(frames, lambda: FrameAnalyzer(classifier, settings), warmup=args.warmup)
    probe = FrameAnalyzer(classifier, settings).tracker
    summary = {
        "detector": probe.kind,
        "detector_note": probe.note,
        **result.summary(),
        "frame_size": list(frames[0].shape[1::-1]),
        "model": classifier.name,
        "backend": classifier.backend,
        "full_scan_every": settings.full_scan_every,
    }
    if args.json:
        print(json.dumps(summary), flush=True)
    else:
        ms = summary["ms_per_frame"]
        stages = ", ".join(f"{name} {value:.2f}" for name, value in summary["stages"].items())
        lines = [
            f"{summary['frames']} frames {summary['frame_size'][0]}x{summary['frame_size'][1]}, "
            f"{summary['faces_per_frame']:.2f} faces/frame, detector {probe.kind}, "
            f"model {classifier.name} ({classifier.backend})",
            *([probe.note] if probe.note else []),
            f"ms per frame: median {ms['median']:.2f}, p95 {ms['p95']:.2f}, mean {ms['mean']:.2f} "
            f"-> {summary['fps']:.0f} fps",
            f"stage medians (ms): {stages}",
            f"full detections: {summary['full_scans']} of {summary['frames']} frames (every "
            f"{settings.full_scan_interval:g} s of video or {settings.full_scan_every} frames, and when a face is "
            f"lost); warm-up: {summary['warmup_frames']} frames, not timed; decoding not timed",
        ]
        print("\n".join(lines), flush=True)
    return EXIT_OK
