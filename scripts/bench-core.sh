#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark buddy_core.c (built -O2, no sanitizers) on the workloads that
# tests/core/bench_core.c describes and print, for each, one line:
#
#   bench-core: workload=NAME ns_per_pair=X instr_per_pair=Y
#
# ns_per_pair is the median of 5 timed runs of the measured loop (see
# tests/core/bench_core.c). instr_per_pair comes from callgrind: the same
# binary runs N and 2N steps, and (Ir(2N) - Ir(N)) / N cancels the setup.
# The fill workload grows its range with its step count, so there the
# difference also carries the (tiny) cost of clearing N more blocks of
# metadata at init.
#
# Usage: scripts/bench-core.sh [path/to/bench_core]
# (without an argument it builds one with make -C tests/core bench-bin)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)

BIN=${1:-}
if [ -z "$BIN" ]; then
	make -s -C "$ROOT/tests/core" bench-bin
	BIN=$ROOT/tests/core/build/bench_core
fi

# Instructions executed by one run of WORKLOAD for STEPS steps.
ir() {
	local out
	out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		"$BIN" "$1" "$2" once 2>&1) || {
		echo "$out" >&2
		return 1
	}
	echo "$out" | awk '/Collected :/ { print $NF }'
}

# workload, timed steps, callgrind N
WORKLOADS=(
	"steady 2000000 100000"
	"steady-harness 2000000 100000"
	"cycle 5000000 100000"
	"fill 4194304 65536"
	"range 100000 20000"
	"range-topdown 100000 20000"
	"range-aligned 100000 20000"
	"exact 1000000 100000"
	"chunk 2000000 200000"
)

for w in "${WORKLOADS[@]}"; do
	read -r name steps n <<<"$w"
	ns=$("$BIN" "$name" "$steps" time)
	ns=${ns#ns_per_pair=}
	ir1=$(ir "$name" "$n")
	ir2=$(ir "$name" $((2 * n)))
	instr=$(awk -v a="$ir1" -v b="$ir2" -v n="$n" \
		'BEGIN { printf "%.1f", (b - a) / n }')
	echo "bench-core: workload=$name ns_per_pair=$ns instr_per_pair=$instr"
done
