#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make lint`: the style and static-analysis gates. checkpatch --strict
# and kernel-doc come from the test kernel's source tree; sparse (C=2) and
# W=1 builds run against each test kernel. One KTAP test a gate, in
# build/lint/lint.ktap; ends with `N passed, N failed`.
#
# Usage: lint.sh [KVER...]   (default: 6.1 6.12)
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=scripts/host-lib.sh
. "$HERE/host-lib.sh"
"$HERE/deps.sh"
cd "$ROOT" || exit 1
[ $# -gt 0 ] || set -- 6.1 6.12
OUT=$ROOT/build/lint
mkdir -p "$OUT" && rm -f "$OUT"/*.log
ktap_start "$OUT/lint.ktap"

C_SRCS=(buddy_mod.c buddy_pool.c buddy_alloc.c buddy_check.c buddy_fault.c
	buddy_dma.c buddy_region.c buddy_user.c buddy_core.c buddy_core.h buddy_debugfs.c buddy_internal.h buddy_compat.h include/buddy.h include/uapi/buddy.h
	tests/kunit/buddy_kunit.h tests/kunit/buddy_kunit_compat.h
	tests/kunit/buddy_kunit_main.c tests/kunit/buddy_kunit_helpers.c
	tests/kunit/core_kunit.c tests/kunit/pool_kunit.c
	tests/kunit/stress_kunit.c tests/kunit/debugfs_kunit.c
	tests/kunit/pcp_kunit.c tests/kunit/range_kunit.c
	tests/kunit/exact_kunit.c tests/kunit/grow_kunit.c
	tests/kunit/zero_kunit.c tests/kunit/kasan_kunit.c tests/kunit/dma_kunit.c
	tests/kunit/contig_kunit.c tests/kunit/user_kunit.c tests/buddy_test_mm.h
	tests/dma/buddy_edu_test.c tests/user/buddy_user_test.c tests/user/buddy_user_bench.c
	tests/client/buddy_client.c tests/bench/buddy_bench.c tests/soak/buddy_soak.c
	tests/core/core_test.c tests/core/core_test.h
	tests/core/core_test_geometry.c tests/core/core_test_alloc.c
	tests/core/core_test_stray.c tests/core/core_test_checker.c
	tests/core/core_test_range.c tests/core/core_test_zero.c
	tests/core/core_test_random.c tests/core/fuzz_core.c tests/core/bench_core.c
	tests/core/bench_fake.c tests/core/bench_fake.h
	tests/core/model.c tests/core/model.h tests/core/linux/*.h
	tests/vm/insmod.c tests/vm/dummy/vmdummy.c
	tests/vm/dummy/vmdummy_kunit.c tests/vm/dummy/vmdummy_kunit_fail.c)

# The core exports nothing, so the calls the buddy_core KUnit suite makes
# are exported together in buddy_mod.c, as lib/xz/xz_dec_syms.c does; of
# checkpatch's reports, only "should immediately follow its function" for
# exactly these lines is expected.
CORE_EXPORTS=(buddy_core_meta_size buddy_core_init buddy_core_order_for
	buddy_core_alloc buddy_core_block_order buddy_core_free buddy_core_check)
checkpatch() {
	local out

	out=$("$1/scripts/checkpatch.pl" --strict --no-tree --quiet \
		--show-types -f "${C_SRCS[@]}" 2>&1 |
		awk -v RS= -v ORS='\n\n' -v list="${CORE_EXPORTS[*]}" '
			BEGIN { n = split(list, l, " "); for (i = 1; i <= n; i++) ok[l[i]] = 1 }
			/^total: / { next }
			/^WARNING:EXPORT_SYMBOL:.*\n#[0-9]+: FILE: buddy_mod\.c:[0-9]+:\n\+EXPORT_SYMBOL_IF_KUNIT\([a-z_]+\);$/ {
				s = $0; sub(/.*\(/, "", s); sub(/\);$/, "", s)
				if (s in ok) next
			}
			{ print }')
	echo "$out"
	[ -z "$out" ]
}

kerneldoc() {
	local out

	out=$("$1/scripts/kernel-doc" -v -none buddy_mod.c buddy_pool.c \
		buddy_alloc.c buddy_check.c buddy_fault.c buddy_dma.c \
		buddy_region.c buddy_core.c buddy_core.h buddy_debugfs.c \
		buddy_internal.h include/buddy.h buddy_user.c include/uapi/buddy.h \
		2>&1 | grep -v ': info: ')
	echo "$out"
	[ -z "$out" ]
}

# Build everything with sparse on every file and W=1; any diagnostic fails.
strict_build() {
	local out dest=$OUT/modules-$2

	build_modules "$dest" "$1" C=2 W=1
	out=$(grep -vE '^\s+(CHECK|CC|LD|MODPOST|BTF)|Skipping BTF' \
		"$dest.log")
	echo "$out"
	[ -z "$out" ] && [ -f "$dest/buddy.ko" ]
}

ktap_check "shellcheck" "$OUT/shellcheck.log" shellcheck -x \
	scripts/*.sh .ci/run tests/vm/*.sh
# The log judge runs in the guest's busybox awk: it must parse there and
# name each report in a sample log (KCSAN's is a "BUG:" too, but kcsan).
ktap_check "judge.awk under busybox awk" "$OUT/judge.log" bash -c \
	"printf '<5>Linux version 1\n<4>BUG: KASAN: x\n<3>BUG: KCSAN: data-race in a / b\n' |
	busybox awk -f tests/vm/judge.awk > $OUT/judge.out &&
	grep -qx 'not ok 2 kasan' $OUT/judge.out &&
	grep -qx 'not ok 3 kcsan' $OUT/judge.out &&
	grep -qx 'ok 7 bug' $OUT/judge.out"

first=1
for v in "$@"; do
	KDIR=$(bash "$HERE/build-kernel.sh" "$v" | tail -1)
	if [ $first -eq 1 ]; then
		ktap_check "checkpatch --strict (0 errors, 0 warnings, 0 checks)" \
			"$OUT/checkpatch.log" checkpatch "$KDIR"
		ktap_check "kernel-doc -v -none" "$OUT/kernel-doc.log" \
			kerneldoc "$KDIR"
		first=0
	fi
	ktap_check "sparse (C=2) and W=1 on $v" "$OUT/build-$v.log" \
		strict_build "$KDIR" "$v"
done
ktap_end
