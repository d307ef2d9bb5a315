#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "envoy/service/discovery/v3/discovery.pb.h"
#include "xdsd/cache.h"
#include "xdsd/callbacks.h"
#include "xdsd/resource.h"

namespace xdsd {

// The answer to a unary Fetch: the requested resources of the node's snapshot (every one of
// the type when the request names none, or names "*"), with the type's version.
struct FetchResult {
  std::string type_url;
  std::string version;
  std::vector<ResourcePtr> resources;  // in name order, each once
};

// Answers one Fetch, for the gRPC Fetch methods and the REST gateway alike:
//   InvalidArgument     the request has no node, or names another type than `type_url`
//   FailedPrecondition  "not modified": the request's version_info is the version served
//                       (the REST gateway answers 304)
//   Unavailable         no snapshot for the node's key yet
//   the status of Callbacks::OnFetchRequest when it refuses (`callbacks` may be null).
// OnFetchResponse is called with what is returned.
absl::StatusOr<FetchResult> Fetch(const Cache& cache, Callbacks* callbacks,
                                  std::string_view type_url,
                                  const envoy::service::discovery::v3::DiscoveryRequest& request);

// True for the status Fetch returns for a version the client already has.
bool IsNotModified(const absl::Status& status);

}  // namespace xdsd
