#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetch Debian's stock kernel image matching installed headers, for "build
# against the distro headers, boot, insmod". FLAVOUR is 6.1, 6.12 or
# 6.12-rt. The package is downloaded, not installed (no initramfs or
# bootloader hooks run on this machine), and its vmlinuz is cached under
# $BUDDY_CACHE (make bench adds the stock modules it loads, in modules/).
#
# Prints two lines: the headers directory to build against, and a
# directory laid out like a kernel tree (arch/x86/boot/bzImage, plus usr/
# and tools/ borrowed from the 6.1 test kernel) that qemu-run.sh accepts.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${BUDDY_CACHE:-$HOME/.cache/buddy}
FLAVOUR=${1:?usage: distro-kernel.sh 6.1|6.12|6.12-rt}

case "$FLAVOUR" in
6.1) pattern='/usr/src/linux-headers-6.1.*-amd64' ;;
6.12) pattern='/usr/src/linux-headers-6.12.*[0-9]-amd64' ;;
6.12-rt) pattern='/usr/src/linux-headers-6.12.*-rt-amd64' ;;
*) echo "distro-kernel: unknown flavour $FLAVOUR" >&2; exit 2 ;;
esac
HDRS=
for h in $pattern; do
	[ -f "$h/Makefile" ] && HDRS=$h
done
[ -n "$HDRS" ] || { echo "distro-kernel: no headers for $FLAVOUR" >&2; exit 1; }
REL=${HDRS#/usr/src/linux-headers-}
DIR=$CACHE/distro-$REL
TEST_TREE=$(bash "$HERE/build-kernel.sh" 6.1 | tail -1)

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock-distro-$REL"
flock 9
if [ ! -f "$DIR/arch/x86/boot/bzImage" ]; then
	echo "distro-kernel: fetching linux-image-$REL" >&2
	rm -rf "${DIR:?}" && mkdir -p "$DIR/arch/x86/boot"
	(cd "$DIR" && apt-get download -q "linux-image-$REL" > /dev/null 2>&1)
	dpkg-deb --fsys-tarfile "$DIR"/linux-image-*.deb |
		tar -xO "./boot/vmlinuz-$REL" > "$DIR/arch/x86/boot/bzImage.tmp"
	mv "$DIR/arch/x86/boot/bzImage.tmp" "$DIR/arch/x86/boot/bzImage"
	rm -f "$DIR"/linux-image-*.deb
fi
ln -sfn "$TEST_TREE/usr" "$DIR/usr"
ln -sfn "$TEST_TREE/tools" "$DIR/tools"
echo "$HDRS"
echo "$DIR"
