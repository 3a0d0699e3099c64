#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make test`: the user-space core suites, a short fuzz, branch coverage of
# the core, then for each test
# kernel (6.1 and 6.12) the KUnit suites and the in-VM integration checks
# under QEMU, and on the first of them a 60 s soak (tests/vm/soak.sh,
# 3 CPUs, with kmemleak; make soak runs it longer); then Debian's stock
# 6.1, 6.12 and 6.12-rt kernels: build
# against their headers, boot, and run the integration checks; then for
# stock 6.1 and 6.12 a DKMS build, install and modprobe (scripts/dkms.sh);
# then the lint gates. Ends with one line `N passed, N failed`.
#
# Environment: KVERS (default "6.1 6.12"), DISTROS (default "6.1 6.12
# 6.12-rt"), DKMS_DISTROS (default "6.1 6.12"), FUZZ_TIME (default 30),
# KUNIT_SEED (replays the seed the KUnit boots logged),
# BUDDY_CACHE (kernel build cache).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$HERE/lib.sh"
KVERS=${KVERS:-6.1 6.12}
FUZZ_TIME=${FUZZ_TIME:-30}
DISTROS=${DISTROS:-6.1 6.12 6.12-rt}
DKMS_DISTROS=${DKMS_DISTROS:-6.1 6.12}
OUT=${OUT:-$ROOT/build/test}
PASSED=0
FAILED=0

cd "$ROOT" || exit 1
mkdir -p "$OUT"

note() { printf '==> %s\n' "$*"; }
pass() { PASSED=$((PASSED + ${2:-1})); printf 'PASS %s\n' "$1"; }
fail() { FAILED=$((FAILED + ${2:-1})); printf 'FAIL %s\n' "$1"; }

# add_counts NAME LOG: take "N passed, M failed" from the last such line.
add_counts() {
	local line p f

	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -1)
	if [ -z "$line" ]; then
		fail "$1 (no result line, see $2)"
		return
	fi
	p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	printf '%s %s: %s\n' "$([ "$f" -eq 0 ] && echo PASS || echo FAIL)" \
		"$1" "$line"
}

"$HERE/deps.sh" || { echo "deps.sh failed"; echo "0 passed, 1 failed"; exit 1; }

note "user-space core tests"
make -s -C tests/core check > "$OUT/core.log" 2>&1
rc=$?
add_counts "core unit + differential tests" "$OUT/core.log"
[ $rc -eq 0 ] || fail "core tests exit status $rc (see $OUT/core.log)"

note "fuzzing the core for ${FUZZ_TIME}s"
if make -s -C tests/core fuzz FUZZ_TIME="$FUZZ_TIME" > "$OUT/fuzz.log" 2>&1
then
	pass "libFuzzer ${FUZZ_TIME}s"
else
	tail -20 "$OUT/fuzz.log"
	fail "libFuzzer (see $OUT/fuzz.log)"
fi

note "branch coverage of buddy_core.c (at least 95%)"
if make -s -C tests/core coverage > "$OUT/coverage.log" 2>&1; then
	pass "coverage: $(grep -E '^branches:' "$OUT/coverage.log")"
else
	tail -15 "$OUT/coverage.log"
	fail "coverage below 95% or failed (see $OUT/coverage.log)"
fi

# boot NAME KDIR SCRIPT FILES...: one QEMU run, counted by its checks.
boot() {
	local name=$1 kdir=$2 script=$3 log="$OUT/$1.log" kunit
	local ok fl

	shift 3
	note "$name"
	if bash "$HERE/qemu-run.sh" --quiet --log "$log" "$@" "$kdir" \
			"$script" "${FILES[@]}" > "$OUT/$name.out" 2>&1; then
		pass "$name boot (clean log)"
	else
		tail -15 "$OUT/$name.out"
		fail "$name boot (see $log)"
	fi
	ok=$(grep -c 'BUDDY-CHECK ok' "$log")
	fl=$(grep -c 'BUDDY-CHECK fail' "$log")
	PASSED=$((PASSED + ok))
	FAILED=$((FAILED + fl))
	printf '     %s: %d checks passed, %d failed\n' "$name" "$ok" "$fl"
	grep 'BUDDY-CHECK fail' "$log" | sed 's/^/     /'
	kunit=$(grep -E '^kunit: [0-9]+ passed' "$OUT/$name.out" | tail -1)
	if [ -n "$kunit" ]; then
		PASSED=$((PASSED + $(echo "$kunit" | sed -E 's/kunit: ([0-9]+) passed.*/\1/')))
		FAILED=$((FAILED + $(echo "$kunit" | sed -E 's/.*passed, ([0-9]+) failed.*/\1/')))
		printf '     %s\n' "$kunit"
	fi
}

for v in $KVERS; do
	note "test kernel $v"
	if ! KDIR=$(bash "$HERE/build-kernel.sh" "$v" | tail -1) ||
			[ ! -d "$KDIR" ]; then
		fail "build test kernel $v"
		continue
	fi
	pass "build test kernel $v"
	M=$OUT/mod-$v
	if build_modules "$M" "$KDIR" W=1; then
		pass "modules build with W=1 and no warnings on $v"
	else
		cat "$M.log"
		fail "modules build on $v"
		continue
	fi
	FILES=("$M/buddy.ko" "$M/tests/kunit/buddy_kunit.ko"
	       "$M/tests/client/buddy_client.ko")
	boot "kunit-$v" "$KDIR" tests/vm/kunit.sh --expect-kunit \
		--append page_poison=1 \
		${KUNIT_SEED:+--env KUNIT_SEED=$KUNIT_SEED}
	# Both zeroing policies on, which Debian's stock boots do not do.
	boot "integration-$v" "$KDIR" tests/vm/integration.sh --timeout 600 \
		--env REQUIRE_DEBUG=1 --append "init_on_alloc=1 init_on_free=1"
	if [ "$v" = "${KVERS%% *}" ]; then
		FILES=("$M/buddy.ko" "$M/tests/soak/buddy_soak.ko")
		boot "soak-$v" "$KDIR" tests/vm/soak.sh --smp 3 \
			--timeout 480 --env SOAK_SECONDS=60 --env REQUIRE_DEBUG=1 \
			--append page_poison=1
		grep -E 'soak: (ok|fail)' "$OUT/soak-$v.log" | tail -1 |
			sed -E 's/.*soak: /     /'
	fi
done

# Debian's stock kernels: build against their headers, boot them, insmod.
for flavour in $DISTROS; do
	note "Debian stock kernel $flavour"
	if ! out=$(bash "$HERE/distro-kernel.sh" "$flavour" 2> "$OUT/distro-$flavour.err"); then
		cat "$OUT/distro-$flavour.err"
		fail "fetch Debian kernel $flavour"
		continue
	fi
	HDRS=$(echo "$out" | sed -n 1p)
	DKDIR=$(echo "$out" | sed -n 2p)
	B=$OUT/distro-$flavour
	if build_modules "$B" "$HDRS" W=1; then
		pass "modules build with W=1 against $(basename "$HDRS")"
	else
		cat "$B.log"
		fail "modules build against $(basename "$HDRS")"
		continue
	fi
	FILES=("$B/buddy.ko" "$B/tests/client/buddy_client.ko")
	boot "distro-$flavour" "$DKDIR" tests/vm/integration.sh --timeout 600
done

# Packaging: DKMS in a throwaway tree, depmod -b, then modprobe in the
# booted stock kernel, with a parameter and with /etc/modprobe.d.
for flavour in $DKMS_DISTROS; do
	note "DKMS and modprobe on Debian stock kernel $flavour"
	OUT=$OUT bash "$HERE/dkms.sh" test "$flavour" > "$OUT/dkms-$flavour.log" 2>&1
	grep -E '^(FAIL|     )' "$OUT/dkms-$flavour.log"
	add_counts "DKMS and modprobe on $flavour" "$OUT/dkms-$flavour.log"
done

note "style and static checks (make lint)"
# shellcheck disable=SC2086
bash "$HERE/lint.sh" $KVERS > "$OUT/lint.log" 2>&1
grep -E '^(PASS|FAIL) ' "$OUT/lint.log"
PASSED=$((PASSED + $(grep -c '^PASS ' "$OUT/lint.log")))
FAILED=$((FAILED + $(grep -c '^FAIL ' "$OUT/lint.log")))
grep -q '^PASS ' "$OUT/lint.log" || fail "lint ran no gate (see $OUT/lint.log)"

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
