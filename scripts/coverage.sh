#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Line and branch coverage of buddy_core.c by the user-space unit and
# randomized tests: a gcc --coverage build of tests/core/core_test.c run
# with a fixed seed, reported by gcovr for buddy_core.c only. Fails when
# branch coverage is under MIN_BRANCH percent (default 95).
#
# Usage: scripts/coverage.sh [MIN_BRANCH=n] [COV_SEED=n]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/scripts/deps.sh"
exec make --no-print-directory -C "$ROOT/tests/core" coverage "$@"
