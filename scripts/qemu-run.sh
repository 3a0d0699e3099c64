#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot a test kernel in QEMU (TCG) with a busybox initramfs and run one
# guest script; its results come back as one KTAP document.
#
# Usage: qemu-run.sh [options] KDIR GUEST_SCRIPT [FILE...]
#
# /init (tests/vm/init.sh) runs GUEST_SCRIPT (with tests/vm/guest-lib.sh)
# as subtest 1, ending with a check of its exit status, then
# tests/vm/judge.awk on the whole kernel log as subtest 2 "kernel", and
# does `reboot -f`. The results have a serial port of their own: ttyS0 is
# the console (the kernel's printk and the programs' output, which can
# cut into each other's lines), ttyS1 carries only KTAP, written whole by
# guest-lib.sh's ktap(), into a file that is the boot's document. No
# oops=panic: an Oops kills only its process, and the judge fails it.
#
# Options: --log FILE (console log; default a temp file), --ktap FILE
# (default LOG.ktap), --timeout SECS (300), --mem SIZE (1G), --smp N (2),
# --accel SPEC (tcg), --append ARGS, --env NAME=VALUE and --qemu ARGS
# (more QEMU arguments, split at spaces, such as "-device edu"; all three
# may be repeated), --quiet (no console on stdout), --shell (run GUEST_SCRIPT,
# or "-" for none, then a shell on the console; Ctrl-A X quits).
#
# Exit status: 0 iff the document is whole (ends with subtest 2's
# result), no result line is missing and none is "not ok"; 124 on
# timeout; 2 on a usage error.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=scripts/host-lib.sh
. "$HERE/host-lib.sh"
LOG="" KTAP="" TIMEOUT=300 MEM=1G SMP=2 ACCEL=tcg QUIET=0 SHELL_MODE=0
APPEND=() ENVS=() QEMU_ARGS=()
usage() { sed -n '3,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--log) LOG=${2:?}; shift 2 ;;
	--ktap) KTAP=${2:?}; shift 2 ;;
	--timeout) TIMEOUT=${2:?}; shift 2 ;;
	--mem) MEM=${2:?}; shift 2 ;;
	--smp) SMP=${2:?}; shift 2 ;;
	--accel) ACCEL=${2:?}; shift 2 ;;
	--append) APPEND+=("${2:?}"); shift 2 ;;
	--qemu) read -ra more <<< "${2:?}"; QEMU_ARGS+=("${more[@]}"); shift 2 ;;
	--env) [[ ${2:-} == [A-Za-z_]*=* ]] || usage; ENVS+=("$2"); shift 2 ;;
	--quiet) QUIET=1; shift ;;
	--shell) SHELL_MODE=1; shift ;;
	-*) usage ;;
	*) break ;;
	esac
done
{ [ $# -ge 2 ] && [[ $TIMEOUT =~ ^[0-9]+$ ]]; } || usage
KDIR=$(cd "$1" && pwd) SCRIPT=$2
shift 2
[ "$SCRIPT" = - ] && [ $SHELL_MODE -eq 1 ] && SCRIPT=
for f in "$KDIR/arch/x86/boot/bzImage" ${SCRIPT:+"$SCRIPT"} "$@"; do
	[ -f "$f" ] || { echo "qemu-run: no file $f" >&2; exit 2; }
done
! readelf -l /bin/busybox | grep -q interpreter ||
	{ echo "qemu-run: /bin/busybox is not static (busybox-static)" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/qemu-run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
LOG=${LOG:-$(mktemp "${TMPDIR:-/tmp}/qemu-run-log.XXXXXX")}
KTAP=${KTAP:-$LOG.ktap}

# gen_init_cpio builds the archive from a list: no root, no fakeroot.
GEN=$KDIR/usr/gen_init_cpio
[ -x "$GEN" ] || { GEN=$WORK/gen; cc -O2 -o "$GEN" "$KDIR/usr/gen_init_cpio.c"; }
cc -static -O2 -o "$WORK/insmod" "$ROOT/tests/vm/insmod.c"
for env in "BUDDY_TEST_NAME=$(basename "${SCRIPT:-shell}" .sh)" "${ENVS[@]}"; do
	printf 'export %s=%q\n' "${env%%=*}" "${env#*=}"
done > "$WORK/env"
{
	printf 'dir /%s 0755 0 0\n' dev bin sbin usr usr/bin usr/sbin proc sys \
		root tmp etc lib lib/modules
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "nod /dev/null 0666 0 0 c 1 3"
	echo "file /bin/busybox /bin/busybox 0755 0 0"
	/bin/busybox --list-full | grep -vxE 'bin/busybox|sbin/insmod' |
		sed 's|.*|slink /& /bin/busybox 0777 0 0|'
	echo "file /sbin/insmod $WORK/insmod 0755 0 0"
	echo "file /init $ROOT/tests/vm/init.sh 0755 0 0"
	echo "file /etc/buddy-env $WORK/env 0644 0 0"
	[ $SHELL_MODE -eq 1 ] && echo "file /etc/buddy-shell /dev/null 0644 0 0"
	for f in "$ROOT/tests/vm/guest-lib.sh" "$ROOT/tests/vm/judge.awk" "$@"; do
		echo "file /root/$(basename "$f") $(realpath "$f") 0644 0 0"
	done
	[ -n "$SCRIPT" ] && echo "file /root/test.sh $(realpath "$SCRIPT") 0755 0 0"
} > "$WORK/cpio.list"
"$GEN" "$WORK/cpio.list" > "$WORK/initramfs.cpio"

# devkmsg=on: no rate limit on guest-lib.sh's markers; log_buf_len: the judge
# reads the whole boot's log from the ring buffer.
QEMU=(qemu-system-x86_64 -accel "$ACCEL" -smp "$SMP" -m "$MEM"
	-nodefaults -display none -vga none -no-reboot
	-kernel "$KDIR/arch/x86/boot/bzImage" -initrd "$WORK/initramfs.cpio"
	-append "console=ttyS0 panic=-1 kmemleak=on printk.devkmsg=on log_buf_len=32M ${APPEND[*]}"
	${QEMU_ARGS[@]+"${QEMU_ARGS[@]}"})
if [ $SHELL_MODE -eq 1 ]; then
	# signal=off hands Ctrl-C to the guest; the mux gives Ctrl-A X.
	"${QEMU[@]}" -chardev "stdio,id=con,mux=on,signal=off,logfile=$LOG" \
		-serial chardev:con -mon chardev=con,mode=readline || true
	exit 0
fi

# A kernel that dies before /init (seen once: an int3 oops as 6.12-rt
# patched a static key) ran none of our code: boot once more.
for attempt in 1 2; do
	set +e
	# ttyS0 the console, ttyS1 the results (QEMU truncates the file).
	timeout -k 10 "$TIMEOUT" "${QEMU[@]}" -serial stdio \
		-chardev "file,id=ktap,path=$KTAP" -serial chardev:ktap \
		-monitor none < /dev/null 2>&1 | if [ $QUIET -eq 1 ]; then
			cat > "$LOG"; else tee "$LOG"; fi
	qrc=${PIPESTATUS[0]}
	set -e
	if [ $attempt -eq 2 ] || [ -s "$KTAP" ] ||
			! grep -qE 'Kernel panic|Oops' "$LOG"; then
		break
	fi
	echo "qemu-run: the kernel died before /init ran; booting again" >&2
	mv "$LOG" "$LOG.early"
done
case $qrc in 124|137)
	echo "qemu-run: TIMEOUT after ${TIMEOUT}s, log: $LOG" >&2; exit 124 ;; esac
lost=0
ktap_lost "$KTAP" && lost=1
if ktap_whole "$KTAP" && [ $lost -eq 0 ] && ! grep -q 'not ok' "$KTAP"; then
	echo "qemu-run: PASS, log: $LOG" >&2
	exit 0
fi
[ $lost -eq 0 ] || echo "qemu-run: a result line is missing" >&2
echo "qemu-run: FAIL, log: $LOG, KTAP: $KTAP" >&2
exit 1
