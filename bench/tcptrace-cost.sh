#!/bin/sh
# What the tcptrace recorder costs a workload: goodput of a bulk transfer
# with 8 connections on loopback, with the recorder on and off, in ABBA
# order, ROUNDS rounds of SECS seconds each. Prints each run and the
# ratio of the medians (on / off). Run it under `flock -x /work/cpu.lock`.
#
#   make perflab build/bench/tcptrace-rec
#   flock -x /work/cpu.lock bench/tcptrace-cost.sh [ROUNDS [SECS [RECORDER_ARGS...]]]
#
# RECORDER_ARGS go after the port (e.g. "diag"); with them the bench
# recorder (build/bench/tcptrace-rec) runs. Without, the recorder is
# started the way a run starts it: `perflab collect --collectors tcptrace
# --tcp-ports PORT` (what `make bench` measures). Ends with a line saying
# whether the ratio meets issue 16's bar, on >= 0.97 x off.
set -e
cd "$(dirname "$0")/.."
ROUNDS=${1:-4}
SECS=${2:-5}
[ $# -ge 2 ] && shift 2 || shift $#
RECARGS="$*"
PERFLAB=./perflab
REC=build/bench/tcptrace-rec
TMP=$(mktemp -d /tmp/tt-cost.XXXXXX)
PORT=$((20000 + $$ % 20000))
trap 'kill $SRV 2>/dev/null; rm -rf "$TMP"' EXIT

$PERFLAB load server --port $PORT >/dev/null 2>&1 &
SRV=$!
sleep 0.5

run() {	# run MODE N -> goodput in bit/s on stdout
	if [ "$1" = on ] && [ -n "$RECARGS" ]; then
		$REC "$TMP/trace.$2" $PORT $RECARGS 2>/dev/null >"$TMP/rec.$2" &
		R=$!
		sleep 0.3
	elif [ "$1" = on ]; then
		mkdir -p "$TMP/c.$2"
		$PERFLAB collect --collectors tcptrace --tcp-ports $PORT -o "$TMP/c.$2" \
			>/dev/null 2>"$TMP/rec.$2" &
		R=$!
		sleep 0.3
	fi
	g=$($PERFLAB load client --port $PORT -P 8 -t "$SECS" 2>/dev/null |
	    sed -n 's/.*"goodput_bps":\([0-9.e+]*\).*"type":"summary".*/\1/p')
	if [ "$1" = on ]; then
		kill -INT $R
		wait $R
		[ -f "$TMP/c.$2/tcptrace.ndjson" ] && tail -n 1 "$TMP/c.$2/tcptrace.ndjson" >"$TMP/rec.$2"
		rm -rf "$TMP/trace.$2" "$TMP/c.$2"
	fi
	echo "$g"
}

i=0
r=0
: >"$TMP/off"
: >"$TMP/on"
while [ $r -lt "$ROUNDS" ]; do
	for m in off on on off; do
		g=$(run $m $i)
		echo "$m $g"
		echo "$g" >>"$TMP/$m"
		i=$((i + 1))
	done
	r=$((r + 1))
done
cat "$TMP"/rec.* 2>/dev/null | tail -n 2
med() { sort -g "$1" | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
off=$(med "$TMP/off")
on=$(med "$TMP/on")
echo "median off $off on $on ratio $(echo "$on $off" | awk '{printf "%.4f", $1/$2}')"
# Hodges-Lehmann: the median of every on/off ratio, robust to a noisy run
for a in $(cat "$TMP/on"); do
	for b in $(cat "$TMP/off"); do
		echo "$a $b" | awk '{printf "%.6f\n", $1/$2}'
	done
done >"$TMP/ratios"
echo "hodges-lehmann ratio $(med "$TMP/ratios") over $(wc -l <"$TMP/on") runs a side"
hl=$(med "$TMP/ratios")
echo "tcptrace cost: goodput on/off $hl (Hodges-Lehmann), bar 0.97: $(echo "$hl" |
	awk '{print ($1 >= 0.97) ? "met" : "NOT met"}')"
