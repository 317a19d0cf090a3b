"""The one place tests learn where the project is."""

from __future__ import annotations

from pathlib import Path

#: The repository root (the folder with Home.py).
ROOT = Path(__file__).resolve().parents[2]
