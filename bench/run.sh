#!/bin/sh
# make bench: every benchmark, each against its peer in the same run.
set -eu
cd "$(dirname "$0")"
../build/bench/stats-power
python3 bench-load.py "$@"
python3 bench-fingerprint.py
python3 bench-stat.py "$@"
