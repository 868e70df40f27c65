#!/usr/bin/env bash
# Runs every test: installs packages, builds (warnings are errors), runs ctest.
# Usage: scripts/run-tests.sh [extra ctest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build=${AUTHORITY_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAUTHORITY_WERROR=ON
cmake --build "$build" -j2
ctest --test-dir "$build" -j2 --output-on-failure "$@"
