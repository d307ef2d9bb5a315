#!/usr/bin/env bash
# usage: install_test.sh BUILD_DIR EMBED_SOURCE_DIR SCRATCH_DIR GENERATOR [COMPILER_LAUNCHER]
#
# 1. cmake --install BUILD_DIR into SCRATCH_DIR/prefix;
# 2. configures and builds EMBED_SOURCE_DIR (examples/embed) on its own, with
#    -DCMAKE_PREFIX_PATH=SCRATCH_DIR/prefix, into SCRATCH_DIR/build;
# 3. starts the program on a free port and waits until it says it serves; also runs the
#    installed bin/xdsd --help.
set -euo pipefail
build_dir=$1 embed_dir=$2 scratch=$3 generator=$4 launcher=${5:-}

rm -rf "$scratch"
mkdir -p "$scratch"
prefix="$scratch/prefix"
cmake --install "$build_dir" --prefix "$prefix" >"$scratch/install.log" ||
  { cat "$scratch/install.log"; exit 1; }
"$prefix/bin/xdsd" --help >/dev/null

build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
cmake -S "$embed_dir" -B "$scratch/build" -G "$generator" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE="${build_type:-Release}" \
  ${launcher:+-DCMAKE_CXX_COMPILER_LAUNCHER="$launcher"}
cmake --build "$scratch/build"

program="$scratch/build/xdsd_embed_example"
out="$scratch/run.log"
"$program" 0 </dev/null >"$out" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
# Waits (at most 30 s) for the line, reading the log as it grows: no fixed sleeps.
if timeout 30 grep -q -m1 '^serving xDS on ' <(tail -n +1 -f "$out" --pid="$pid"); then
  cat "$out"
  exit 0
fi
echo "install_test: $program did not start serving:" >&2
cat "$out" >&2
exit 1
