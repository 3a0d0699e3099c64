#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make soak MINUTES=N`: build the test kernel for KVER (default 6.1) and
# the modules with W=1, then boot QEMU with 3 CPUs and run
# tests/vm/soak.sh, which loads buddy_soak.ko for N minutes alongside
# debugfs readers, ctl writers, CPU hotplug and (where buddy.ko has it)
# fault injection. Ends with one line `N passed, N failed`: the guest's
# checks plus one for the build and one for a clean console log.
#
# Usage: soak.sh [MINUTES]   (default 10)
# Environment: KVER, SOAK_SEED (replay a run; the seed is in the log),
# SOAK_MEM (guest memory, default 1G; less makes 4 MiB chunks scarce),
# BUDDY_CACHE.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$HERE/lib.sh"
"$HERE/deps.sh"
MINUTES=${1:-10}
KVER=${KVER:-6.1}
OUT=$ROOT/build/soak
PASSED=0
FAILED=0

case "$MINUTES" in
''|*[!0-9]*|0) echo "soak: MINUTES must be a positive integer" >&2; exit 2 ;;
esac
SECS=$((MINUTES * 60))
cd "$ROOT" || exit 1
mkdir -p "$OUT"

finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
	exit
}

if ! KDIR=$(bash "$HERE/build-kernel.sh" "$KVER" | tail -1) ||
		[ ! -d "$KDIR" ]; then
	echo "FAIL build test kernel $KVER"
	FAILED=1
	finish
fi
if build_modules "$OUT/modules" "$KDIR" W=1; then
	PASSED=$((PASSED + 1))
	echo "PASS modules build with W=1 and no warnings on $KVER"
else
	cat "$OUT/modules.log"
	echo "FAIL modules build on $KVER"
	FAILED=1
	finish
fi

# Boot, the kernel's init and the checks after the soak take about a
# minute under TCG; a wind-down of up to two minutes is allowed on top.
LOG=$OUT/soak-$KVER.log
echo "==> soak for $MINUTES minute(s) on $KVER, console log $LOG"
ENVS=(--env SOAK_SECONDS="$SECS" --env REQUIRE_DEBUG=1)
[ -n "${SOAK_SEED:-}" ] && ENVS+=(--env SOAK_SEED="$SOAK_SEED")
if bash "$HERE/qemu-run.sh" --quiet --smp 3 --mem "${SOAK_MEM:-1G}" \
		--append page_poison=1 \
		--timeout $((SECS + 300)) \
		--log "$LOG" "${ENVS[@]}" "$KDIR" tests/vm/soak.sh \
		"$OUT/modules/buddy.ko" "$OUT/modules/tests/soak/buddy_soak.ko"; then
	PASSED=$((PASSED + 1))
	echo "PASS soak boot (clean log)"
else
	FAILED=$((FAILED + 1))
	echo "FAIL soak boot (see $LOG)"
fi
PASSED=$((PASSED + $(grep -c 'BUDDY-CHECK ok' "$LOG")))
FAILED=$((FAILED + $(grep -c 'BUDDY-CHECK fail' "$LOG")))
grep -E 'BUDDY-CHECK fail|buddy_soak: (result|ops|error)|soak: ' "$LOG" |
	sed -E 's/^\[ *[0-9.]+\] //'
finish
