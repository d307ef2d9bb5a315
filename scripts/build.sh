#!/usr/bin/env bash
# Configures and builds xdsd into build/ (Ninja, ccache when present).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# Paths relative to the checkout make the compiler cache hit across checkouts and build dirs.
export CCACHE_BASEDIR="$root"
cmake -S "$root" -B "$root/build" -G Ninja "$@" >/dev/null
cmake --build "$root/build" -j "$(nproc)"
