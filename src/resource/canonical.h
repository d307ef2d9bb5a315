#pragma once

#include <memory>
#include <string>

namespace google::protobuf {
class Message;
}

namespace xdsd::resource {

// Serializes with map entries in key order (protobuf's deterministic serialization). Nested
// Anys keep their bytes: see CanonicalBytes (xdsd/resource.h) for the full canonical form.
std::string SerializeDeterministic(const google::protobuf::Message& message);

// A copy of `message` whose Anys hold canonical bytes, or null when `message` holds no Any (its
// deterministic serialization is then already canonical).
std::unique_ptr<google::protobuf::Message> CanonicalCopy(const google::protobuf::Message& message);

}  // namespace xdsd::resource
