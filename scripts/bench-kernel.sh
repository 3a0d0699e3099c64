#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: buddy_alloc()/buddy_free() against alloc_pages(), gen_pool
# and drm_buddy on the same workloads (tests/bench/buddy_bench.c), all in
# one QEMU boot per Debian stock kernel and zeroing setting. The stock
# kernels have no debug options, unlike the test kernels. Each is booted
# twice: with init_on_alloc=0 init_on_free=0, where no allocator zeroes,
# and with Debian's default, init_on_alloc=1 init_on_free=0 (written out),
# where buddy and alloc_pages() zero what they hand out and the
# benchmark's gen_pool and drm_buddy wrappers zero it for them, so that
# every side does the same work. The guest's "mem auto-init:" line must
# show the setting asked for. Multi-threaded TCG with 2 vCPUs lets the
# two-thread workload run in parallel. Under TCG only ratios within one
# boot mean anything. Every boot has QEMU's edu device (-device edu), for
# the dma_* workloads: buddy_alloc_dma() from a pool for edu against
# dma_pool_zalloc() and dma_alloc_coherent(), all zeroing. The last two,
# create_256m and destroy_256m, make and destroy a 256 MiB pool, one
# physically contiguous range (BUDDY_POOL_CONTIG, allocator=contig)
# against 64 chunks of 4 MiB (allocator=chunked), both zeroed; the ratio
# is contig's time to chunked's. Every boot has 2 GiB of RAM for them: a
# pool may hold at most half of it, and the range must be found. In the
# same boot, after the benchmark, tests/user/buddy_user_bench (static,
# built here with gcc) times allocate+close of a 64 KiB and a 1 MiB
# dma-buf from user space: /dev/buddy (buddy.ko loaded with user=1)
# against /dev/dma_heap/system, both zeroing, interleaved; the kernels
# without a system heap (6.1) time buddy alone.
#
# Usage: bench-kernel.sh [FLAVOUR...] [-- PARAM=VALUE...]
#   FLAVOUR: 6.1, 6.12 or 6.12-rt (default: 6.1 6.12); each PARAM goes to
#   buddy_bench.ko (iters=, rounds=, seed=; iters defaults to 20000, or
#   2000 under init_on_alloc, where TCG spends most of the time zeroing).
# Environment: BENCH_INIT="0 1" (the default) lists the init_on_alloc
# settings to boot, in order; BENCH_CHART=PATH also draws every boot's
# ratios in one chart at PATH; BENCH_REV=COMMIT builds the modules from
# that commit rather than from the working tree, so that the figures name
# their code; BENCH_QEMU="ARGS" adds QEMU arguments (before edu's) and
# BENCH_APPEND="ARGS" kernel parameters, such as an IOMMU for the dma_*
# workloads: BENCH_QEMU="-machine q35 -device intel-iommu,intremap=off"
# BENCH_APPEND="intel_iommu=on intremap=off". make passes all of these
# from its command line too.
#
# Writes build/bench-FLAVOUR/ (init_on_alloc=0; also the modules' build)
# and build/bench-FLAVOUR-init_on_alloc/ (=1): console.log, console.log.ktap
# (the boot's KTAP, where the module's lines travel), results.txt
# (the module's lines), notes.txt (its waste and misalignment lines),
# zeroings.txt (buddy's allocations and zeroings per workload), user.txt
# (buddy_user_bench's lines),
# summary.txt (what is printed), ratios.dat and bench.png.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=scripts/host-lib.sh
. "$HERE/host-lib.sh"
"$HERE/deps.sh"
FLAVOURS=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	FLAVOURS+=("$1")
	shift
done
[ $# -gt 0 ] && shift
PARAMS="$*"
[ ${#FLAVOURS[@]} -gt 0 ] || FLAVOURS=(6.1 6.12)
INITS=${BENCH_INIT:-0 1}
for ia in $INITS; do
	case $ia in
	0 | 1) ;;
	*) echo "bench-kernel: BENCH_INIT: 0 or 1, not $ia" >&2; exit 2 ;;
	esac
done
cd "$ROOT"
if [ -n "${BENCH_REV:-}" ]; then
	REV=$(git rev-parse --short "$BENCH_REV^{commit}")
else
	REV=$(git rev-parse --short HEAD 2> /dev/null || echo unknown)
	git diff --quiet HEAD -- 2> /dev/null || REV="$REV plus uncommitted changes"
fi
CHARTS=()

# add_deps DIR KO - append KO's dependencies to LOAD, each after its own
# (buddy is loaded separately), unpacked as plain .ko files into DIR from
# the stock kernel's package: the guest's insmod cannot read .ko.xz.
add_deps() {
	local d f deb=$1/linux-image.deb

	for d in $(modinfo -F depends "$2" | tr , ' '); do
		case " buddy ${LOAD[*]} " in *" $d "*) continue ;; esac
		if [ ! -f "$1/$d.ko" ]; then
			[ -f "$deb" ] || { mkdir -p "$1" && (cd "$1" &&
				apt-get download -q "linux-image-$REL" > /dev/null &&
				mv linux-image-*.deb "$deb"); } || exit 1
			f=$(dpkg-deb -c "$deb" | grep -oE "\./lib/modules/.*/${d//_/[_-]}\.ko(\.xz)?$") ||
				{ echo "bench-kernel: no stock module $d" >&2; exit 1; }
			dpkg-deb --fsys-tarfile "$deb" | tar -xO "$f" |
				if [[ $f == *.xz ]]; then xz -dc; else cat; fi > "$1/$d.ko"
		fi
		add_deps "$1" "$1/$d.ko"
		LOAD+=("$d")
	done
}

# summarize PREFIX DATFILE < results - one line per workload: ns per pair
# (pairs per second for the multi-CPU ones, ns per pool for create_ and
# destroy_) and the ratio of the first allocator, buddy, to each other
# one, lower is better for buddy, but none with a side that timed 0; then
# the 2-thread/1-thread scaling. DATFILE gets the ratios to alloc_pages,
# gen_pool and drm_buddy for the chart, for the workloads that have them.
summarize() {
	awk -v prefix="$1" -v dat="$2" '
	{
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			f[kv[1]] = kv[2]
		}
		w = f["workload"]
		a = f["allocator"]
		if (!(w in seen)) {
			seen[w] = 1
			order[++nw] = w
		}
		if (!((w, a) in ns))
			al[w, ++nal[w]] = a
		ns[w, a] = f["ns_per_pair"]
		if (f["failed"] > 0)
			failed[w] = failed[w] " " a "=" f["failed"]
	}
	END {
		nc = split("alloc_pages gen_pool drm_buddy", col)
		print "workload buddy/alloc_pages buddy/gen_pool buddy/drm_buddy" > dat
		for (k = 1; k <= nw; k++) {
			w = order[k]
			mt = w ~ /^mt_/
			unit = mt ? " pairs_per_s:" : w ~ /^(create|destroy)_/ ? \
				" ns_per_pool:" : " ns_per_pair:"
			line = prefix " workload=" w unit
			for (j = 1; j <= nal[w]; j++)
				line = line " " al[w, j] "=" (mt ? \
					sprintf("%.0f", 1e9 / ns[w, al[w, j]]) : ns[w, al[w, j]])
			line = line " ratio:"
			b = al[w, 1]
			for (j = 2; j <= nal[w]; j++)
				if (ns[w, b] > 0 && ns[w, al[w, j]] > 0)
					line = line " " b "/" al[w, j] "=" \
						sprintf("%.2f", ns[w, b] / ns[w, al[w, j]])
			row = w
			nr = 0
			for (j = 1; j <= nc; j++) {
				r = "-"
				if ((w, col[j]) in ns && ns[w, col[j]] > 0) {
					r = sprintf("%.2f", ns[w, b] / ns[w, col[j]])
					nr++
				}
				row = row " " r
			}
			if (w in failed)
				line = line " FAILED-ALLOCS:" failed[w]
			print line
			# dma_*, create_ and destroy_ have none of the chart columns.
			if (nr)
				print row > dat
		}
		line = ""
		n = split("buddy alloc_pages gen_pool drm_buddy", mal)
		for (j = 1; j <= n; j++)
			if (("mt_mix_1t", mal[j]) in ns && ("mt_mix_2t", mal[j]) in ns)
				line = line sprintf(" %s=%.2f", mal[j],
					ns["mt_mix_1t", mal[j]] / ns["mt_mix_2t", mal[j]])
		if (line != "")
			print prefix " workload=mt_mix pairs_per_s_2t/1t:" line
	}'
}

# zeroings PREFIX < zeroings.txt - one line: for each workload and each of
# buddy's calls in it, the allocations that zeroed over all allocations.
zeroings() {
	awk -v prefix="$1" '
	{
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			f[kv[1]] = kv[2]
		}
		line = line " " f["workload"] (f["of"] == "buddy" ? "" : \
			"(" f["of"] ")") "=" f["zeroings"] "/" f["allocs"]
	}
	END {
		if (line != "")
			print prefix " buddy zeroings/allocs:" line
	}'
}

# boot FLAVOUR INIT_ON_ALLOC - one boot of the modules built in $B with
# init_on_alloc=INIT_ON_ALLOC init_on_free=0; its results and summary go
# to $B for 0, $B-init_on_alloc for 1.
boot() {
	local flavour=$1 ia=$2 O=$B K want init load title
	local tag="bench-kernel $1 init_on_alloc=$2:"
	local extra="${BENCH_QEMU:+BENCH_QEMU=\"$BENCH_QEMU\" }"
	extra+="${BENCH_APPEND:+BENCH_APPEND=\"$BENCH_APPEND\" }"

	if [ "$ia" = 1 ]; then
		O=$B-init_on_alloc
		rm -rf "$O" && mkdir -p "$O"
	fi
	# Other work on the host takes CPU time from the vCPUs, and from the
	# two-thread workload most of all.
	load=$(cut -d' ' -f1 /proc/loadavg)
	echo "bench-kernel: Debian $REL, QEMU TCG thread=multi -smp 2 -m 2G" \
		"${BENCH_QEMU:+$BENCH_QEMU }-device edu -device edu,dma_mask=(64 bits)," \
		"init_on_alloc=$ia init_on_free=0${BENCH_APPEND:+ $BENCH_APPEND}," \
		"stock modules: ${LOAD[*]:-none}; host: $(nproc) CPUs, load $load"
	K=$O/console.log.ktap
	bash "$HERE/qemu-run.sh" --quiet --log "$O/console.log" --timeout 1800 \
		--mem 2G --smp 2 --accel tcg,thread=multi \
		${BENCH_QEMU:+--qemu "$BENCH_QEMU"} --qemu "-device edu" \
		--qemu "-device edu,dma_mask=0xffffffffffffffff" \
		--append "init_on_alloc=$ia init_on_free=0" \
		${BENCH_APPEND:+--append "$BENCH_APPEND"} \
		--env "BENCH_PRELOAD=${LOAD[*]}" --env "BENCH_ARGS=$PARAMS" \
		"$DKDIR" tests/vm/bench.sh "$B/buddy.ko" \
		"$B/tests/bench/buddy_bench.ko" "${FILES[@]}" > /dev/null
	sed -n 's/^ *# \(user_[a-z_]* .*\)/\1/p' "$K" > "$O/user.txt"
	sed -n 's/.*buddy-bench: \(iters=.*\)/\1/p' "$K" > "$O/params.txt"
	sed -n 's/.*buddy-bench: \(workload=.* allocator=.*\)/\1/p' "$K" \
		> "$O/results.txt"
	sed -n 's/.*buddy-bench: \(waste.*\|misaligned.*\|note:.*\|dma check:.*\)/\1/p' "$K" \
		> "$O/notes.txt"
	sed -n 's/.*buddy-bench: zeroings \(.*\)/\1/p' "$K" > "$O/zeroings.txt"
	[ -s "$O/results.txt" ] ||
		{ echo "bench-kernel: no results in $K" >&2; exit 1; }
	# Proof from the guest itself of what zeroes pages.
	init=$(sed -n 's/.*mem auto-init: \(.*\)/\1/p' "$K" | head -1)
	want="heap alloc:$([ "$ia" = 1 ] && echo on || echo off), heap free:off"
	case $init in
	*"$want"*) ;;
	*)
		echo "bench-kernel: $K: mem auto-init: ${init:-?};" \
			"wanted $want" >&2
		exit 1
		;;
	esac
	{
		echo "$tag $(cat "$O/params.txt"), median round;" \
			"mem auto-init: $init"
		summarize "$tag" "$O/ratios.dat" < "$O/results.txt"
		if grep -q '^workload=align_' "$O/results.txt"; then
			echo "$tag align_*: buddy=buddy_alloc_range" \
				"(the size at the alignment), alloc_pages=the aligned" \
				"order, gen_pool=gen_pool_first_fit_align," \
				"drm_buddy=the aligned block trimmed to the size;" \
				"buddy_alloc and drm_buddy_round hand out the whole" \
				"aligned block; buddy_topdown=buddy_alloc_range with" \
				"BUDDY_TOPDOWN"
		fi
		if grep -q '^workload=mixed_' "$O/results.txt"; then
			echo "$tag mixed_2t: 2 threads on one pool, 64 live" \
				"blocks of 4-32 KiB each, one step in ten at a 64 KiB" \
				"multiple; buddy=buddy_alloc and buddy_alloc_range," \
				"gen_pool=gen_pool_alloc and first_fit_align," \
				"alloc_pages=the order and the whole 64 KiB;" \
				"ns per pair is wall time over both threads' pairs"
		fi
		if grep -q '^workload=full_' "$O/results.txt"; then
			echo "$tag full_mix: steady_mix's 512 live blocks of" \
				"4-64 KiB in a 16 MiB pool, about 80 % full;" \
				"buddy=a 16 MiB pool with the default caches," \
				"drm_buddy=a 16 MiB manager"
		fi
		if grep -q '^workload=exact_' "$O/results.txt"; then
			echo "$tag exact_mix: buddy=buddy_alloc_exact," \
				"alloc_pages=alloc_pages_exact, gen_pool=gen_pool_alloc," \
				"drm_buddy=the power-of-two block trimmed to the size;" \
				"buddy_alloc hands out the power of two"
		fi
		if grep -q '^workload=dma_' "$O/results.txt"; then
			echo "$tag dma_*: on QEMU's edu, DMA mask 28 bits;" \
				"buddy=buddy_alloc_dma(__GFP_ZERO) from a 16 MiB" \
				"pool for edu, mapped once per chunk," \
				"dma_pool=dma_pool_zalloc() of 4 KiB blocks," \
				"dma_alloc_coherent zeroes by itself; all zero the" \
				"whole block; memset_only=the zeroing alone, no" \
				"allocator, the floor of each pair"
		fi
		if grep -q '^workload=create_' "$O/results.txt"; then
			echo "$tag create_256m, destroy_256m:" \
				"buddy_pool_create_full(), buddy_pool_destroy() of a" \
				"256 MiB pool, no per-CPU caches, in a 2 GiB guest;" \
				"contig=BUDDY_POOL_CONTIG, one range from" \
				"alloc_contig_range(), chunked=64 alloc_pages() chunks" \
				"of 4 MiB; both zero the pool when it is made"
		fi
		if [ "$ia" = 1 ]; then
			echo "$tag zeroing: every side zeroes the bytes it hands" \
				"out; buddy and alloc_pages by themselves" \
				"(alloc_pages_exact the whole power of two before" \
				"it frees the tail), gen_pool and drm_buddy in the" \
				"benchmark's wrappers with memset (drm_buddy hands" \
				"out offsets: the bytes at them in gen_pool's" \
				"chunks); buddy skips blocks known to be zero"
		fi
		zeroings "$tag" < "$O/zeroings.txt"
		sed "s/^/$tag /" "$O/notes.txt"
		sed "s/^/$tag /" "$O/user.txt"
		echo "$tag reproduce: make bench" \
			"FLAVOURS=$flavour INIT=$ia${PARAMS:+ ARGS=\"$PARAMS\"}" \
			"$extra${BENCH_REV:+REV=$REV }(modules at $REV)"
	} | tee "$O/summary.txt"
	title="Debian $REL, init_on_alloc=$ia, $(date +%F), $REV, host load $load on $(nproc) CPUs"
	bash "$HERE/bench-chart.sh" "$O/bench.png" "$title" "$O/ratios.dat"
	echo "$tag chart: $O/bench.png"
	CHARTS+=("$title" "$O/ratios.dat")
}

for flavour in "${FLAVOURS[@]}"; do
	out=$(bash "$HERE/distro-kernel.sh" "$flavour")
	HDRS=$(echo "$out" | sed -n 1p)
	DKDIR=$(echo "$out" | sed -n 2p)
	REL=${HDRS#/usr/src/linux-headers-}
	B=$ROOT/build/bench-$flavour
	REV=${BENCH_REV:-} build_modules "$B" "$HDRS" ||
		{ cat "$B.log"; exit 1; }
	# 6.1 needs drm_buddy.ko and drm.ko; 6.12.y has it in vmlinux.
	LOAD=()
	add_deps "$DKDIR/modules" "$B/tests/bench/buddy_bench.ko"
	FILES=()
	# Built from the same copy as the modules, where it has the file.
	if [ -f "$B/tests/user/buddy_user_bench.c" ]; then
		gcc -static -O2 -Wall -Wextra -Werror -I "$B/include/uapi" \
			-o "$B/tests/user/buddy_user_bench" \
			"$B/tests/user/buddy_user_bench.c"
		FILES+=("$B/tests/user/buddy_user_bench")
		# The importer that counts both sides' sg entries.
		[ -f "$B/tests/dma/buddy_edu_test.ko" ] &&
			FILES+=("$B/tests/dma/buddy_edu_test.ko" "$B/tests/vm/edu.sh")
	fi
	for m in "${LOAD[@]}"; do
		FILES+=("$DKDIR/modules/$m.ko")
	done
	for ia in $INITS; do
		boot "$flavour" "$ia"
	done
done
if [ -n "${BENCH_CHART:-}" ]; then
	bash "$HERE/bench-chart.sh" "$BENCH_CHART" "${CHARTS[@]}"
	echo "bench-kernel: chart of all boots: $BENCH_CHART"
fi
