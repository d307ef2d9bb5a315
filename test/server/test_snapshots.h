#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "envoy/service/discovery/v3/discovery.pb.h"
#include "xdsd/resource.h"
#include "xdsd/snapshot.h"

namespace xdsd::testing {

// A resource for a test snapshot: its body stands for its content, so a new body is a change.
struct Res {
  std::string_view type_url;
  std::string name;
  std::string body = "v1";
};

inline SnapshotPtr MakeSnapshot(std::initializer_list<Res> resources) {
  std::vector<ResourcePtr> list;
  for (const Res& r : resources) list.push_back(Resource::FromBytes(r.type_url, r.name, r.body));
  return *Snapshot::Create(std::move(list));
}

// A state-of-the-world request for `names` of `type_url`, answering `nonce` at `version`.
inline envoy::service::discovery::v3::DiscoveryRequest Request(std::string_view type_url,
                                                               std::vector<std::string> names,
                                                               std::string nonce = "",
                                                               std::string version = "") {
  envoy::service::discovery::v3::DiscoveryRequest request;
  request.set_type_url(std::string(type_url));
  for (auto& n : names) request.add_resource_names(n);
  request.set_response_nonce(std::move(nonce));
  request.set_version_info(std::move(version));
  return request;
}

// The names of a response's resources, in order.
template <typename Response>
std::vector<std::string> Names(const Response& response) {
  std::vector<std::string> names;
  for (const auto& r : response.resources) names.push_back(r->name());
  return names;
}

}  // namespace xdsd::testing
