#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace google::protobuf {
class Message;
}

namespace xdsd {

// Type URLs of the resource types xdsd serves.
inline constexpr std::string_view kClusterType = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
inline constexpr std::string_view kEndpointType =
    "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
inline constexpr std::string_view kListenerType =
    "type.googleapis.com/envoy.config.listener.v3.Listener";
inline constexpr std::string_view kRouteType =
    "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
inline constexpr std::string_view kScopedRouteType =
    "type.googleapis.com/envoy.config.route.v3.ScopedRouteConfiguration";
inline constexpr std::string_view kVirtualHostType =
    "type.googleapis.com/envoy.config.route.v3.VirtualHost";
inline constexpr std::string_view kSecretType =
    "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";
inline constexpr std::string_view kRuntimeType =
    "type.googleapis.com/envoy.service.runtime.v3.Runtime";
inline constexpr std::string_view kExtensionConfigType =
    "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig";

// Every type xdsd serves, in the order an ADS stream sends them after a change: make before
// break (clusters and their endpoints before the listeners and routes that use them).
inline constexpr std::array<std::string_view, 9> kAdsOrder = {
    kClusterType, kEndpointType, kListenerType,        kRouteType, kScopedRouteType,
    kVirtualHostType, kSecretType, kRuntimeType, kExtensionConfigType};

// True for a known type URL.
bool IsKnownType(std::string_view type_url);

// True for the types whose state-of-the-world responses always carry every subscribed
// resource, so that a missing one means "deleted" (listeners and clusters).
bool IsFullStateType(std::string_view type_url);

// The short name of a type for logs and URLs: "clusters", "endpoints", "listeners", "routes",
// "scoped-routes", "virtual-hosts", "secrets", "runtimes", "extension-configs"; the type URL
// itself for an unknown type.
std::string_view TypeShortName(std::string_view type_url);

// The type URL for a short name, or "" when there is none.
std::string_view TypeUrlFromShortName(std::string_view short_name);

// The name of a resource message, read by reflection from its `name` field (`cluster_name`
// for a ClusterLoadAssignment). Works on generated and dynamic messages alike.
absl::StatusOr<std::string> ResourceName(const google::protobuf::Message& message);

// The stable content hash xdsd uses for versions: 16 lowercase hex digits, the same in every
// process and on every machine.
std::string ContentHash(std::string_view bytes);

// One resource, serialized once when it is made. Every snapshot and every stream that sends
// it shares the same bytes.
//
// Thread-safe: immutable after construction.
class Resource {
 public:
  // Serializes `message` deterministically. The type URL comes from its descriptor, the name
  // from ResourceName(). A `ttl` above zero makes the resource expire at clients that support
  // resource TTLs unless the server renews it (it sends heartbeats while it serves it).
  static absl::StatusOr<std::shared_ptr<const Resource>> FromMessage(
      const google::protobuf::Message& message, std::chrono::milliseconds ttl = {});

  // Takes `bytes`, already a serialized message of `type_url`'s type, named `name`. `aliases`
  // are other names it answers to (a virtual host's "route config/domain" names, PROTOCOL 27).
  static std::shared_ptr<const Resource> FromBytes(std::string_view type_url, std::string name,
                                                   std::string_view bytes,
                                                   std::chrono::milliseconds ttl = {},
                                                   std::vector<std::string> aliases = {});

  // How many Resource objects this process made: each is one serialization (or one adoption
  // of serialized bytes), however many streams send it.
  static uint64_t instances_created();

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
