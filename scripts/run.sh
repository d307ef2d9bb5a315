#!/usr/bin/env bash
# Installs what is missing, builds, and runs xdsd; with no arguments it serves the built-in demo.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
exec "$root/build/src/cli/xdsd" "$@"
