#pragma once

#include <string_view>

namespace xdsd::proto {

// The serialized google.protobuf.FileDescriptorSet of every Envoy v3 API file (with its
// imports), embedded in the binary at build time. Valid for the life of the process.
std::string_view EmbeddedApiDescriptorSet();

}  // namespace xdsd::proto
