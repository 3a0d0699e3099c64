#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make run` / `make shell`: build the test kernel (cached) and the modules,
# then boot QEMU and run the demo (or drop into a shell) with buddy.ko
# loaded with the given module parameters.
#
# Usage: run.sh [--shell] KVER [PARAM=VALUE...]
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=scripts/host-lib.sh
. "$HERE/host-lib.sh"
SHELL_MODE=0
if [ "${1:-}" = --shell ]; then
	SHELL_MODE=1
	shift
fi
KVER=${1:-6.1}
shift || true
ARGS="$*"

"$HERE/deps.sh"
echo "run: test kernel $KVER (built once, then cached)"
KDIR=$(bash "$HERE/build-kernel.sh" "$KVER" | tail -1)
echo "run: building the modules"
cd "$ROOT"
M=$ROOT/build/run-modules
build_modules "$M" "$KDIR" || { cat "$M.log"; exit 1; }
FILES=("$M/buddy.ko" "$M/tests/client/buddy_client.ko")
LOG=$ROOT/build/run.log

if [ $SHELL_MODE -eq 1 ]; then
	exec bash "$HERE/qemu-run.sh" --shell --env "BUDDY_ARGS=$ARGS" \
		--log "$LOG" "$KDIR" tests/vm/shell-setup.sh "${FILES[@]}"
fi

echo "run: booting QEMU (TCG); the full console goes to $LOG"
# Show the demo's own output as it happens; kernel lines stay in the log.
set +e
bash "$HERE/qemu-run.sh" --timeout 300 --env "BUDDY_ARGS=${ARGS:-pool_size=16M pool_max=32M}" \
	--log "$LOG" "$KDIR" tests/vm/demo.sh "${FILES[@]}" 2>&1 |
	grep --line-buffered -vE '^\[ *[0-9]+\.[0-9]+\]|^(SeaBIOS|iPXE|Booting|\s*$)|^.\[[0-9;?]*[a-zA-Z]*$'
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] && echo "run: done, every check and the kernel log judge passed" ||
	echo "run: FAILED (status $rc), see $LOG"
exit "$rc"
