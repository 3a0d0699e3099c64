# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# Setup for `make shell`: load buddy.ko with the given parameters.
# shellcheck source=tests/vm/guest-lib.sh
. /root/guest-lib.sh

# shellcheck disable=SC2086
insmod /root/buddy.ko ${BUDDY_ARGS:-pool_size=16M}
cat <<'MSG'

buddy.ko is loaded. Try:
  cat /sys/kernel/debug/buddy/default/free_lists
  echo 'alloc 64K' > /sys/kernel/debug/buddy/default/ctl
  cat /sys/kernel/debug/buddy/default/map
  insmod /root/buddy_client.ko; rmmod buddy_client
Quit QEMU with Ctrl-A X.
MSG
