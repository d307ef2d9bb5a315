#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
# The xDS clients the integration tests drive: @grpc/grpc-js-xds (npm) and grpc-go (Go modules).
npm ci --prefix "$root/test/integration/node" --no-audit --no-fund --loglevel=error
(cd "$root/test/integration/go" && PATH="$PATH:/usr/local/go/bin" go mod download)
ctest --test-dir "$root/build" --output-on-failure -j 2 --timeout 600
