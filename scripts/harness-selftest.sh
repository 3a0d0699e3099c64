#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Prove the VM harness: boot tests/vm/selftest.sh once per case with the
# modules from tests/vm/dummy and check that scripts/qemu-run.sh exits
# with the expected status and that check-log.py names exactly the
# expected reasons (none for the clean run).
#
# Usage: harness-selftest.sh [--kver VER | --kdir KDIR] [--out DIR] [CASE...]
#
#   --kver VER   test kernel to build or reuse with build-kernel.sh
#                (default 6.1)
#   --kdir KDIR  use this built kernel tree instead
#   --out DIR    keep logs here (default: a temp dir, removed on success)
#   CASE...      run only these cases (default: all; see CASES below)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$HERE/lib.sh"
"$HERE/deps.sh"

KVER=6.1
KDIR=
OUT=
while [ $# -gt 0 ]; do
	case "$1" in
	--kver) KVER=${2:?}; shift 2 ;;
	--kdir) KDIR=${2:?}; shift 2 ;;
	--out) OUT=${2:?}; shift 2 ;;
	-h|--help) sed -n '3,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
	-*) echo "harness: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ -z "$KDIR" ]; then
	KDIR=$("$HERE/build-kernel.sh" "$KVER" | tail -n 1)
fi
KDIR=$(cd "$KDIR" && pwd)

# name|selftest mode|qemu-run options|exit status|reasons|optional reasons
# Reasons are check-log.py's, sorted; the run must report all of them
# and nothing else but the optional ones. KASAN sees the NULL
# dereference in "oops" on 6.1 (outline) but not on 6.12 (a GPF first).
CASES=(
	"clean|clean|--expect-kunit|0||"
	"interleave|interleave|--expect-kunit|0||"
	"warn|warn||1|warning|"
	"warn-missing|warn-missing||1|window|"
	"warn-extra|warn-extra||1|window|"
	"warn-unclosed|warn-unclosed||1|window|"
	"lockdep-in-window|lockdep-in-window||1|lockdep|"
	"kasan|kasan||1|kasan|"
	"ubsan|ubsan||1|ubsan|"
	"lockdep|lockdep||1|lockdep|"
	"atomic|atomic||1|atomic|"
	"oops|oops||1|oops|kasan"
	"oops-panic|oops|--append oops=panic|1|marker oops panic|kasan"
	"leak|leak||1|check kmemleak rc|"
	"kunit-fail|kunit-fail||1|kunit|"
	"kunit-none|kunit-none|--expect-kunit|1|kunit|"
	"check-fail|check-fail||1|check rc|"
	"rc|rc||1|rc|"
	"hang|hang|--timeout 60|124|marker|"
	"client-use-after-free|client-use-after-free|--append kasan_multi_shot|1|kasan|"
	"client-overflow|client-overflow|--append kasan_multi_shot|1|kasan|"
	"client-wild|client-wild|--append kasan_multi_shot|1|kasan|"
)

# A bad access by a client of buddy.ko must give exactly one KASAN report,
# of this kind, in the client's function (multi-shot would show a second).
declare -A REPORT=(
	[client-use-after-free]='use-after-free in use_after_free\+.*\[buddy_client\]'
	[client-overflow]='slab-out-of-bounds in overflow\+.*\[buddy_client\]'
	[client-wild]='use-after-free in wild\+.*\[buddy_client\]'
)

KEEP=1
if [ -z "$OUT" ]; then
	OUT=$(mktemp -d "${TMPDIR:-/tmp}/harness.XXXXXX")
	KEEP=0
fi
mkdir -p "$OUT"

# Build the dummy modules outside the source tree, per kernel.
mkdir -p "$OUT/dummy"
cp "$ROOT"/tests/vm/dummy/{Kbuild,*.c} "$OUT/dummy/"
make -s -C "$KDIR" M="$OUT/dummy" modules > "$OUT/dummy/build.log" 2>&1 ||
	{ cat "$OUT/dummy/build.log" >&2; exit 1; }
KOS=("$OUT"/dummy/*.ko)
# And buddy.ko with its example client, for the client-* cases.
build_modules "$OUT/buddy" "$KDIR" || { cat "$OUT/buddy.log" >&2; exit 1; }
KOS+=("$OUT/buddy/buddy.ko" "$OUT/buddy/tests/client/buddy_client.ko")

passed=0
failed=0
for c in "${CASES[@]}"; do
	IFS='|' read -r name mode opts want_rc want_reasons optional <<< "$c"
	if [ $# -gt 0 ]; then
		case " $* " in *" $name "*) ;; *) continue ;; esac
	fi
	# shellcheck disable=SC2206 # opts is a word list by design
	extra=($opts)
	start=$(date +%s)
	set +e
	"$HERE/qemu-run.sh" --quiet --log "$OUT/$name.log" "${extra[@]}" \
		--env "SELFTEST=$mode" "$KDIR" "$ROOT/tests/vm/selftest.sh" \
		"${KOS[@]}" > "$OUT/$name.out" 2>&1
	rc=$?
	set -e
	secs=$(( $(date +%s) - start ))
	reasons=$(sed -n 's/^check-log: FAIL \[\([a-z]*\)\].*/\1/p' \
		"$OUT/$name.out" | sort -u | xargs)
	required=$reasons
	for o in $optional; do
		required=$(echo " $required " | sed "s/ $o / /" | xargs)
	done
	report=ok
	if [ -n "${REPORT[$name]:-}" ]; then
		n=$(grep -c 'BUG: KASAN:' "$OUT/$name.log" || true)
		if [ "$n" != 1 ] ||
			! grep 'BUG: KASAN:' "$OUT/$name.log" |
				grep -qE "${REPORT[$name]}"; then
			report="want one report matching ${REPORT[$name]}, got $n:"
			report+=" $(grep 'BUG: KASAN:' "$OUT/$name.log" | head -3)"
		fi
	fi
	if [ "$rc" = "$want_rc" ] && [ "$required" = "$want_reasons" ] &&
		[ "$report" = ok ]; then
		echo "harness: ok   $name (${secs}s) rc=$rc reasons: ${reasons:--}"
		passed=$((passed + 1))
	else
		echo "harness: FAIL $name (${secs}s) rc=$rc (want $want_rc)" \
			"reasons: ${reasons:--} (want ${want_reasons:--}" \
			"${optional:+and maybe $optional})"
		[ "$report" = ok ] || echo "    $report"
		sed 's/^/    /' "$OUT/$name.out" | tail -n 30
		failed=$((failed + 1))
	fi
done

echo "harness ($KDIR):"
echo "harness: $passed passed, $failed failed"
if [ $failed -ne 0 ] || [ $KEEP -eq 1 ]; then
	echo "harness: logs in $OUT"
else
	rm -rf "$OUT"
fi
[ $failed -eq 0 ]
