#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages the build, the tests and the benchmarks use.
# Idempotent and quiet when everything is already present.
set -euo pipefail

PKGS=(
	build-essential make gcc bc flex bison kmod cpio xz-utils
	libelf-dev libssl-dev dwarves python3 sparse shellcheck
	linux-source-6.1 linux-source-6.12
	qemu-system-x86 busybox-static dkms
	clang libclang-rt-14-dev llvm valgrind gcovr lcov gnuplot-nox
	linux-headers-amd64 linux-headers-6.12-amd64 linux-headers-6.12-rt-amd64
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
