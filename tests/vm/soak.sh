# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# Guest side of the soak test (make soak, and 60 s of it in make test):
# buddy_soak.ko hammers buddy.ko for SOAK_SECONDS (default 60) from
# kthreads and hard IRQ on several pools, while this script reads every
# debugfs file in a loop, allocates and frees through the default pool's
# ctl file, takes cpu1 and cpu2 offline and back, and turns on
# fail_buddy_alloc fault injection when buddy.ko has it. Then it checks
# the soak's result, that the default pool is whole again and consistent,
# and that nothing leaked. Boot with --smp 3.
#
# Environment: SOAK_SECONDS, SOAK_SEED (replay a run), SOAK_KMEMLEAK=0 to
# skip the kmemleak baseline and check, whose four scans take about 40 s
# under TCG (make test's 60 s stage does; make soak does not),
# REQUIRE_DEBUG=1 to fail where a test kernel lacks CPU hotplug,
# SOAK_HOTPLUG=0 to take no CPU offline.
# shellcheck source=tests/vm/guest-lib.sh
. /root/guest-lib.sh

D=/sys/kernel/debug/buddy
P=$D/default
FA=/sys/kernel/debug/fail_buddy_alloc
RES=/sys/kernel/debug/buddy_soak/result
CPUS=/sys/devices/system/cpu
SECS=${SOAK_SECONDS:-60}
STOP=/tmp/soak.stop

# field FILE KEY - value of "KEY: value" in a stats file
field() {
	sed -n "s/^$2: //p" "$1"
}

# Every file of every pool, pools coming and going, until told to stop.
readers() {
	local n=0

	while [ ! -e $STOP ]; do
		cat "$D"/*/* > /dev/null 2>&1
		n=$((n + 1))
	done
	echo $n > /tmp/readers.count
}

# Allocations of every ctl kind on the default pool, the oldest freed so
# that at most six stay live; now and then a grow or a shrink.
ctl_writer() {
	local n=0 i=0 cmd

	while [ ! -e $STOP ]; do
		for cmd in "alloc 4096" "alloc 12K align=64K" "alloc_exact 20K" \
				"alloc 8K topdown" "alloc 64K range=1M-8M"; do
			echo "$cmd" > $P/ctl 2>/dev/null && n=$((n + 1))
		done
		# shellcheck disable=SC2046
		set -- $(cut -d' ' -f1 $P/ctl)
		while [ $# -gt 6 ]; do
			echo "free $1" > $P/ctl 2>/dev/null && n=$((n + 1))
			shift
		done
		i=$((i + 1))
		case $((i % 20)) in
		0) echo "grow 4M" > $P/ctl 2>/dev/null && n=$((n + 1)) ;;
		10) echo "shrink 4M" > $P/ctl 2>/dev/null && n=$((n + 1)) ;;
		esac
	done
	echo $n > /tmp/ctl.count
}

# cpu1 and cpu2 offline and online again, in turn.
hotplug() {
	local n=0 c

	while [ ! -e $STOP ]; do
		for c in 1 2; do
			echo 0 > $CPUS/cpu$c/online && n=$((n + 1))
			sleep 1
			echo 1 > $CPUS/cpu$c/online
		done
		sleep 1
	done
	echo $n > /tmp/hotplug.count
}

assert_ok insmod /root/buddy.ko pool_size=16M pool_max=32M || {
	t_summary
	exit 1
}
kcsan_only buddy
KMEMLEAK=0
if [ "${SOAK_KMEMLEAK:-1}" = 1 ] && [ -e /sys/kernel/debug/kmemleak ]; then
	KMEMLEAK=1
	kmemleak_baseline
fi
assert_eq "CPUs online" 0-2 "$(cat $CPUS/online)"

HOTPLUG=0
if [ "${SOAK_HOTPLUG:-1}" = 0 ]; then
	echo "note: SOAK_HOTPLUG=0, the soak runs without CPU hotplug"
elif [ -w $CPUS/cpu1/online ] && [ -w $CPUS/cpu2/online ]; then
	HOTPLUG=1
elif [ -n "${REQUIRE_DEBUG:-}" ]; then
	t_fail "CPU hotplug" "no $CPUS/cpu1/online on a test kernel"
else
	echo "note: no CPU hotplug, the soak runs without it"
fi

FAULTS=0
if [ -d $FA ]; then
	FAULTS=1
	echo 0 > $FA/verbose
	echo 0 > $FA/space
	echo -1 > $FA/times
	echo 1 > $FA/interval
	echo 1 > $FA/probability
	assert_eq "fault injection on" 1 "$(cat $FA/probability)"
else
	echo "note: no $FA, the soak runs without fault injection"
fi

rm -f $STOP
assert_ok insmod /root/buddy_soak.ko seconds="$SECS" ${SOAK_SEED:+seed=$SOAK_SEED} ||
	{ t_summary; exit 1; }
readers &
ctl_writer &
[ $HOTPLUG -eq 1 ] && hotplug &

# The soak ends on its own after SECS; allow it two minutes to wind down.
waited=0
while [ "$(head -1 $RES)" = running ] && [ $waited -lt $((SECS + 120)) ]; do
	sleep 2
	waited=$((waited + 2))
done
touch $STOP
wait
[ $FAULTS -eq 1 ] && echo 0 > $FA/probability
for c in 1 2; do
	[ $HOTPLUG -eq 1 ] && echo 1 > $CPUS/cpu$c/online 2>/dev/null
done

line=$(head -1 $RES)
ktap "# soak: $line"
ktap "# soak: $(sed -n 2p $RES)"
ktap "# soak: meanwhile $(cat /tmp/readers.count) passes over every debugfs file," \
	"$(cat /tmp/ctl.count) ctl commands," \
	"$(cat /tmp/hotplug.count 2>/dev/null || echo 0) CPU offlines," \
	"fault injection $([ $FAULTS -eq 1 ] && echo on || echo absent)," \
	"kmemleak $([ $KMEMLEAK -eq 1 ] && echo checked || echo skipped)"
case "$line" in
ok\ *) t_ok "soak result: $line" ;;
*) t_fail "soak result" "$line" ;;
esac
assert_ok test "$(cat /tmp/readers.count)" -gt 0
assert_ok test "$(cat /tmp/ctl.count)" -gt 0
[ $HOTPLUG -eq 1 ] && assert_ok test "$(cat /tmp/hotplug.count)" -gt 0
assert_eq "CPUs online again" 0-2 "$(cat $CPUS/online)"
assert_eq "soak pools gone" default "$(ls $D)"

# Free what ctl holds; then the default pool must be whole again.
cut -d' ' -f1 $P/ctl | while read -r id; do
	echo "free $id" > $P/ctl
done
assert_eq "ctl blocks freed" "" "$(cat $P/ctl)"
assert_ok sh -c "echo drain > $P/cache"
assert_eq "default: nothing allocated" 0 "$(field $P/stats allocated)"
assert_eq "default: nothing cached" 0 "$(field $P/stats cached)"
assert_eq "default: allocs == frees" "$(field $P/stats allocs)" \
	"$(field $P/stats frees)"
assert_eq "default: no bad frees" 0 "$(field $P/stats bad_frees)"
assert_eq "default: no corruptions" 0 "$(field $P/stats corruptions)"
assert_eq "default: check" ok "$(cat $P/check)"
assert_ok sh -c "echo 'shrink 32M' > $P/ctl"
assert_eq "default: back to 16M" 16777216 "$(field $P/stats size)"

assert_ok rmmod buddy_soak
[ $KMEMLEAK -eq 1 ] && kmemleak_check "kmemleak after the soak"
assert_ok rmmod buddy
t_summary
