"""Command-line subcommands of the training domain."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this domain's subcommands to ``python -m emuse``."""
