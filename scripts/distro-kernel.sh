#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetch Debian's stock kernel image matching installed headers, for "build
# against the distro headers, boot, insmod". FLAVOUR is 6.1, 6.12 or
# 6.12-rt. The package is downloaded, not installed (no initramfs or
# bootloader hooks run on this machine), and its vmlinuz is cached under
# $BUDDY_CACHE, with drm_buddy.ko and the modules it depends on (drm.ko),
# uncompressed, in modules/ beside it for `make bench`.
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
MODS=$DIR/modules
if [ ! -f "$DIR/arch/x86/boot/bzImage" ] || [ ! -f "$MODS/.complete" ]; then
	echo "distro-kernel: fetching linux-image-$REL" >&2
	rm -rf "${DIR:?}" && mkdir -p "$DIR/arch/x86/boot" "$MODS"
	(cd "$DIR" && apt-get download -q "linux-image-$REL" > /dev/null 2>&1)
	DEB=$(echo "$DIR"/linux-image-*.deb)
	dpkg-deb --fsys-tarfile "$DEB" |
		tar -x -C "$DIR" "./boot/vmlinuz-$REL"
	mv "$DIR/boot/vmlinuz-$REL" "$DIR/arch/x86/boot/bzImage"
	# The guest's insmod takes only plain .ko files (6.12 ships .ko.xz).
	# Module names use "_" where file names may use "-".
	declare -A want=([drm_buddy]=1)
	while [ ${#want[@]} -gt 0 ]; do
		pats=()
		for m in "${!want[@]}"; do
			pats+=("./lib/modules/$REL/kernel/*/${m//_/[_-]}.ko*")
		done
		# Only make bench needs them: a gap is no reason to fail here.
		if ! dpkg-deb --fsys-tarfile "$DEB" |
				tar -x -C "$DIR" --wildcards "${pats[@]}" 2> /dev/null; then
			echo "distro-kernel: warning: linux-image-$REL lacks" \
				"${!want[*]}" >&2
			break
		fi
		while read -r f; do
			b=$(basename "$f")
			b=${b//-/_}
			case "$b" in
			*.ko) mv "$f" "$MODS/$b" ;;
			*.ko.xz) xz -dc "$f" > "$MODS/${b%.xz}" ;;
			*) echo "distro-kernel: warning: cannot unpack $f" >&2
				break 2 ;;
			esac
		done < <(find "$DIR/lib" -name '*.ko*')
		rm -rf "${DIR:?}/lib"
		want=()
		for f in "$MODS"/*.ko; do
			for d in $(modinfo -F depends "$f" | tr , ' '); do
				[ -f "$MODS/$d.ko" ] || want[$d]=1
			done
		done
	done
	rm -rf "${DIR:?}/boot" "${DIR:?}/lib" "$DEB"
	touch "$MODS/.complete"
fi
ln -sfn "$TEST_TREE/usr" "$DIR/usr"
ln -sfn "$TEST_TREE/tools" "$DIR/tools"
echo "$HDRS"
echo "$DIR"
