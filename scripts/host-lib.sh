# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# What the host scripts share. Source it once ROOT is the source tree.

# build_modules DEST KDIR [MAKE ARGS...] - copy what git would (tracked
# and not ignored files; with REV set, `git archive REV`) to DEST, so no
# build product of the source tree passes for a fresh one, and `make
# extra` there against KDIR into DEST.log, then tests/user's static
# buddy_user_test (any kernel's guest runs it). 0 iff both makes
# succeeded, buddy.ko exists and no line of the log says "warning:".
build_modules() {
	local dest=$1 kdir=$2

	shift 2
	rm -rf "$dest" && mkdir -p "$dest" || return 1
	if [ -n "${REV:-}" ]; then
		git -C "$ROOT" archive "$REV" | tar -x -C "$dest" || return 1
	elif git -C "$ROOT" rev-parse --git-dir > /dev/null 2>&1; then
		# Tracked files deleted in the work tree are not there to copy.
		(cd "$ROOT" && git ls-files -z --cached --others \
			--exclude-standard | xargs -0 -r ls -d 2> /dev/null |
			tar -T - -c | tar -x -C "$dest") || return 1
	else
		(cd "$ROOT" && cp -r Kconfig Kbuild Makefile ./*.c ./*.h \
			include tests "$dest/") || return 1
	fi
	if ! make -s -C "$dest" extra KDIR="$kdir" "$@" > "$dest.log" 2>&1 ||
			! make -s -C "$dest/tests/user" >> "$dest.log" 2>&1 ||
			[ ! -f "$dest/buddy.ko" ] || grep -q 'warning:' "$dest.log"; then
		grep -A3 'warning:' "$dest.log"
		tail -n 10 "$dest.log"
		return 1
	fi
}

# One KTAP document per run (make test, make soak, the self-test): each
# step adds a top-level test to $KTAP, a leaf or a nested document, and
# ktap_end has kunit.py parse the whole and prints "N passed, N failed".
ktap_start() {
	KTAP=$1 KTAP_TOP=0
	: > "$KTAP.body"
}

# ktap_leaf ok|"not ok" NAME [DIAGNOSTIC...] - also shown on stdout.
ktap_leaf() {
	local st=$1 name=$2

	shift 2
	KTAP_TOP=$((KTAP_TOP + 1))
	printf '# %s\n' "$@" | grep -v '^# $' | tee -a "$KTAP.body" || true
	echo "$st $KTAP_TOP $name" | tee -a "$KTAP.body"
}

# ktap_check NAME LOG CMD... - a leaf: CMD's status, which it returns;
# output added to LOG, whose tail becomes the diagnostics of a failure.
ktap_check() {
	local name=$1 log=$2

	shift 2
	if "$@" >> "$log" 2>&1; then
		ktap_leaf ok "$name"
		return 0
	fi
	mapfile -t tail < <(tail -n 15 "$log")
	ktap_leaf "not ok" "$name" "see $log" "${tail[@]}"
	return 1
}

# ktap_nest NAME DOC - the KTAP document DOC as subtest NAME; its failed
# tests are shown.
ktap_nest() {
	KTAP_TOP=$((KTAP_TOP + 1))
	{
		echo "    KTAP version 1"
		echo "    # Subtest: $1"
		sed '/^K\{0,1\}TAP version/d; s/^/    /' "$2"
		echo "ok $KTAP_TOP $1"
	} >> "$KTAP.body"
	echo "ok $KTAP_TOP $1: $(grep -c '^ *ok ' "$2") ok, $(grep -c 'not ok' "$2") not ok"
	grep -B3 'not ok' "$2" | sed 's/^/     /' | head -40 || true
}

# ktap_whole DOC - a boot's document got to its end: the result line of
# subtest 2, which /init writes last (qemu-run.sh).
ktap_whole() {
	tail -n 1 "$1" 2> /dev/null | grep -qE '^(not )?ok 2 kernel$'
}

# ktap_lost DOC - succeeds when a result line is missing: per indentation
# level, results must be numbered 1, 2, ... from each "KTAP version" or
# "# Subtest:", and a subtest's plan must be met when its parent's result
# line closes it.
ktap_lost() {
	awk 'function reset(l) {
			if (l in plan && last[l] != plan[l])
				lost = 1
			delete plan[l]
			last[l] = 0
		}
		{ match($0, /^ */); l = RLENGTH; s = substr($0, l + 1) }
		s ~ /^(KTAP version|# Subtest:)/ { reset(l) }
		s ~ /^1\.\.[0-9]+$/ { plan[l] = substr(s, 4) + 0 }
		s ~ /^(not )?ok [0-9]+/ {
			sub(/^not /, "", s)
			split(s, w, " ")
			reset(l + 4)
			if (w[2] != last[l] + 1)
				lost = 1
			last[l] = w[2]
		}
		END { exit !lost }' "$1"
}

# ktap_boot DIR/NAME KDIR SCRIPT [QEMU-RUN OPTION...] -- FILE... - boot
# SCRIPT with FILES, the console in DIR/NAME.log, and nest the boot's
# document (DIR/NAME.ktap) as subtest NAME, or when it is not whole (the
# guest died or hung) one failed test with the last result that arrived
# and the console's tail.
ktap_boot() {
	local base=$1 kdir=$2 script=$3 name opts=()

	name=$(basename "$base")
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	bash "$ROOT/scripts/qemu-run.sh" --quiet --log "$base.log" \
		--ktap "$base.ktap" "${opts[@]}" "$kdir" "$script" "$@" \
		2> "$base.err"
	if ktap_whole "$base.ktap"; then
		ktap_nest "$name" "$base.ktap"
	else
		mapfile -t tail < <(tr -d '\r' < "$base.log" | tail -n 20)
		ktap_leaf "not ok" "$name" "$(cat "$base.err")" \
			"last result: $(tail -n 1 "$base.ktap" 2> /dev/null)" \
			"console:" "${tail[@]}"
	fi
}

# ktap_end - write $KTAP, parse it with kunit.py (from linux-source-6.12,
# unpacked once into $BUDDY_CACHE, in the tools/testing/kunit it insists
# on), print the counts line; 0 iff all passed.
ktap_end() {
	local ran passed bad k=${BUDDY_CACHE:-$HOME/.cache/buddy}/kunit

	{ echo "KTAP version 1"; echo "1..$KTAP_TOP"; cat "$KTAP.body"; } > "$KTAP"
	rm -f "$KTAP.body"
	[ -f "$k/tools/testing/kunit/kunit.py" ] || { mkdir -p "$k" && tar -xJf \
		/usr/src/linux-source-6.12.tar.xz -C "$k" --strip-components=1 \
		--wildcards '*/tools/testing/kunit/*.py'; }
	python3 "$k/tools/testing/kunit/kunit.py" parse "$KTAP" 2>&1 |
		sed 's/\x1b\[[0-9;]*m//g' > "$KTAP.parsed"
	grep -E '\[(FAILED|CRASHED|ERROR)\]' "$KTAP.parsed" | head -40 || true
	# "Ran N tests: passed: P, failed: F, crashed: C, errors: E", the
	# fields present only when not 0; no such line is one failure.
	read -r passed bad ran < <(awk '/Ran [0-9]+ tests/ {
		p = b = 0
		for (i = 1; i <= NF; i++)
			if ($i == "passed:") p = $(i + 1) + 0
			else if ($i ~ /^(failed|crashed|errors):$/) b += $(i + 1) + 0
		r = substr($0, index($0, "Ran "))
	} END { print (r ? p " " b " " r : "0 1 no summary") }' "$KTAP.parsed")
	echo "KTAP: $KTAP, kunit.py parse: $ran ($KTAP.parsed)"
	echo "$passed passed, $bad failed"
	[ "$bad" -eq 0 ]
}

# QEMU's edu PCI device (a DMA engine with a 28-bit mask) for a boot, as
# qemu-run.sh options, on q35 both: on the default pc machine, enabling
# the device runs ACPI's _PRT, whose AML loop outlasts ACPI's 30 s loop
# timeout under TCG with KASAN (an RCU stall on 6.1). EDU_DIRECT: its DMA
# addresses are physical ones. EDU_IOMMU: behind intel-iommu, DMA
# remapping only (interrupt remapping under a slow TCG can panic the
# IO-APIC timer check). -d guest_errors has QEMU log a device's
# complaints, which no_guest_errors looks for in the console log.
# A second edu, with its DMA mask wide open, is for contiguous pools
# (edu_contig_suite in tests/vm/edu.sh).
# shellcheck disable=SC2034
EDU_DIRECT=(--qemu "-machine q35" --qemu "-device edu"
	--qemu "-device edu,dma_mask=0xffffffffffffffff" --qemu "-d guest_errors")
# shellcheck disable=SC2034
EDU_IOMMU=(--qemu "-machine q35" --qemu "-device intel-iommu,intremap=off"
	--qemu "-device edu" --qemu "-device edu,dma_mask=0xffffffffffffffff"
	--qemu "-d guest_errors"
	--append "intel_iommu=on intremap=off" --env EDU_IOMMU=1)
# Boot-time regions for contiguous pools: 64 MiB at 768 MiB held back
# from RAM (memmap=), and on 6.11 on 32 MiB named "buddy" (reserve_mem=);
# with 2 GiB of RAM, so that a 512 MiB contiguous pool fits in half of it.
# shellcheck disable=SC2034,SC2016
REGIONS=(--mem 2G --append 'memmap=64M$0x30000000 reserve_mem=32M:4M:buddy')

# no_guest_errors LOG - succeed if QEMU's console log LOG holds no guest
# error: edu's "EDU: clamping DMA" or range messages (QEMU 7.2 prints them
# on stdout), or -d guest_errors lines.
no_guest_errors() {
	local bad

	bad=$(tr -d '\r' < "$1" | grep -aE "$GUEST_ERRORS")
	[ -z "$bad" ] || { echo "QEMU guest errors in $1:"; echo "$bad" | head -20; return 1; }
}
GUEST_ERRORS='^EDU:|EDU: (clamping|DMA range)|^(Invalid (read|write) at addr|[a-z0-9_-]+: (invalid|unimplemented|guest error))'
