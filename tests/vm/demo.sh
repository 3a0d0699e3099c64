# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# The `make run` demo: load buddy.ko, show the pool, fragment it with ctl
# and the example client, free everything and show it coalesced again.
# shellcheck source=tests/vm/guest-lib.sh
. /root/guest-lib.sh

P=/sys/kernel/debug/buddy/default
ARGS=${BUDDY_ARGS:-pool_size=16M pool_max=32M}

section() {
	printf '\n=== %s ===\n' "$*"
}

# show FILE... - print debugfs files with a header each
show() {
	for f in "$@"; do
		printf -- '--- %s\n' "$P/$f"
		cat "$P/$f"
	done
}

# map_head - the legend and first lines of the map, when all is free
map_head() {
	printf -- '--- %s (first 4 of %s lines)\n' "$P/map" \
		"$(grep -c '^0x' $P/map)"
	head -5 $P/map
}

# klog PATTERN - our kernel messages since the last call, without stamps
klog() {
	dmesg_since_mark | sed -n "/$1/p"
	dmesg_mark
}

dmesg_mark
section "1. insmod buddy.ko $ARGS"
# shellcheck disable=SC2086
insmod /root/buddy.ko $ARGS || { klog 'buddy'; exit 1; }
klog 'buddy'
show free_lists stats
map_head

section "2. allocate by hand through ctl: 4K, 100K, 1M, 12K"
for s in 4K 100K 1M 12K; do
	echo "alloc $s" > $P/ctl
done
echo "# cat ctl  (ID OFFSET BYTES)"
cat $P/ctl

section "3. insmod buddy_client.ko (allocates 24 mixed blocks, frees every third)"
insmod /root/buddy_client.ko || exit 1
klog 'buddy'
show free_lists fragmentation map

section "4. free everything: rmmod buddy_client, then free the ctl blocks"
rmmod buddy_client
klog 'buddy'
# shellcheck disable=SC2013 # words, not lines, are wanted
for id in $(cut -d' ' -f1 $P/ctl); do
	echo "free $id" > $P/ctl
done
show free_lists check
map_head
printf -- '--- stats (excerpt)\n'
grep -E '^(size|free|allocated|cached|allocs|frees|failures|bad_frees):' $P/stats

section "5. the per-CPU caches: echo drain > cache"
show cache
echo drain > $P/cache
show free_lists

section "6. placement, exact sizes and growth through ctl"
echo "alloc 4K align=64K range=1M-2M topdown" > $P/ctl
echo "alloc_exact 100K" > $P/ctl
echo "# alloc 4K align=64K range=1M-2M topdown; alloc_exact 100K; cat ctl"
cat $P/ctl
if echo "grow 8M" > $P/ctl; then
	echo "# grow 8M"
	grep -E '^(size|max_size|chunks):' $P/stats
	echo "# shrink 8M"
	echo "shrink 8M" > $P/ctl
	grep -E '^(size|max_size|chunks):' $P/stats
else
	echo "# grow 8M refused: load with pool_max= to let the pool grow"
fi
# shellcheck disable=SC2013 # words, not lines, are wanted
for id in $(cut -d' ' -f1 $P/ctl); do
	echo "free $id" > $P/ctl
done

section "7. rmmod buddy"
rmmod buddy
klog 'buddy'
[ -e /sys/kernel/debug/buddy ] || echo "/sys/kernel/debug/buddy is gone"
t_ok demo
t_summary > /dev/null
