"""Rebuild the seven starter playlists from data_moods.csv (the rule: emuse/music/starters.py, docs/music.md).

    python playlists/build_starters.py [--data ../shared/music/data_moods.csv] [--check]

``--check`` writes nothing and exits 1 when a committed CSV differs from what the rule gives.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emuse.music.starters import build, default_data_path
from emuse.music.store import PlaylistError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_path(), help="path to data_moods.csv")
    parser.add_argument("--out", type=Path, default=None, help="playlists folder (default: this one)")
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 when a file differs")
    args = parser.parse_args(argv)
    try:
        changed = build(args.data, args.out or Path(__file__).resolve().parent, check=args.check)
    except PlaylistError as exc:
        print(f"build_starters: error: {exc}", file=sys.stderr)
        return 2
    for emotion, differs in changed.items():
        state = ("differs" if args.check else "written") if differs else "unchanged"
        print(f"{emotion}: {state}")
    return 1 if args.check and any(changed.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
