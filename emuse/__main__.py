"""``python -m emuse``: the command line (see :mod:`emuse.cli`)."""

from emuse.cli import main

raise SystemExit(main())
