#!/bin/sh
# The benchmark's own environment: the app's packages plus the peers it is compared with.
# `fer` is installed with --no-deps (its declared dependencies pull in torch, moviepy and
# opencv-contrib); everything it really imports is already in the app's environment except
# tqdm. ai-edge-litert is optional for the app; here it lets the benchmark run LiteRT.
# The app's site-packages are linked in with a .pth file, so nothing is installed twice and
# nothing lands in the app's environment.
set -eu
cd "$(dirname "$0")/.."
APP_PY=.venv/bin/python
[ -x "$APP_PY" ] || { echo "create the app environment first: python3.11 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt" >&2; exit 2; }
BASE=$("$APP_PY" -c 'import sys; print(sys._base_executable)')
SITE=$("$APP_PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
"$BASE" -m venv benchmarks/.venv
BENCH_SITE=$(benchmarks/.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$SITE" > "$BENCH_SITE/_emuse_app.pth"
benchmarks/.venv/bin/pip install --quiet --no-deps fer==25.10.3 tqdm==4.70.1 ai-edge-litert==2.3.0
benchmarks/.venv/bin/python -c "from fer.fer import FER; print('benchmark environment ready')"
