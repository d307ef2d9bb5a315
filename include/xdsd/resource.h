#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "xdsd/resource_types.h"

namespace google::protobuf {
class Message;
}

namespace xdsd {

// The name of a resource message, read by reflection from its `name` field (`cluster_name`
// for a ClusterLoadAssignment). Works on generated and dynamic messages alike.
absl::StatusOr<std::string> ResourceName(const google::protobuf::Message& message);

// The canonical serialization of a message's content (what Resource::FromMessage stores):
// fields in number order, map entries in key order, and every google.protobuf.Any inside, at
// any depth, holding the canonical serialization of its own message (when the message's
// descriptor pool knows its type). Equal content gives equal bytes however the message was
// built.
std::string CanonicalBytes(const google::protobuf::Message& message);

// The stable content hash xdsd uses for versions: 16 lowercase hex digits, the same in every
// process and on every machine.
std::string ContentHash(std::string_view bytes);

// One resource, serialized once when it is made. Every snapshot and every stream that sends
// it shares the same bytes.
//
// Thread-safe: immutable after construction.
class Resource {
 public:
  // Serializes `message` canonically: deterministically, with every Any inside re-encoded the
  // same way, so that equal content always gives equal bytes and versions, whatever the
  // message was built from (JSON with keys in any order, PackFrom, decoded bytes). The type URL
  // comes from its descriptor, the name from ResourceName(). A `ttl` above zero makes the
  // resource expire at clients that support resource TTLs unless the server renews it (it
  // sends heartbeats while it serves it). `aliases` are other names it answers to (a virtual
  // host's "route config/domain" names, PROTOCOL 27).
  static absl::StatusOr<std::shared_ptr<const Resource>> FromMessage(
      const google::protobuf::Message& message, std::chrono::milliseconds ttl = {},
      std::vector<std::string> aliases = {});

  // Takes `bytes` as they are: already the canonical serialization of a message of
  // `type_url`'s type (as another Resource's bytes() are), named `name`. Bytes from anywhere
  // else go through FromMessage, or equal content may get different versions.
  static std::shared_ptr<const Resource> FromBytes(std::string_view type_url, std::string name,
                                                   std::string_view bytes,
                                                   std::chrono::milliseconds ttl = {},
                                                   std::vector<std::string> aliases = {});

  const std::string& type_url() const { return type_url_; }
  const std::string& name() const { return name_; }
  // The serialized message.
  std::string_view bytes() const { return std::string_view(any_).substr(value_offset_); }
  // The resource wrapped in a google.protobuf.Any, serialized: what a response carries.
  const std::string& any_bytes() const { return any_; }
  // The content hash of bytes() (and of the TTL, when there is one): the resource's version.
  const std::string& version() const { return version_; }
  // Zero when the resource does not expire.
  std::chrono::milliseconds ttl() const { return ttl_; }
  const std::vector<std::string>& aliases() const { return aliases_; }

  Resource(const Resource&) = delete;
  Resource& operator=(const Resource&) = delete;

 private:
  Resource(std::string_view type_url, std::string name, std::chrono::milliseconds ttl,
           std::vector<std::string> aliases);
  // Lays out the Any for a value of `size` bytes and returns where the value goes.
  char* ReserveValue(size_t size);
  // Computes the version once the value is in place.
  void Seal();

  const std::string type_url_;
  const std::string name_;
  std::string any_;
  size_t value_offset_ = 0;
  std::string version_;
  std::chrono::milliseconds ttl_{0};
  std::vector<std::string> aliases_;
};

using ResourcePtr = std::shared_ptr<const Resource>;

}  // namespace xdsd
