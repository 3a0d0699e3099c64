# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# What the host scripts share. Source it once ROOT is the source tree.

# build_modules DEST KDIR [MAKE ARGS...] - copy the sources to DEST, or
# with REV set `git archive REV`, and `make extra` there against KDIR,
# logging to DEST.log. The copy takes what git would (tracked files and
# untracked ones it does not ignore), so no build product of the source
# tree can pass for a fresh one. 0 iff make succeeded, buddy.ko exists
# and no line of the log says "warning:".
build_modules() {
	local dest=$1 kdir=$2

	shift 2
	rm -rf "$dest" && mkdir -p "$dest" || return 1
	if [ -n "${REV:-}" ]; then
		git -C "$ROOT" archive "$REV" | tar -x -C "$dest" || return 1
	elif git -C "$ROOT" rev-parse --git-dir > /dev/null 2>&1; then
		# Tracked files deleted in the work tree are not there to copy.
		(cd "$ROOT" && git ls-files -z --cached --others \
			--exclude-standard | xargs -0 -r ls -d 2> /dev/null |
			tar -T - -c | tar -x -C "$dest") || return 1
	else
		(cd "$ROOT" && cp -r Kconfig Kbuild Makefile ./*.c ./*.h \
			include tests "$dest/") || return 1
	fi
	make -s -C "$dest" extra KDIR="$kdir" "$@" > "$dest.log" 2>&1 &&
		[ -f "$dest/buddy.ko" ] && ! grep -q 'warning:' "$dest.log"
}
