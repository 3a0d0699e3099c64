#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Prove the VM harness: boot tests/vm/selftest.sh once per case with the
# modules from tests/vm/dummy (and buddy.ko with its client) and check
# that qemu-run.sh exits as expected and that the boot's KTAP fails for
# exactly the expected reasons: judge.awk's names for kernel reports,
# "check" for a failed check of the script, "rc" for its exit status,
# "kunit" for a failed KUnit case, "incomplete" when the document is
# cut short, "lost" when a result line is missing (a gap in a subtest's
# numbers, or fewer results than its plan). One KTAP test a case, in the
# --out directory.
#
# Usage: harness-selftest.sh [--kver VER | --kdir KDIR] [--out DIR] [CASE...]
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=scripts/host-lib.sh
. "$HERE/host-lib.sh"
"$HERE/deps.sh" || exit 1
KVER=6.1 KDIR="" OUT=$ROOT/build/harness
while [ $# -gt 0 ]; do
	case "$1" in
	--kver) KVER=${2:?}; shift 2 ;;
	--kdir) KDIR=${2:?}; shift 2 ;;
	--out) OUT=${2:?}; shift 2 ;;
	-*) sed -n '3,/^set -uo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 2 ;;
	*) break ;;
	esac
done
KDIR=$(cd "${KDIR:-$("$HERE/build-kernel.sh" "$KVER" | tail -n 1)}" && pwd) || exit 1

# The flood case's checks, and how often among them the guest runs the
# vmdummy KUnit suite.
FLOOD_CHECKS=200 FLOOD_EVERY=50

# name|qemu-run options|exit status|reasons|optional reasons. KASAN sees
# the NULL dereference in "oops" on 6.1 (outline) but not on 6.12 (a GPF
# first); kmemleak's own scan may report the "leak" case's leak too.
CASES=(
	"clean||0||" "interleave||0||"
	"flood|--env FLOOD_CHECKS=$FLOOD_CHECKS --env FLOOD_EVERY=$FLOOD_EVERY|0||"
	"warn||1|warning|"
	"warn-missing||1|window|" "warn-extra||1|window|"
	"warn-unclosed||1|window|" "lockdep-in-window||1|lockdep|"
	"kasan||1|kasan|" "ubsan||1|ubsan|" "lockdep||1|lockdep|"
	"atomic||1|atomic|" "oops||1|oops|kasan"
	"oops-panic|--append oops=panic|1|incomplete|"
	"pagealloc-uaf||1|oops|" "page-poison|--append page_poison=1|1|bug|"
	"leak||1|check rc|kmemleak" "kunit-fail||1|kunit|"
	"kunit-none||1|check rc|" "check-fail||1|check rc|" "rc||1|rc|"
	"hang|--timeout 60|124|incomplete|"
	"client-use-after-free|--append kasan_multi_shot|1|kasan|"
	"client-overflow|--append kasan_multi_shot|1|kasan|"
	"client-wild|--append kasan_multi_shot|1|kasan|"
	"kcsan||1|kcsan|"
)
# Cases that need another test kernel than --kver's.
declare -A CASE_KVER=([kcsan]=6.12-kcsan)
# A bad access by a client of buddy.ko must give exactly one KASAN report,
# of this kind, in the client's function (multi-shot would show a second).
declare -A REPORT=(
	[client-use-after-free]='use-after-free in use_after_free\+.*\[buddy_client\]'
	[client-overflow]='slab-out-of-bounds in overflow\+.*\[buddy_client\]'
	[client-wild]='use-after-free in wild\+.*\[buddy_client\]'
)


# reasons DOC - why a boot's document failed, sorted.
reasons() {
	{
		ktap_whole "$1" || echo incomplete
		! ktap_lost "$1" || echo lost
		awk '/^        # Subtest: / { suite[$3] = 1 }
			/^    # Subtest: kernel$/ { kernel = 1 }
			/^        +not ok / { print "kunit" }
			/^    not ok / && !($4 in suite) {
				print kernel ? $4 : /exit status 0$/ ? "rc" : "check"
			}' "$1"
	} | sort -u | xargs
}

# modules DIR KDIR - the dummy modules, buddy.ko and its client for KDIR,
# built in DIR, listed one a line.
modules() {
	mkdir -p "$1/dummy" && cp "$ROOT"/tests/vm/dummy/{Kbuild,*.c} "$1/dummy/"
	if ! make -s -C "$2" M="$1/dummy" modules > "$1/dummy.log" 2>&1 ||
			! build_modules "$1/buddy" "$2"; then
		cat "$1/dummy.log" >&2
		return 1
	fi
	printf '%s\n' "$1"/dummy/*.ko "$1/buddy/buddy.ko" \
		"$1/buddy/tests/client/buddy_client.ko"
}

mapfile -t KOS < <(modules "$OUT" "$KDIR")
[ ${#KOS[@]} -gt 0 ] || exit 1
ktap_start "$OUT/harness.ktap"
for c in "${CASES[@]}"; do
	IFS='|' read -r name opts want_rc want optional <<< "$c"
	[ $# -eq 0 ] || [[ " $* " == *" $name "* ]] || continue
	kdir=$KDIR kos=("${KOS[@]}")
	if [ -n "${CASE_KVER[$name]:-}" ]; then
		kdir=$("$HERE/build-kernel.sh" "${CASE_KVER[$name]}" | tail -n 1)
		mapfile -t kos < <(modules "$OUT/${CASE_KVER[$name]}" "$kdir")
	fi
	# shellcheck disable=SC2086 # opts is a word list by design
	bash "$HERE/qemu-run.sh" --quiet --log "$OUT/$name.log" $opts \
		--env "SELFTEST=$name" "$kdir" "$ROOT/tests/vm/selftest.sh" \
		"${kos[@]}" 2> "$OUT/$name.err"
	rc=$? got=$(reasons "$OUT/$name.log.ktap") required=" $got "
	for o in $optional; do required=${required/ $o / }; done
	report=ok
	if [ -n "${REPORT[$name]:-}" ]; then
		n=$(grep -c 'BUG: KASAN:' "$OUT/$name.log")
		[ "$n" = 1 ] && grep 'BUG: KASAN:' "$OUT/$name.log" |
			grep -qE "${REPORT[$name]}" ||
			report="want one KASAN report matching ${REPORT[$name]}, got $n"
	fi
	if [ "$name" = flood ]; then
		oks=$(grep -cE '^    ok [0-9]+ flood check [0-9]+$' "$OUT/$name.log.ktap")
		suites=$(grep -cE '^    ok [0-9]+ vmdummy$' "$OUT/$name.log.ktap")
		[ "$oks $suites" = "$FLOOD_CHECKS $((FLOOD_CHECKS / FLOOD_EVERY))" ] ||
			report="want $FLOOD_CHECKS flood checks and $((FLOOD_CHECKS / FLOOD_EVERY)) suites, got $oks and $suites"
		grep -q 'storm line' "$OUT/$name.log" ||
			report="$report; no storm on the console"
	fi
	if [ "$rc" = "$want_rc" ] && [ "$(xargs <<< "$required")" = "$want" ] &&
			[ "$report" = ok ]; then
		ktap_leaf ok "$name rc=$rc reasons: ${got:--}"
	else
		ktap_leaf "not ok" "$name" "rc=$rc (want $want_rc) reasons: ${got:--}" \
			"(want ${want:--}${optional:+, maybe $optional})" "$report" \
			"log: $OUT/$name.log"
	fi
done
ktap_end
