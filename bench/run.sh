#!/usr/bin/env bash
# `make bench`: builds are done by make; this runs the benchmark suite against a real server.
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/bench.py "$@"
