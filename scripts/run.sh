#!/usr/bin/env bash
# Installs what building and running xdsd needs (not what the tests need), builds, and runs
# xdsd; with no arguments it serves the built-in demo.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
# Without the tests' dependencies (scripts/setup.sh --test), build the daemon without the tests
# and benchmarks; with them, keep whatever build/ was configured with.
build_args=()
if ! "$root/scripts/setup.sh" --test --check; then
  build_args=(-DXDSD_BUILD_TESTS=OFF -DXDSD_BUILD_BENCH=OFF)
fi
"$root/scripts/build.sh" "${build_args[@]}"
exec "$root/build/src/cli/xdsd" "$@"
