#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test. Arguments go to cmake's configure
# step; the build dir is build/, or $XDSD_BUILD_DIR (as for scripts/build.sh).
#
# Then, unless XDSD_TEST_SANITIZERS=0: every test again under AddressSanitizer + UBSan
# (scripts/check.sh asan, in build-asan/) and each fuzz target for XDSD_FUZZ_SECONDS (30 s;
# scripts/fuzz.sh, in build-fuzz/). Each step says how long it took.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${XDSD_BUILD_DIR:-$root/build}
"$root/scripts/setup.sh" --test
# build/ may have been configured without them by scripts/run.sh.
"$root/scripts/build.sh" -DXDSD_BUILD_TESTS=ON -DXDSD_BUILD_BENCH=ON "$@"
# What the integration tests drive with: @grpc/grpc-js-xds (npm), grpc-go (Go modules), and
# playwright-core for the dashboard in Debian's Chromium.
npm ci --prefix "$root/test/integration/node" --no-audit --no-fund --loglevel=error
npm ci --prefix "$root/test/dashboard" --no-audit --no-fund --loglevel=error
(cd "$root/test/integration/go" && PATH="$PATH:/usr/local/go/bin" go mod download)
ctest --test-dir "$build_dir" --output-on-failure -j 2 --timeout 600
echo "test: build and tests took $SECONDS s"

if [ "${XDSD_TEST_SANITIZERS:-1}" = 1 ]; then
  start=$SECONDS
  XDSD_TEST_SANITIZERS=0 "$root/scripts/check.sh" asan
  echo "test: sanitizer build and tests took $((SECONDS - start)) s"
  start=$SECONDS
  "$root/scripts/fuzz.sh" "${XDSD_FUZZ_SECONDS:-30}"
  echo "test: fuzzing took $((SECONDS - start)) s"
fi
