#!/usr/bin/env bash
# Fetches the Envoy v3 API protos from the pinned npm tarball of @grpc/grpc-js-xds,
# checks the tarball's integrity, and lays out an include tree in OUT/include with a
# patched validate/validate.proto (the tarball's copy predates StringRules.ignore_empty,
# which envoy/config/core/v3/protocol.proto uses).
#
# usage: fetch_envoy_api.sh OUT
set -euo pipefail
readonly kPackage='@grpc/grpc-js-xds@1.14.1'
readonly kIntegrity='sha512-F2mVXwEeMWw1znPUrp+8ykjsIOVnf7Rv+EyIvXOfz73w5tNolCnzokpLkE/d2Ehx30PJmZXqCQdMpx8DcBJohA=='

out=${1:?usage: fetch_envoy_api.sh OUT}
mkdir -p "$out"
out=$(cd "$out" && pwd)
stamp="$out/include/.complete"
[ -f "$stamp" ] && exit 0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball=$(cd "$work" && npm pack --silent "$kPackage" | tail -n 1)
actual="sha512-$(openssl dgst -sha512 -binary "$work/$tarball" | base64 -w0)"
if [ "$actual" != "$kIntegrity" ]; then
  echo "fetch_envoy_api: integrity mismatch for $kPackage: got $actual" >&2
  exit 1
fi
tar -xzf "$work/$tarball" -C "$work"

rm -rf "$out/include"
mkdir -p "$out/include"
deps="$work/package/deps"
cp -r "$deps/envoy-api/envoy" "$deps/xds/xds" "$deps/xds/udpa" "$deps/googleapis/google" \
      "$deps/protoc-gen-validate/validate" "$out/include/"

# Add StringRules.ignore_empty (field 26) just before the end of message StringRules.
validate="$out/include/validate/validate.proto"
awk '
  /^message StringRules[ {]/ { in_rules = 1 }
  in_rules && /^}/ {
    print "    // Added at build time: newer Envoy protos set this option."
    print "    optional bool ignore_empty = 26;"
    in_rules = 0
  }
  { print }
' "$validate" > "$validate.new"
mv "$validate.new" "$validate"
grep -q 'ignore_empty = 26' "$validate" || { echo "fetch_envoy_api: patching validate.proto failed" >&2; exit 1; }
touch "$stamp"
