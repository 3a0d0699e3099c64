#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# buddy under DKMS: `make dkms`, `make dkms-remove` and a `make test` stage.
#
# Usage: dkms.sh install KDIR   copy the sources to <src>/buddy-VERSION,
#                               then dkms add, build and install for the
#                               kernel release of KDIR
#        dkms.sh remove         dkms remove --all and delete those sources
#        dkms.sh test FLAVOUR   Debian stock kernel FLAVOUR (6.1, 6.12):
#                               DKMS build in a throwaway tree under $OUT,
#                               depmod -b, boot it, modprobe in the guest
#                               (tests/vm/modprobe.sh); KTAP in
#                               $OUT/dkms-FLAVOUR/dkms.ktap, then one
#                               line `N passed, N failed`
#
# With DKMS_ROOT=DIR, install and remove use DIR/usr/src, DIR/var/lib/dkms
# and DIR/lib/modules instead of the real ones, leave the module unsigned
# and run `depmod -b DIR`, so nothing outside DIR changes; test always
# does that. Without it they act on the running system (root needed),
# and DKMS signs the module and runs depmod as usual.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=scripts/host-lib.sh
. "$HERE/host-lib.sh"
VERSION=$(sed -n 's/^MODULE_VERSION("\(.*\)");/\1/p' "$ROOT/buddy_mod.c")
[ -n "$VERSION" ] || { echo "dkms: no MODULE_VERSION in buddy_mod.c" >&2; exit 1; }
MOD=buddy/$VERSION
ARCH=$(uname -m)

# Set by set_trees from DKMS_ROOT.
SRCTREE=/usr/src
DKMSTREE=/var/lib/dkms
DOPTS=()

set_trees() {
	local r=${DKMS_ROOT:-}

	[ -n "$r" ] || return 0
	mkdir -p "$r"
	r=$(cd "$r" && pwd)
	SRCTREE=$r/usr/src
	DKMSTREE=$r/var/lib/dkms
	mkdir -p "$SRCTREE" "$DKMSTREE" "$r/lib/modules"
	DOPTS=(--dkmstree "$DKMSTREE" --sourcetree "$SRCTREE"
		--installtree "$r/lib/modules" --no-depmod)
	# Otherwise Debian's dkms creates /var/lib/dkms/mok.key to sign with.
	export sign_file=/nonexistent
}

# What DKMS builds from, relative to ROOT. /usr/src/buddy-VERSION may
# also hold `make install`'s include/buddy.h and KREL/Module.symvers.
SOURCES=(Kbuild Makefile dkms.conf include/buddy.h scripts/dkms-post-build.sh)

# copy_sources DIR: the sources as DIR/buddy-VERSION.
copy_sources() {
	local d=$1/buddy-$VERSION f

	clean_sources "$d"
	mkdir -p "$d"
	for f in "${SOURCES[@]}" $(cd "$ROOT" && echo ./*.c ./*.h); do
		case "$f" in *.mod.c) continue ;; esac	# build output
		install -D -m "$(stat -c %a "$ROOT/$f")" "$ROOT/$f" "$d/$f"
	done
}

# clean_sources DIR: undo copy_sources, but keep the header while a
# `make install` Module.symvers beside it still needs it.
clean_sources() {
	local d=$1

	[ -d "$d" ] || return 0
	rm -f "$d"/Kbuild "$d"/Makefile "$d"/dkms.conf "$d"/*.c "$d"/*.h \
		"$d"/scripts/dkms-post-build.sh
	ls "$d"/*/Module.symvers > /dev/null 2>&1 || rm -f "$d"/include/buddy.h
	rmdir "$d"/scripts "$d"/include "$d" 2> /dev/null || true
}

# krel KDIR: the kernel release those headers are for. Not
# include/config/kernel.release: Debian's 6.1 headers have "6.1.192" there.
krel() {
	sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
		"$1/include/generated/utsrelease.h"
}

# added: is buddy/VERSION in the DKMS tree? (Not `| grep -q`: with
# pipefail, dkms's SIGPIPE would make it fail.)
added() {
	[ -n "$(dkms status "$MOD" "${DOPTS[@]}" 2> /dev/null)" ]
}

do_install() {
	local kdir=$1 k r=${DKMS_ROOT:-}

	k=$(krel "$kdir")
	set_trees
	[ -z "$r" ] || mkdir -p "$r/lib/modules/$k"
	copy_sources "$SRCTREE"
	# Again for another kernel, or after a source change: --force rebuilds.
	added || dkms add "$MOD" "${DOPTS[@]}"
	dkms build "$MOD" -k "$k" --kernelsourcedir "$kdir" --force "${DOPTS[@]}"
	dkms install "$MOD" -k "$k" --kernelsourcedir "$kdir" --force "${DOPTS[@]}"
	if [ -n "$r" ]; then
		# depmod wants these from the kernel package; they may be empty.
		for f in modules.order modules.builtin modules.builtin.modinfo; do
			[ -e "$r/lib/modules/$k/$f" ] || : > "$r/lib/modules/$k/$f"
		done
		depmod -b "$r" "$k"
	fi
	echo "dkms: $MOD installed for $k;" \
		"Module.symvers in $DKMSTREE/$MOD/$k/$ARCH/"
}

do_remove() {
	set_trees
	if added; then
		dkms remove "$MOD" --all "${DOPTS[@]}"
	fi
	if [ -n "${DKMS_ROOT:-}" ]; then
		for d in "$DKMS_ROOT"/lib/modules/*/; do
			[ -d "$d" ] && depmod -b "$DKMS_ROOT" "$(basename "$d")"
		done
	fi
	clean_sources "$SRCTREE/buddy-$VERSION"
}

# --- make test stage -------------------------------------------------------

do_test() {
	local flavour=$1 out hdrs k t ko conf_ver

	t=${OUT:-$ROOT/build/test}/dkms-$flavour
	rm -rf "$t" && mkdir -p "$t"
	ktap_start "$t/dkms.ktap"
	trap ktap_end EXIT
	out=$(bash "$HERE/distro-kernel.sh" "$flavour" 2> "$t/distro.err") ||
		{ ktap_leaf "not ok" "fetch Debian kernel $flavour" "$(cat "$t/distro.err")"; exit 1; }
	hdrs=$(echo "$out" | sed -n 1p)
	k=$(krel "$hdrs")
	conf_ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$ROOT/dkms.conf")
	ktap_check "dkms.conf PACKAGE_VERSION $conf_ver = MODULE_VERSION $VERSION" \
		"$t/checks.log" [ "$conf_ver" = "$VERSION" ]
	DKMS_ROOT=$t/root ktap_check "dkms add, build, install $MOD for $k" \
		"$t/dkms.log" do_install "$hdrs" || {
		cat "$t/root/var/lib/dkms/$MOD/build/make.log" 2> /dev/null
		exit 1
	}
	# DKMS compresses like the kernel's own modules (6.12: .ko.xz).
	ko=$(find "$t/root/lib/modules/$k/updates/dkms" -name 'buddy.ko*')
	ktap_check "installed as updates/dkms/$(basename "$ko")" "$t/checks.log" \
		[ -f "$ko" ]
	ktap_check "modinfo -F version = $VERSION" "$t/checks.log" \
		[ "$(modinfo -F version "$ko" 2> /dev/null)" = "$VERSION" ]
	ktap_check "vermagic is $k" "$t/checks.log" \
		[ "$(modinfo -F vermagic "$ko" 2> /dev/null | cut -d' ' -f1)" = "$k" ]
	ktap_check "POST_BUILD kept Module.symvers with buddy_alloc" \
		"$t/checks.log" grep -q '[[:space:]]buddy_alloc[[:space:]]' \
		"$t/root/var/lib/dkms/$MOD/$k/$ARCH/Module.symvers"
	ktap_check "depmod -b: modprobe resolves updates/dkms/buddy.ko" \
		"$t/checks.log" bash -c "modprobe -d '$t/root' -S '$k' --show-depends buddy |
			grep -q 'updates/dkms/buddy\\.ko'"
	tar -C "$t/root/lib/modules" -cf "$t/modules.tar" "$k"
	ktap_boot "$t/modprobe-$k" \
		"$(echo "$out" | sed -n 2p)" "$ROOT/tests/vm/modprobe.sh" \
		--timeout 300 --env "BUDDY_KREL=$k" --env "BUDDY_VERSION=$VERSION" \
		-- "$t/modules.tar"
}

case "${1:-}" in
install)
	[ $# -eq 2 ] || { echo "usage: dkms.sh install KDIR" >&2; exit 2; }
	do_install "$2"
	;;
remove) do_remove ;;
test)
	[ $# -eq 2 ] || { echo "usage: dkms.sh test FLAVOUR" >&2; exit 2; }
	do_test "$2"
	;;
*)
	sed -n '3,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2
	exit 2
	;;
esac
