#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make test`: the core's user-space suites, fuzz and coverage; per test
# kernel the build, the modules with W=1, a KUnit boot (then QEMU's edu
# device behind an IOMMU) and an integration boot (edu without one), and
# on the first a 60 s soak; on the KCSAN kernel a KUnit boot and a
# 60 s soak; per Debian stock kernel the modules and an integration boot;
# DKMS; lint. One KTAP document, results.ktap in
# $OUT (build/test), parsed by kunit.py; the last line is its count,
# `N passed, N failed` (README.md, "One result format: KTAP").
# Environment: KVERS ("6.1 6.12"), KCSAN_KVERS ("6.12-kcsan"),
# DISTROS ("6.1 6.12 6.12-rt"),
# DKMS_DISTROS ("6.1 6.12"), FUZZ_TIME (30), KUNIT_SEED, BUDDY_CACHE.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=scripts/host-lib.sh
. "$HERE/host-lib.sh"
OUT=${OUT:-$ROOT/build/test}
KVERS=${KVERS:-6.1 6.12}
cd "$ROOT" || exit 1
mkdir -p "$OUT" && find "$OUT" -maxdepth 1 -type f -delete
"$HERE/deps.sh" || { echo "deps.sh failed"; echo "0 passed, 1 failed"; exit 1; }
ktap_start "$OUT/results.ktap"

make -s -C tests/core check > "$OUT/core.ktap" 2> "$OUT/core.err"
ktap_nest core "$OUT/core.ktap"
ktap_check "libFuzzer ${FUZZ_TIME:=30}s" "$OUT/fuzz.log" \
	make -s -C tests/core fuzz FUZZ_TIME="$FUZZ_TIME"
ktap_check "branch coverage of buddy_core.c at least 95%" \
	"$OUT/coverage.log" make -s -C tests/core coverage
grep '^branches:' "$OUT/coverage.log"

# test_kernel V - build test kernel V, then the modules with W=1 against
# it, one test each; set KDIR and M. Fails, so that V's boots are
# skipped, when either step does.
test_kernel() {
	KDIR=$(bash "$HERE/build-kernel.sh" "$1" 2> "$OUT/kernel-$1.log" | tail -n 1)
	ktap_check "build test kernel $1" "$OUT/kernel-$1.log" test -d "$KDIR" ||
		return 1
	M=$OUT/mod-$1
	ktap_check "modules with W=1 and no warnings on $1" "$M.out" \
		build_modules "$M" "$KDIR" W=1
}

for v in $KVERS; do
	test_kernel "$v" || continue
	# On q35 with QEMU's edu behind intel-iommu: after the suites, a pool
	# whose device addresses are I/O virtual addresses.
	ktap_boot "$OUT/kunit-$v" "$KDIR" tests/vm/kunit.sh --append page_poison=1 \
		"${EDU_IOMMU[@]}" "${REGIONS[@]}" --env EDU_REQUIRED=1 \
		${KUNIT_SEED:+--env KUNIT_SEED=$KUNIT_SEED} -- "$M/buddy.ko" \
		"$M/tests/kunit/buddy_kunit.ko" "$M/tests/client/buddy_client.ko" \
		"$M/tests/dma/buddy_edu_test.ko" tests/vm/edu.sh
	ktap_check "kunit-$v: no QEMU guest errors" "$OUT/kunit-$v.qemu" \
		no_guest_errors "$OUT/kunit-$v.log"
	# Both zeroing policies on, which Debian's stock boots do not do; edu
	# without an IOMMU, its 28-bit mask below the top of the 1 GiB of RAM.
	ktap_boot "$OUT/integration-$v" "$KDIR" tests/vm/integration.sh \
		--timeout 900 --env REQUIRE_DEBUG=1 "${EDU_DIRECT[@]}" "${REGIONS[@]}" \
		--env EDU_REQUIRED=1 \
		--append "init_on_alloc=1 init_on_free=1" -- "$M/buddy.ko" \
		"$M/tests/kunit/buddy_kunit.ko" "$M/tests/client/buddy_client.ko" \
		"$M/tests/dma/buddy_edu_test.ko" tests/vm/edu.sh \
		"$M/tests/user/buddy_user_test"
	ktap_check "integration-$v: no QEMU guest errors" \
		"$OUT/integration-$v.qemu" no_guest_errors "$OUT/integration-$v.log"
	if [ "$v" = "${KVERS%% *}" ]; then
		ktap_boot "$OUT/soak-$v" "$KDIR" tests/vm/soak.sh --smp 3 \
			--timeout 480 --env SOAK_SECONDS=60 --env REQUIRE_DEBUG=1 \
			--append page_poison=1 -- "$M/buddy.ko" \
			"$M/tests/soak/buddy_soak.ko"
		grep '# soak: ok' "$OUT/soak-$v.ktap"
	fi
done
# The data-race kernel: KCSAN (strict) where the others have KASAN, which
# cannot run beside it. Every KUnit suite on 2 CPUs, then 60 s of the soak
# on 3, with no CPU hotplug (see scripts/soak.sh). KCSAN starts off and
# kcsan_only (tests/vm/guest-lib.sh) turns it on once buddy.ko's
# whitelist is in, so a race of the kernel's own during boot is not met.
for v in ${KCSAN_KVERS-6.12-kcsan}; do
	test_kernel "$v" || continue
	ktap_boot "$OUT/kunit-$v" "$KDIR" tests/vm/kunit.sh --smp 2 \
		--timeout 1200 --append page_poison=1 \
		--append kcsan.early_enable=0 "${REGIONS[@]}" \
		${KUNIT_SEED:+--env KUNIT_SEED=$KUNIT_SEED} -- "$M/buddy.ko" \
		"$M/tests/kunit/buddy_kunit.ko" "$M/tests/client/buddy_client.ko"
	ktap_boot "$OUT/soak-$v" "$KDIR" tests/vm/soak.sh --smp 3 \
		--timeout 600 --env SOAK_SECONDS=60 --env REQUIRE_DEBUG=1 \
		--env SOAK_HOTPLUG=0 --append page_poison=1 \
		--append kcsan.early_enable=0 -- "$M/buddy.ko" \
		"$M/tests/soak/buddy_soak.ko"
	grep '# soak: ok' "$OUT/soak-$v.ktap"
done
for flavour in ${DISTROS:-6.1 6.12 6.12-rt}; do
	out=$(bash "$HERE/distro-kernel.sh" "$flavour" 2> "$OUT/distro-$flavour.err")
	ktap_check "fetch Debian stock kernel $flavour" "$OUT/distro-$flavour.err" \
		test -n "$out" || continue
	B=$OUT/distro-$flavour
	ktap_check "modules with W=1 against $(sed -n 1p <<< "$out")" "$B.out" \
		build_modules "$B" "$(sed -n 1p <<< "$out")" W=1 || continue
	ktap_boot "$OUT/distro-$flavour" "$(sed -n 2p <<< "$out")" \
		tests/vm/integration.sh --timeout 900 "${EDU_DIRECT[@]}" "${REGIONS[@]}" \
		--env EDU_REQUIRED=1 -- "$B/buddy.ko" \
		"$B/tests/client/buddy_client.ko" \
		"$B/tests/dma/buddy_edu_test.ko" tests/vm/edu.sh \
		"$B/tests/user/buddy_user_test"
	ktap_check "distro-$flavour: no QEMU guest errors" \
		"$OUT/distro-$flavour.qemu" no_guest_errors "$OUT/distro-$flavour.log"
done

for flavour in ${DKMS_DISTROS:-6.1 6.12}; do
	OUT=$OUT bash "$HERE/dkms.sh" test "$flavour" > "$OUT/dkms-$flavour.log" 2>&1
	ktap_nest "dkms-$flavour" "$OUT/dkms-$flavour/dkms.ktap"
done

# shellcheck disable=SC2086
bash "$HERE/lint.sh" $KVERS > "$OUT/lint.log" 2>&1
ktap_nest lint build/lint/lint.ktap
ktap_end
