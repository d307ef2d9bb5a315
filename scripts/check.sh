#!/usr/bin/env bash
# The checks beyond the tests, each step timed:
#   format  clang-format --dry-run -Werror over the project's own C++ (src, include, test,
#           bench, examples, proto; generated code lives in build dirs and is not looked at);
#   tidy    clang-tidy with .clang-tidy over src/, every warning an error, with the compile
#           commands of build/ (built first: the generated API headers must exist);
#   asan    the whole test suite built with AddressSanitizer and UndefinedBehaviorSanitizer
#           (-DXDSD_SANITIZE=ON) in build-asan/, through scripts/test.sh.
#
# usage: scripts/check.sh [format] [tidy] [asan]    (no argument: all three)
# Installs clang-format and clang-tidy (Debian 12 packages) when they are missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(format tidy asan)

missing=()
command -v clang-format >/dev/null || missing+=(clang-format)
command -v clang-tidy >/dev/null || missing+=(clang-tidy)
if [ ${#missing[@]} -gt 0 ]; then
  echo "check: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi

# The project's own C++ files, tracked or new (not ignored), under the given folders.
own_sources() {
  git ls-files --cached --others --exclude-standard -- "$@" |
    grep -E '\.(cc|h)$' | while read -r f; do [ -f "$f" ] && echo "$f"; done
}

check_format() {
  own_sources src include test bench examples proto | xargs clang-format --dry-run -Werror
}

# Each step runs as an if-condition, where set -e does not stop a function: every command
# whose failure should end the step says so.
check_tidy() {
  "$root/scripts/build.sh" || return 1
  # -Wno-unknown-warning-option: the compile commands are GCC's, with warnings clang lacks.
  own_sources src | grep '\.cc$' |
    xargs -P "$(nproc)" -n 4 clang-tidy -p "$root/build" --quiet --warnings-as-errors='*' \
      --extra-arg=-Wno-unknown-warning-option 2>/dev/null
}

check_asan() {
  # halt_on_error: an undefined-behaviour report fails the test instead of scrolling by.
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  XDSD_TEST_SANITIZERS=0 XDSD_BUILD_DIR="$root/build-asan" "$root/scripts/test.sh" -DXDSD_SANITIZE=ON
}

failed=()
report=()
for step in "${steps[@]}"; do
  case "$step" in
    format | tidy | asan) ;;
    *) echo "usage: check.sh [format] [tidy] [asan]" >&2; exit 2 ;;
  esac
  echo "check: $step..."
  start=$SECONDS
  if "check_$step"; then result=ok; else result=FAILED; failed+=("$step"); fi
  report+=("$step: $result ($((SECONDS - start)) s)")
done
printf 'check: %s\n' "${report[@]}"
[ ${#failed[@]} -eq 0 ]
