# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# In-VM integration checks for buddy.ko, run by scripts/test.sh through
# scripts/qemu-run.sh: module parameters good and bad, alloc_pages failure,
# every debugfs file, the ctl fuzzer, the example client, clean unload and
# unload with a leak. kmemleak is checked at the end for all of it.
. /root/lib.sh

D=/sys/kernel/debug/buddy
FI=/sys/kernel/debug/fail_page_alloc

# expect_bad_param NAME PARAM=VALUE... - the load must fail with -EINVAL and
# exactly one error line naming NAME.
expect_bad_param() {
	local name=$1 errs

	shift
	dmesg_mark
	assert_fails insmod /root/buddy.ko "$@"
	errs=$(dmesg_since_mark err)
	assert_eq "one error for $*" 1 "$(echo "$errs" | grep -c .)"
	case "$errs" in
	*"invalid $name="*"must be"*) t_ok "message names $name: $*" ;;
	*) t_fail "message names $name: $*" "got: $errs" ;;
	esac
	assert_fails test -d /sys/module/buddy
}

# On the test kernels (REQUIRE_DEBUG=1) kmemleak and fault injection must
# be there; a stock distro kernel has neither, and those checks are skipped.
have() {
	[ -e "$1" ] && return 0
	if [ -n "${REQUIRE_DEBUG:-}" ]; then
		t_fail "$1" "missing on a test kernel"
	else
		echo "note: $1 missing, skipping what needs it"
	fi
	return 1
}

# field FILE KEY - value of "KEY: value" in a stats file
field() {
	sed -n "s/^$2: //p" "$1"
}

KMEMLEAK=0
if have /sys/kernel/debug/kmemleak; then
	KMEMLEAK=1
	kmemleak_baseline
fi

# --- Bad parameters -------------------------------------------------------
expect_bad_param pool_size pool_size=0
expect_bad_param pool_size pool_size=abc
expect_bad_param pool_size pool_size=-4K
expect_bad_param pool_size pool_size=4K5
expect_bad_param pool_size pool_size=6000
expect_bad_param pool_size pool_size=64G
expect_bad_param pool_size pool_size=99999999999999999999999
expect_bad_param min_block min_block=0
expect_bad_param min_block min_block=3000
expect_bad_param min_block min_block=8
expect_bad_param min_block min_block=abc
expect_bad_param min_block min_block=16M
expect_bad_param min_block pool_size=4M min_block=8M
# A bool the kernel's own parser refuses, naming the parameter.
dmesg_mark
assert_fails insmod /root/buddy.ko cache=maybe
assert_ok dmesg_contains "invalid for parameter .cache."
assert_fails test -d /sys/module/buddy

# --- alloc_pages() failure: the third chunk fails, the first two go back --
if have $FI; then
	echo N > $FI/ignore-gfp-wait
	echo 0 > $FI/verbose
	echo Y > $FI/task-filter
	echo 10 > $FI/min-order
	echo 100 > $FI/probability
	echo 1 > $FI/interval
	echo 1 > $FI/times
	echo 2049 > $FI/space
	dmesg_mark
	assert_fails sh -c 'echo 1 > /proc/self/make-it-fail && exec /sbin/insmod /root/buddy.ko pool_size=16M'
	echo 0 > $FI/probability
	errs=$(dmesg_since_mark err)
	assert_eq "one error on -ENOMEM" 1 "$(echo "$errs" | grep -c .)"
	case "$errs" in
	*"cannot reserve pool_size=16M"*"out of memory (-12)"*) t_ok "ENOMEM message" ;;
	*) t_fail "ENOMEM message" "got: $errs" ;;
	esac
	assert_fails test -d /sys/module/buddy
fi

# --- A good load, and every debugfs file ----------------------------------
# Without caches first, so every split and merge shows in free_lists.
assert_ok insmod /root/buddy.ko pool_size=16M cache=0 || exit 1
assert_eq "pool_size param" 16M "$(cat /sys/module/buddy/parameters/pool_size)"
assert_eq "cache param" N "$(cat /sys/module/buddy/parameters/cache)"
P=$D/default
for f in free_lists stats fragmentation map check; do
	assert_eq "mode of $f" 400 "$(stat -c %a $P/$f)"
done
assert_eq "mode of ctl" 600 "$(stat -c %a $P/ctl)"
assert_eq "mode of cache" 600 "$(stat -c %a $P/cache)"
assert_eq "no cached order" 0 "$(awk '!/^#/ && $2 != 0' $P/cache | grep -c .)"
assert_eq "check fresh" ok "$(cat $P/check)"
assert_eq "chunks" 4 "$(field $P/stats chunks)"
assert_eq "size" 16777216 "$(field $P/stats size)"
assert_eq "fresh order 10" "10 4194304 4 0 16777216" "$(grep '^10 ' $P/free_lists)"
assert_eq "fresh lower orders empty" 10 \
	"$(grep -c '^[0-9] [0-9]* 0 0 0$' $P/free_lists)"
assert_eq "header" "# order block_size free_blocks cached_blocks free_bytes" \
	"$(head -1 $P/free_lists)"

# One 4 KiB block: one free block at each of orders 0-9, three at 10.
assert_ok sh -c "echo 'alloc 4K' > $P/ctl"
for o in 0 1 2 3 4 5 6 7 8 9; do
	assert_eq "after 4K: order $o" 1 \
		"$(awk -v o=$o '$1 == o { print $3 }' $P/free_lists)"
done
assert_eq "after 4K: order 10" 3 "$(awk '$1 == 10 { print $3 }' $P/free_lists)"
assert_eq "ctl lists it" "1 0 4096" "$(cat $P/ctl)"
assert_eq "map first cells" "0x00000000 #..." \
	"$(sed -n 2p $P/map | cut -c1-15)"
assert_eq "map lines" 64 "$(grep -c '^0x' $P/map)"
assert_eq "map legend" "#" "$(head -1 $P/map | cut -c1)"
assert_eq "free_lists sum equals free" "$(field $P/stats free)" \
	"$(awk '!/^#/ { s += $5 } END { print s }' $P/free_lists)"
assert_eq "allocated" 4096 "$(field $P/stats allocated)"
assert_eq "fragmentation order 0" "0 0.000 -1.000" \
	"$(sed -n 2p $P/fragmentation)"
assert_eq "check after alloc" ok "$(cat $P/check)"

assert_ok sh -c "echo 'alloc 8K' > $P/ctl"
assert_eq "ctl two" "2 8192 8192" "$(sed -n 2p $P/ctl)"
assert_ok sh -c "echo 'free 1' > $P/ctl"
assert_ok sh -c "echo 'free 2' > $P/ctl"
assert_eq "coalesced again" "10 4194304 4 0 16777216" "$(grep '^10 ' $P/free_lists)"

# --- Malformed ctl input changes nothing ----------------------------------
before=$(cat $P/free_lists $P/stats)
for cmd in "alloc" "alloc -4K" "alloc 0" "alloc 5M" "alloc 4X" "free 99" \
		"free -1" "free" "bogus" "alloc 4K 4K" "alloc  4K" \
		"alloc 99999999999999999999"; do
	assert_fails sh -c "echo '$cmd' > $P/ctl"
done
assert_fails sh -c "printf 'alloc 4K\nfree 1\n' > $P/ctl"
assert_eq "nothing changed by bad ctl" "$before" "$(cat $P/free_lists $P/stats)"

# --- ctl fuzzer: random bytes, then the pool must be as it was -----------
lists=$(cat $P/free_lists)
i=0
while [ $i -lt 200 ]; do
	n=$(( $(od -An -N1 -tu1 /dev/urandom) % 70 + 1 ))
	dd if=/dev/urandom of=$P/ctl bs=$n count=1 2>/dev/null
	i=$((i + 1))
done
# A random write could in theory be a valid command; undo any that were.
for id in $(cut -d' ' -f1 $P/ctl); do
	echo "free $id" > $P/ctl
done
assert_eq "fuzz: check" ok "$(cat $P/check)"
assert_eq "fuzz: free_lists unchanged" "$lists" "$(cat $P/free_lists)"
assert_ok rmmod buddy

# --- Per-CPU caches (on by default) ---------------------------------------
assert_ok insmod /root/buddy.ko pool_size=16M
assert_eq "cache param" Y "$(cat /sys/module/buddy/parameters/cache)"
assert_eq "cache header" "# order high batch cached_per_cpu..." \
	"$(head -1 $P/cache)"
high0=$(awk '$1 == 0 { print $2 }' $P/cache)
batch0=$(awk '$1 == 0 { print $3 }' $P/cache)
assert_ok test "$high0" -gt 0
assert_ok sh -c "echo 'alloc 4K' > $P/ctl"
# One batch left the core; the client holds one block, the rest is cached.
assert_eq "cached after 4K" $(((batch0 - 1) * 4096)) "$(field $P/stats cached)"
assert_eq "allocated with caches" 4096 "$(field $P/stats allocated)"
assert_eq "free_lists sum equals free, cached too" "$(field $P/stats free)" \
	"$(awk '!/^#/ { s += $5 } END { print s }' $P/free_lists)"
assert_eq "cached column" $((batch0 - 1)) "$(awk '$1 == 0 { print $4 }' $P/free_lists)"
assert_eq "map shows cached blocks free" "0x00000000 #..." \
	"$(sed -n 2p $P/map | cut -c1-15)"
assert_eq "check with caches" ok "$(cat $P/check)"
assert_ok sh -c "echo 'free 1' > $P/ctl"
assert_eq "freed into the cache" $((batch0 * 4096)) "$(field $P/stats cached)"
before=$(cat $P/cache $P/stats)
for cmd in "drai" "0" "0 4" "0 4 0" "0 4 5" "0 65 4" "9 8 2" "-1 8 2" \
		"0 8 2x" "0 8 2 2" "drain drain"; do
	assert_fails sh -c "echo '$cmd' > $P/cache"
done
assert_eq "nothing changed by bad cache writes" "$before" "$(cat $P/cache $P/stats)"
assert_ok sh -c "echo drain > $P/cache"
assert_eq "drained" 0 "$(field $P/stats cached)"
assert_eq "drained and merged" "10 4194304 4 0 16777216" "$(grep '^10 ' $P/free_lists)"
assert_ok sh -c "echo '0 0 0' > $P/cache"
assert_eq "order 0 off" "0 0 0" "$(awk '$1 == 0 { print $1, $2, $3 }' $P/cache)"
assert_ok sh -c "echo '0 8 2' > $P/cache"
assert_eq "order 0 retuned" "0 8 2" "$(awk '$1 == 0 { print $1, $2, $3 }' $P/cache)"
assert_eq "check after tuning" ok "$(cat $P/check)"

# --- The example client ----------------------------------------------------
dmesg_mark
allocs=$(field $P/stats allocs)
assert_ok insmod /root/buddy_client.ko
assert_ok dmesg_contains "allocated 24 blocks \\(0 failed\\)"
assert_eq "client: allocs" $((allocs + 24)) "$(field $P/stats allocs)"
assert_eq "client: check" ok "$(cat $P/check)"
assert_ok sh -c "sed 1d $P/map | grep -q '#'"
assert_fails rmmod buddy
assert_ok rmmod buddy_client
assert_ok dmesg_contains "patterns intact, 0 blocks kept"
assert_eq "client: all free" "$(field $P/stats size)" "$(field $P/stats free)"

# A misbehaving client: an impossible allocation warns once (not again with
# __GFP_NOWARN), and a double free is refused, named and WARNs once.
failures=$(field $P/stats failures)
bad=$(field $P/stats bad_frees)
dmesg_mark
expect_warn_begin 1
assert_ok insmod /root/buddy_client.ko misuse=1
expect_warn_end
assert_ok dmesg_contains "misuse done"
assert_eq "misuse: one alloc warning" 1 \
	"$(dmesg_count 'cannot allocate [0-9]+ bytes: larger than the largest block \(caller .*\[buddy_client\]\)' warn)"
assert_eq "misuse: one bad-free error" 1 \
	"$(dmesg_count 'bad free of .*: double free \(caller .*\[buddy_client\]\)' err)"
assert_eq "misuse: failures counted" $((failures + 2)) "$(field $P/stats failures)"
assert_eq "misuse: bad free counted" $((bad + 1)) "$(field $P/stats bad_frees)"
assert_eq "misuse: check" ok "$(cat $P/check)"
assert_ok rmmod buddy_client
assert_eq "misuse: all free" "$(field $P/stats size)" "$(field $P/stats free)"

# A client with a pool of its own: the directory comes and goes with it.
assert_ok insmod /root/buddy_client.ko pool_name=client_pool
assert_ok test -d $D/client_pool
assert_eq "client pool check" ok "$(cat $D/client_pool/check)"
assert_ok grep -q '^0x' $D/client_pool/map
assert_ok rmmod buddy_client
assert_fails test -e $D/client_pool

# --- Clean unload ------------------------------------------------------------
dmesg_mark
assert_ok sh -c "echo 'alloc 64K' > $P/ctl"
assert_ok rmmod buddy
assert_fails test -e $D
assert_eq "clean unload: no warning" 0 "$(dmesg_count 'still allocated')"

# An odd size: 16 MiB + 12 KiB is four full chunks and a short one.
assert_ok insmod /root/buddy.ko pool_size=16396K min_block=4K
assert_eq "odd size chunks" 5 "$(field $D/default/stats chunks)"
assert_eq "odd size order 1" "1 8192 1 0 8192" "$(grep '^1 ' $D/default/free_lists)"
assert_eq "odd size order 0" "0 4096 1 0 4096" "$(grep '^0 ' $D/default/free_lists)"
assert_ok rmmod buddy

assert_ok insmod /root/buddy.ko pool_size=1M min_block=64
assert_eq "64B max order" 14 "$(field $D/default/stats max_order)"
assert_ok rmmod buddy

# --- Unload with a leak: warn once, report, keep the memory ---------------
assert_ok insmod /root/buddy.ko pool_size=8M
assert_ok insmod /root/buddy_client.ko leak=1
assert_ok rmmod buddy_client
dmesg_mark
assert_ok rmmod buddy
assert_eq "leak: one warning" 1 "$(dmesg_count 'still allocated' warn)"
assert_ok dmesg_contains "pool default destroyed with 16 blocks"
assert_ok dmesg_contains "keeping 1 of 2 chunks reserved"

[ $KMEMLEAK -eq 0 ] || kmemleak_check
t_summary
