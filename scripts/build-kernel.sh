#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build a small x86_64 test kernel from Debian's linux-source-VERSION with
# the config fragments in scripts/kconfig/, cached under $BUDDY_CACHE and
# keyed by the package's version and a hash of the fragments and RECIPE.
# FLAVOUR is 6.1 or 6.12 (KASAN, lockdep, kmemleak, UBSAN), or 6.12-kcsan
# (the same without KASAN, with KCSAN). The last line printed is the
# absolute path of the build tree.
set -euo pipefail

FLAVOUR=${1:?usage: build-kernel.sh FLAVOUR (6.1, 6.12 or 6.12-kcsan)}
VER=${FLAVOUR%%-*}
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${BUDDY_CACHE:-$HOME/.cache/buddy}
JOBS=${JOBS:-$(nproc)}

TARBALL=/usr/src/linux-source-$VER.tar.xz
[ -f "$TARBALL" ] || { echo "build-kernel: $TARBALL not found" >&2; exit 1; }
PKGVER=$(dpkg-query -W -f='${Version}' "linux-source-$VER")
# Bump when the way the tree is configured or built changes.
RECIPE=1
fragment() {
	cat "$HERE/kconfig/base.config"
	case $FLAVOUR in
	"$VER") cat "$HERE/kconfig/debug.config" ;;
	"$VER"-kcsan)
		grep -v '^CONFIG_KASAN' "$HERE/kconfig/debug.config"
		cat "$HERE/kconfig/kcsan.config" ;;
	*) echo "build-kernel: unknown flavour $FLAVOUR" >&2; return 1 ;;
	esac
}
fragment > /dev/null || exit 1
HASH=$( (echo "recipe $RECIPE"; fragment) | sha256sum | cut -c1-12)
KEY="linux-$FLAVOUR-$PKGVER-$HASH"
TREE="$CACHE/$KEY/linux-source-$VER"
STAMP="$CACHE/$KEY/.built"
LOG="$CACHE/$KEY/build.log"

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock-$FLAVOUR"
flock 9

if [ ! -f "$STAMP" ]; then
	rm -rf "${CACHE:?}/${KEY:?}"
	mkdir -p "$CACHE/$KEY"
	echo "build-kernel: building $KEY (log: $LOG)" >&2
	tar -C "$CACHE/$KEY" -xf "$TARBALL"
	frag="$CACHE/$KEY/fragment.config"
	fragment > "$frag"
	{
		make -C "$TREE" ARCH=x86_64 tinyconfig
		(cd "$TREE" && ARCH=x86_64 scripts/kconfig/merge_config.sh \
			-m .config "$frag")
		make -C "$TREE" ARCH=x86_64 olddefconfig
	} >"$LOG" 2>&1
	# merge_config only warns when a symbol is dropped; a dropped
	# checker would silently weaken every test, so refuse instead.
	bad=$(grep '^CONFIG_' "$frag" | grep -vxFf "$TREE/.config"
		sed -n 's/^# \(CONFIG_[A-Z0-9_]*\) is not set$/^\1=/p' "$frag" |
			grep -f - "$TREE/.config" || true)
	[ -z "$bad" ] || { echo "build-kernel: not applied: $bad" >&2; exit 1; }
	if ! make -C "$TREE" ARCH=x86_64 -j"$JOBS" bzImage modules \
			>>"$LOG" 2>&1; then
		tail -40 "$LOG" >&2
		echo "build-kernel: build failed, see $LOG" >&2
		exit 1
	fi
	touch "$STAMP"
	# Drop trees of this version built from older sources or configs.
	for old in "$CACHE"/linux-"$FLAVOUR"-[0-9]*; do
		[ "$old" = "$CACHE/$KEY" ] || rm -rf "$old"
	done
fi
echo "$TREE"
