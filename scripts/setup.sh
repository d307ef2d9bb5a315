#!/usr/bin/env bash
# Installs on Debian 12 what is missing, skipping what is already there:
#
#   scripts/setup.sh                  what building and running xdsd needs
#   scripts/setup.sh --test           that, plus what the tests and benchmarks need
#   scripts/setup.sh --test --check   installs nothing; exits 1 when something is missing
set -euo pipefail

# The compiler and build tools, the libraries xdsd links, protoc and gRPC's plugin for the
# Envoy API, and npm (with Node.js, which it runs on) and openssl, with which
# proto/fetch_envoy_api.sh fetches and checks the pinned API tarball; etcd's protos (its v3 gRPC
# API, for src/etcd) and the gogoproto options they import.
build_packages=(
  build-essential cmake ninja-build ccache pkg-config ca-certificates openssl
  nodejs npm
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev libcpp-httplib-dev libmicrohttpd-dev libxxhash-dev
  libre2-dev
  golang-etcd-server-dev golang-gogoprotobuf-dev
)
# GoogleTest; Chromium and a font for the dashboard test; python3 for the load generator's
# smoke run and the benchmark suite; Go (below) and git for the grpc-go client test; curl;
# clang and its runtimes (libFuzzer, the sanitizers) for scripts/fuzz.sh; etcd (server and
# etcdctl) for the tests of replicas sharing their config (label etcd); perf for the
# benchmark suite's profiles (bench/run_suite.py --perf).
test_packages=(
  libgtest-dev libgmock-dev libprotoc-dev
  chromium fonts-dejavu-core
  python3 git curl
  clang libclang-rt-14-dev
  etcd-server etcd-client
  linux-perf
)

with_tests=0 check_only=0
for arg in "$@"; do
  case "$arg" in
    --test) with_tests=1 ;;
    --check) check_only=1 ;;
    *) echo "usage: setup.sh [--test] [--check]" >&2; exit 2 ;;
  esac
done

packages=("${build_packages[@]}")
[ "$with_tests" = 1 ] && packages+=("${test_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
# node and npm may come from elsewhere than Debian (e.g. a preinstalled Node.js).
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<< "${missing[*]}"
# Go may come from elsewhere than Debian too.
if [ "$with_tests" = 1 ] && ! command -v go >/dev/null && [ ! -x /usr/local/go/bin/go ]; then
  missing+=(golang-go)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
[ "$check_only" = 1 ] && exit 1

echo "setup: installing ${missing[*]}"
sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
