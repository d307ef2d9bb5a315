#!/bin/bash
# Builds the benchmarks and runs the suite (about 10 minutes on 2 cores); prints one table.
#   bench/run.sh [run_suite.py flags, e.g. --clients 100,1000 --churn-s 60 --json out.json]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD_DIR:-$ROOT/build-bench}"
export CCACHE_BASEDIR="$ROOT"
cmake -S "$ROOT" -B "$BUILD" -G Ninja >/dev/null
ninja -C "$BUILD" -j2 xdsd_bench_server floor_server loadgen snapshot_bench >/dev/null
GO="$(command -v go || echo /usr/local/go/bin/go)"
PEER=/tmp/xdsd_bench_gcp_server
(cd "$ROOT/bench/peers/go-control-plane" && "$GO" build -o "$PEER" .)
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec python3 "$ROOT/bench/run_suite.py" --build-dir "$BUILD" --peer-binary "$PEER" "$@"
