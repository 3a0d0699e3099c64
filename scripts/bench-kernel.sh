#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: compare buddy_alloc() with alloc_pages() and gen_pool on the
# same workloads, in one QEMU boot of Debian's stock 6.1 kernel (no debug
# options, unlike the test kernels). Under TCG only the ratios inside one
# boot mean anything.
#
# Usage: bench-kernel.sh [iters=N]     (environment: FLAVOUR=6.1|6.12|6.12-rt)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
FLAVOUR=${FLAVOUR:-6.1}
out=$(bash "$HERE/distro-kernel.sh" "$FLAVOUR")
HDRS=$(echo "$out" | sed -n 1p)
DKDIR=$(echo "$out" | sed -n 2p)
B=$ROOT/build/bench-$FLAVOUR
cd "$ROOT"
rm -rf "$B" && mkdir -p "$B"
cp -r Kbuild Makefile ./*.c ./*.h include tests "$B/"
make -s -C "$B" extra KDIR="$HDRS" > "$B.log" 2>&1 ||
	{ cat "$B.log"; exit 1; }
LOG=$B/console.log
bash "$HERE/qemu-run.sh" --quiet --log "$LOG" --env "BENCH_ARGS=${1:-}" \
	"$DKDIR" tests/vm/bench.sh "$B/buddy.ko" \
	"$B/tests/bench/buddy_bench.ko" > /dev/null
echo "bench-kernel: Debian $(basename "$HDRS" | sed 's/linux-headers-//'), QEMU TCG"
sed -n 's/.*\(buddy-bench: workload=.*\)/\1/p' "$LOG" | tee "$B/results.txt"
awk '{ split($2, w, "="); split($3, a, "="); split($4, n, "=");
       ns[w[2] "/" a[2]] = n[2]; wl[w[2]] = 1 }
     END { for (x in wl) if (ns[x "/buddy"] > 0)
		printf "bench-kernel: workload=%s alloc_pages/buddy=%.2f gen_pool/buddy=%.2f\n",
			x, ns[x "/alloc_pages"] / ns[x "/buddy"],
			ns[x "/gen_pool"] / ns[x "/buddy"] }' "$B/results.txt"
