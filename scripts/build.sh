#!/usr/bin/env bash
# Configures and builds xdsd (Ninja, ccache when present); arguments go to cmake's configure
# step. The build dir is build/, or $XDSD_BUILD_DIR (scripts/check.sh: build-asan/).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${XDSD_BUILD_DIR:-$root/build}
# Paths relative to the checkout make the compiler cache hit across checkouts and build dirs.
export CCACHE_BASEDIR="$root"
cmake -S "$root" -B "$build_dir" -G Ninja "$@" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
