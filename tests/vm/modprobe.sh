# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# Guest side of the DKMS stage of `make test` (scripts/dkms.sh test):
# unpack the host's DKMS-installed, depmod-ed module tree
# (/root/modules.tar) under /lib/modules, then load buddy the way a user
# would: modprobe with a parameter, the version it reports, options from
# /etc/modprobe.d, and modprobe -r. BUDDY_KREL and BUDDY_VERSION come from
# the host.
# shellcheck source=tests/vm/guest-lib.sh source-path=SCRIPTDIR/../..
. /root/guest-lib.sh

K=$(uname -r)
S=/sys/kernel/debug/buddy/default/stats

# pool_size - the default pool's "size:" line from debugfs
pool_size() {
	sed -n 's/^size: //p' "$S"
}

assert_eq "guest runs the DKMS target kernel" "$BUDDY_KREL" "$K"
mkdir -p /lib/modules
assert_ok tar -xf /root/modules.tar -C /lib/modules || { t_summary; exit; }
# 6.12's DKMS install is buddy.ko.xz, which busybox modprobe also loads.
assert_ok ls "/lib/modules/$K/updates/dkms/buddy.ko"*

assert_ok modprobe buddy pool_size=8M
assert_eq "modprobe buddy pool_size=8M: pool size" 8388608 "$(pool_size)"
assert_eq "/sys/module/buddy/version" "$BUDDY_VERSION" \
	"$(cat /sys/module/buddy/version)"
assert_eq "modinfo -F version buddy" "$BUDDY_VERSION" \
	"$(modinfo -F version buddy)"
assert_ok modprobe -r buddy
assert_fails test -d /sys/module/buddy

mkdir -p /etc/modprobe.d
echo "options buddy pool_size=12M" > /etc/modprobe.d/buddy.conf
assert_ok modprobe buddy
assert_eq "options from /etc/modprobe.d: pool size" 12582912 "$(pool_size)"
assert_ok modprobe -r buddy
assert_fails test -d /sys/module/buddy
rm /etc/modprobe.d/buddy.conf

t_summary
