#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot a test kernel in QEMU (TCG) with a busybox initramfs, run one guest
# script and judge the console log with scripts/check-log.py.
#
# Usage: qemu-run.sh [options] KDIR GUEST_SCRIPT [FILE...]
#
# The initramfs holds a static busybox, /init, a static single-shot
# /sbin/insmod (tests/vm/insmod.c), tests/vm/lib.sh as /root/lib.sh,
# GUEST_SCRIPT as /root/test.sh and each FILE as /root/<basename>.
# /init mounts proc, sysfs, devtmpfs and debugfs, runs `sh /root/test.sh`
# in /root with stdin from /dev/null, writes `BUDDY-VM-DONE rc=<status>`
# to /dev/kmsg and does `reboot -f`; -no-reboot then ends QEMU.
#
# Options:
#   --log FILE       console log (default: a temp file, kept and named
#                    at the end)
#   --timeout SECS   hard limit for the whole boot (default 300)
#   --mem SIZE       guest memory (default 1G)
#   --smp N          guest CPUs (default 2)
#   --accel SPEC     QEMU -accel argument (default tcg); e.g.
#                    tcg,thread=multi for one host thread per vCPU
#   --append ARGS    extra kernel command line; may be repeated
#   --env NAME=VAL   exported to the guest script; may be repeated
#   --quiet          do not stream the console to stdout
#   --expect-kunit   fail unless KUnit results are in the log
#   --no-check       only require the BUDDY-VM-DONE rc=0 marker
#   --shell          interactive: run GUEST_SCRIPT (may be "-" for none)
#                    as a setup script, then give a busybox shell on the
#                    serial console; no timeout; Ctrl-A X quits QEMU
#
# Kernel command line: console=ttyS0 panic=-1 kmemleak=on
# printk.devkmsg=on (no rate limit on the /dev/kmsg markers), then each
# --append. QEMU: -accel tcg (or --accel's) -nodefaults -no-reboot,
# serial on stdio.
#
# Oops handling: the command line has no oops=panic, so an Oops kills
# only the guest process that hit it and the script goes on; check-log.py
# still fails the run on the Oops line. A guest that hangs after an Oops
# is caught by the timeout. Pass --append oops=panic to stop at the first
# Oops instead (panic=-1 then reboots, which ends QEMU at once).
#
# Exit status: 0 only if the marker `BUDDY-VM-DONE rc=0` appears and
# check-log.py passes; 124 if the timeout fired; 1 otherwise; 2 on a
# usage error.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)

usage() {
	sed -n '3,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2
	exit 2
}

LOG=
TIMEOUT=300
MEM=1G
SMP=2
ACCEL=tcg
APPEND=()
ENVS=()
QUIET=0
SHELL_MODE=0
CHECK=1
CHECK_OPTS=()

while [ $# -gt 0 ]; do
	case "$1" in
	--log) LOG=${2:?--log needs a file}; shift 2 ;;
	--timeout) TIMEOUT=${2:?--timeout needs seconds}; shift 2 ;;
	--mem) MEM=${2:?--mem needs a size}; shift 2 ;;
	--smp) SMP=${2:?--smp needs a number}; shift 2 ;;
	--accel) ACCEL=${2:?--accel needs a spec}; shift 2 ;;
	--append) APPEND+=("${2?--append needs arguments}"); shift 2 ;;
	--env)
		case "${2:-}" in
		[A-Za-z_]*=*) ENVS+=("$2") ;;
		*) echo "qemu-run: --env needs NAME=VALUE" >&2; exit 2 ;;
		esac
		shift 2
		;;
	--quiet) QUIET=1; shift ;;
	--expect-kunit) CHECK_OPTS+=(--expect-kunit); shift ;;
	--no-check) CHECK=0; shift ;;
	--shell) SHELL_MODE=1; shift ;;
	-h|--help) usage ;;
	--) shift; break ;;
	-*) echo "qemu-run: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -ge 2 ] || usage
KDIR=$(cd "$1" && pwd)
SCRIPT=$2
shift 2

case "$TIMEOUT" in
''|*[!0-9]*) echo "qemu-run: bad --timeout $TIMEOUT" >&2; exit 2 ;;
esac
BZIMAGE=$KDIR/arch/x86/boot/bzImage
[ -f "$BZIMAGE" ] || { echo "qemu-run: no $BZIMAGE" >&2; exit 2; }
if [ "$SCRIPT" = - ] || [ -z "$SCRIPT" ]; then
	[ $SHELL_MODE -eq 1 ] ||
		{ echo "qemu-run: a guest script is required" >&2; exit 2; }
	SCRIPT=
elif [ ! -f "$SCRIPT" ]; then
	echo "qemu-run: no guest script $SCRIPT" >&2
	exit 2
fi
for f in "$@"; do
	[ -f "$f" ] || { echo "qemu-run: no file $f" >&2; exit 2; }
done

BUSYBOX=/bin/busybox
if readelf -l "$BUSYBOX" | grep -q 'program interpreter'; then
	echo "qemu-run: $BUSYBOX is not static (busybox-static)" >&2
	exit 2
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/qemu-run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

if [ -z "$LOG" ]; then
	LOG=$(mktemp "${TMPDIR:-/tmp}/qemu-run-log.XXXXXX")
fi
: > "$LOG"

# --- initramfs -------------------------------------------------------------

# gen_init_cpio builds the archive from a list, so device nodes and
# ownership need no root and no fakeroot.
GEN=$KDIR/usr/gen_init_cpio
if [ ! -x "$GEN" ]; then
	GEN=$WORK/gen_init_cpio
	cc -O2 -o "$GEN" "$KDIR/usr/gen_init_cpio.c"
fi
cc -static -O2 -o "$WORK/insmod" "$ROOT/tests/vm/insmod.c"

{
	for env in "${ENVS[@]}"; do
		printf 'export %s=%q\n' "${env%%=*}" "${env#*=}"
	done
} > "$WORK/env"

cat > "$WORK/init" <<'EOF'
#!/bin/busybox sh
# Written by scripts/qemu-run.sh.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
. /etc/buddy-env
cd /root
# The markers go through /dev/kmsg: the kernel writes them to the
# console in order with its own messages and before reboot -f.
echo "BUDDY-VM-INIT" > /dev/kmsg
if [ -e /etc/buddy-shell ]; then
	if [ -f /root/test.sh ]; then
		sh /root/test.sh
		echo "BUDDY-VM-SETUP rc=$?" > /dev/kmsg
	fi
	echo "BUDDY-VM-SHELL (exit the shell to power off)" > /dev/kmsg
	# ENV makes the interactive shell source lib.sh (its insmod too).
	ENV=/root/lib.sh setsid cttyhack sh
else
	sh /root/test.sh < /dev/null
	echo "BUDDY-VM-DONE rc=$?" > /dev/kmsg
fi
reboot -f
EOF

{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "nod /dev/null 0666 0 0 c 1 3"
	for d in /bin /sbin /usr /usr/bin /usr/sbin /proc /sys /root /tmp \
			/etc /lib /lib/modules; do
		echo "dir $d 0755 0 0"
	done
	echo "file /bin/busybox $BUSYBOX 0755 0 0"
	"$BUSYBOX" --list-full | while read -r applet; do
		case "$applet" in bin/busybox|sbin/insmod) continue ;; esac
		echo "slink /$applet /bin/busybox 0777 0 0"
	done
	echo "file /sbin/insmod $WORK/insmod 0755 0 0"
	echo "file /init $WORK/init 0755 0 0"
	echo "file /etc/buddy-env $WORK/env 0644 0 0"
	[ $SHELL_MODE -eq 1 ] && echo "file /etc/buddy-shell /dev/null 0644 0 0"
	echo "file /root/lib.sh $ROOT/tests/vm/lib.sh 0644 0 0"
	[ -n "$SCRIPT" ] && echo "file /root/test.sh $(realpath "$SCRIPT") 0755 0 0"
	for f in "$@"; do
		echo "file /root/$(basename "$f") $(realpath "$f") 0644 0 0"
	done
} > "$WORK/cpio.list"
"$GEN" "$WORK/cpio.list" > "$WORK/initramfs.cpio"

# --- boot ------------------------------------------------------------------

CMDLINE="console=ttyS0 panic=-1 kmemleak=on printk.devkmsg=on"
for a in "${APPEND[@]}"; do
	CMDLINE="$CMDLINE $a"
done

QEMU=(qemu-system-x86_64 -accel "$ACCEL" -smp "$SMP" -m "$MEM"
	-nodefaults -display none -vga none -no-reboot
	-kernel "$BZIMAGE" -initrd "$WORK/initramfs.cpio"
	-append "$CMDLINE")

if [ $SHELL_MODE -eq 1 ]; then
	# signal=off hands Ctrl-C to the guest; the mux gives Ctrl-A X.
	"${QEMU[@]}" -chardev "stdio,id=con,mux=on,signal=off,logfile=$LOG" \
		-serial chardev:con -mon chardev=con,mode=readline || true
	echo "qemu-run: console log in $LOG" >&2
	exit 0
fi

# A kernel that dies before /init runs (seen once: an int3 oops while
# 6.12-rt patched a static key at boot under TCG) ran none of our code:
# boot once more, keeping the first log as LOG.early.
start=$(date +%s)
for attempt in 1 2; do
	set +e
	if [ $QUIET -eq 1 ]; then
		timeout -k 10 "$TIMEOUT" "${QEMU[@]}" -serial stdio \
			-monitor none < /dev/null > "$LOG" 2>&1
		qrc=$?
	else
		timeout -k 10 "$TIMEOUT" "${QEMU[@]}" -serial stdio \
			-monitor none < /dev/null 2>&1 | tee "$LOG"
		qrc=${PIPESTATUS[0]}
		echo	# the console's last line has no newline
	fi
	set -e
	if [ $attempt -eq 2 ] || grep -q 'BUDDY-VM-INIT' "$LOG" ||
			! grep -qE 'Kernel panic|Oops' "$LOG"; then
		break
	fi
	echo "qemu-run: the kernel died before /init ran; booting again" >&2
	mv "$LOG" "$LOG.early"
done
secs=$(( $(date +%s) - start ))

rc=0
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	echo "qemu-run: TIMEOUT: guest killed after ${TIMEOUT}s" >&2
	rc=124
elif [ "$qrc" -ne 0 ]; then
	echo "qemu-run: qemu exited with status $qrc" >&2
	rc=1
fi
if [ $CHECK -eq 1 ]; then
	"$HERE/check-log.py" --kunit "$KDIR" "${CHECK_OPTS[@]}" "$LOG" >&2 ||
		{ [ $rc -ne 0 ] || rc=1; }
elif ! tr -d '\r' < "$LOG" | grep -q 'BUDDY-VM-DONE rc=0$'; then
	echo "qemu-run: no BUDDY-VM-DONE rc=0 marker" >&2
	[ $rc -ne 0 ] || rc=1
fi
echo "qemu-run: $([ $rc -eq 0 ] && echo PASS || echo FAIL)" \
	"in ${secs}s, log: $LOG" >&2
exit $rc
