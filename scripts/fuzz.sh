#!/usr/bin/env bash
# Builds the libFuzzer targets of test/fuzz with clang (in build-fuzz/: the project's code with
# -fsanitize=fuzzer-no-link,address,undefined, the generated API library plain and from the
# compiler cache) and runs each for SECONDS (default 60), starting from its committed corpus.
# Fails when a target crashes, leaks or breaks a promise; the input is left as
# build-fuzz/crashes/<target>/crash-*: copy it into test/fuzz/corpus/<target>/ and it becomes a
# regression test of the ordinary suite (<target>_corpus_test).
#
# usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
build_dir=${XDSD_FUZZ_BUILD_DIR:-$root/build-fuzz}
targets=(config_loader_fuzzer http_bodies_fuzzer sotw_stream_fuzzer delta_stream_fuzzer)

command -v clang++ >/dev/null || "$root/scripts/setup.sh" --test

start=$SECONDS
CC=clang CXX=clang++ cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DXDSD_FUZZ=ON -DXDSD_BUILD_TESTS=OFF -DXDSD_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" --target "${targets[@]}"
echo "fuzz: built in $((SECONDS - start)) s"

failed=()
for target in "${targets[@]}"; do
  # libFuzzer adds what it finds to the first directory: a scratch copy, not the committed one.
  work="$build_dir/corpus/$target"
  crashes="$build_dir/crashes/$target"
  mkdir -p "$work" "$crashes"
  echo "fuzz: $target for ${seconds} s"
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build_dir/test/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$crashes/" "$work" "$root/test/fuzz/corpus/$target" \
      2>"$build_dir/$target.log"; then
    failed+=("$target")
    tail -40 "$build_dir/$target.log"
  fi
  grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$build_dir/$target.log" | tail -2 || true
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $build_dir/crashes/)"
  exit 1
fi
echo "fuzz: every target ran ${seconds} s without a crash"
