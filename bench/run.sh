#!/bin/sh
# make bench: every benchmark, each against its peer in the same run.
set -eu
cd "$(dirname "$0")"
python3 bench-load.py
python3 bench-collect.py
# the TCP blackbox: goodput of 8 bulk connections with it on and off (issue 16)
sh tcptrace-cost.sh 3 3
../build/bench/collect-cost
python3 bench-stat.py
python3 bench-top.py
python3 bench-fingerprint.py
../build/bench/stats-power
python3 bench-build.py
python3 bench-lab.py
python3 bench-history.py
# bisection engine: accuracy and cost per cell (issue 6 targets)
../perflab bisect simulate --trials 1000
