#pragma once

#include <string>
#include <string_view>

#include "xdsd/callbacks.h"
#include "xdsd/snapshot_cache.h"

namespace xdsd::rest {

// An HTTP answer, independent of the HTTP library that sends it.
struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// The REST/JSON gateway of the xDS API (state of the world only):
//
//   POST /v3/discovery:<type>   body: a JSON DiscoveryRequest
//     200  the JSON DiscoveryResponse: the requested resources (all, when none are named) of
//          the node's snapshot, with the type's version
//     304  version_info equals the version being served
//     400  malformed JSON, or a request without node
//     403  secrets: they go only over authenticated xDS gRPC streams; other resources are
//          served with their secret fields "[redacted]" (api/redaction.h)
//     404  an unknown type
//     503  no configuration for the node yet
//
// <type> is a ResourceType::rest_path (clusters, endpoints, listeners, routes, scoped-routes,
// secrets, runtime, extension_configs), as Envoy's API names its REST paths. Resources are printed
// as Envoy JSON, extensions inside Any included.
//
// Thread-safe. The cache and the callbacks must outlive it.
class RestGateway {
 public:
  // `callbacks` may be null; OnFetchRequest can refuse a request (403 with its message).
  RestGateway(const Cache* cache, Callbacks* callbacks);

  // `type` is the part of the path after "discovery:".
  HttpReply Handle(std::string_view type, std::string_view body) const;

 private:
  const Cache* const cache_;
  Callbacks* const callbacks_;
};

}  // namespace xdsd::rest
