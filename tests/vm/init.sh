#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# /init of the test guest (scripts/qemu-run.sh puts it in the initramfs):
# run /root/test.sh as subtest 1 of the boot's KTAP, ending with a check
# of its exit status, then tests/vm/judge.awk on the whole kernel log as
# subtest 2 "kernel", and reboot. /etc/buddy-env sets BUDDY_TEST_NAME (the
# subtest's name) and the script's environment; with /etc/buddy-shell,
# run test.sh if any, then a shell on the console, and no KTAP port.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
# shellcheck source=/dev/null
. /etc/buddy-env
cd /root || reboot -f
if [ -e /etc/buddy-shell ]; then
	export KTAP_OUT=/dev/console
	[ -f test.sh ] && sh test.sh
	ENV=/root/guest-lib.sh setsid cttyhack sh
	reboot -f
fi
# shellcheck source=tests/vm/guest-lib.sh
. /root/guest-lib.sh
# The result port: held open until the end, so that no ktap() is its
# last close; raw, so that each line arrives as written.
if [ ! -c "$KTAP_OUT" ]; then
	echo "init: no result port $KTAP_OUT"
	reboot -f
fi
exec 3> "$KTAP_OUT"
stty -F "$KTAP_OUT" raw -echo clocal
KTAP_IND=
for l in "KTAP version 1" 1..2 "    KTAP version 1" \
		"    # Subtest: $BUDDY_TEST_NAME"; do
	ktap "$l"
done
sh test.sh < /dev/null 3>&-
rc=$?
KTAP_IND="    "
if [ $rc -eq 0 ]; then
	t_ok "exit status 0"
else
	t_fail "exit status 0" "status $rc"
fi
KTAP_IND=
ktap "ok 1 $BUDDY_TEST_NAME"
dmesg -r | awk -f judge.awk > /tmp/judge
while IFS= read -r l; do
	ktap "    $l"
done < /tmp/judge
if grep -q '^not ok' /tmp/judge; then
	ktap "not ok 2 kernel"
else
	ktap "ok 2 kernel"
fi
# The port's last close waits until the UART has sent everything.
exec 3>&-
reboot -f
