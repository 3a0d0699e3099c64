#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# DKMS POST_BUILD hook (see dkms.conf): runs in the DKMS build directory
# before DKMS deletes it, and copies Module.symvers to DIR so that client
# modules can still resolve buddy's exports.
#
# Usage: dkms-post-build.sh DIR
set -e
mkdir -p "${1:?usage: dkms-post-build.sh DIR}"
cp Module.symvers "$1/Module.symvers"
