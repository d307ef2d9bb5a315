#!/usr/bin/env bash
# Writes the lists of .proto files that the build compiles, from the include tree made by
# fetch_envoy_api.sh:
#   OUT/api_files.txt   every envoy/xds/udpa/validate file that compiles on its own with what
#                       the tarball holds (the v2 trees and a few files that import protos the
#                       tarball lacks do not); they make the embedded descriptor set.
#   OUT/core_files.txt  the discovery services and core resource types, with their imports
#                       (minus google/protobuf, which libprotobuf provides); C++ is generated
#                       for these.
#
# usage: list_api_files.sh INCLUDE_DIR OUT
set -euo pipefail
inc=${1:?usage: list_api_files.sh INCLUDE_DIR OUT}
out=${2:?usage: list_api_files.sh INCLUDE_DIR OUT}
cd "$inc"

readonly kCoreRoots=(
  envoy/service/discovery/v3/ads.proto
  envoy/service/discovery/v3/discovery.proto
  envoy/service/cluster/v3/cds.proto
  envoy/service/endpoint/v3/eds.proto
  envoy/service/listener/v3/lds.proto
  envoy/service/route/v3/rds.proto
  envoy/service/route/v3/srds.proto
  envoy/service/secret/v3/sds.proto
  envoy/service/runtime/v3/rtds.proto
  envoy/service/extension/v3/config_discovery.proto
  envoy/service/status/v3/csds.proto
  envoy/config/bootstrap/v3/bootstrap.proto
  envoy/config/route/v3/scoped_route.proto
  envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto
  envoy/extensions/filters/http/router/v3/router.proto
  envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto
  envoy/extensions/transport_sockets/tls/v3/tls.proto
)

find envoy xds udpa validate -name '*.proto' | LC_ALL=C sort |
  xargs -P "$(nproc)" -I{} sh -c 'protoc -I. -o /dev/null "$1" >/dev/null 2>&1 && echo "$1" || true' _ {} |
  LC_ALL=C sort > "$out/api_files.txt.new"

protoc -I. --include_imports --descriptor_set_out="$out/core.pb" "${kCoreRoots[@]}"
protoc --decode=google.protobuf.FileDescriptorSet google/protobuf/descriptor.proto < "$out/core.pb" |
  sed -n 's/^  name: "\(.*\)"$/\1/p' | grep -v '^google/protobuf/' | LC_ALL=C sort > "$out/core_files.txt.new"

# Rewrite only on change, so that CMake does not regenerate needlessly.
for f in api_files core_files; do
  if cmp -s "$out/$f.txt.new" "$out/$f.txt"; then rm "$out/$f.txt.new"; else mv "$out/$f.txt.new" "$out/$f.txt"; fi
done
