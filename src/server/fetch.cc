#include "xdsd/fetch.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"

namespace xdsd {
namespace {

constexpr char kNotModified[] = "not modified: the request's version is current";

}  // namespace

absl::StatusOr<FetchResult> Fetch(const Cache& cache, Callbacks* callbacks,
                                  std::string_view type_url,
                                  const envoy::service::discovery::v3::DiscoveryRequest& request) {
  if (!request.has_node()) return absl::InvalidArgumentError("the request has no node");
  if (!request.type_url().empty() && request.type_url() != type_url) {
    return absl::InvalidArgumentError(absl::StrCat("a request for ", request.type_url(),
                                                   " on the Fetch of ", std::string(type_url)));
  }
  if (callbacks != nullptr) {
    if (absl::Status allowed = callbacks->OnFetchRequest(request); !allowed.ok()) return allowed;
  }
  SnapshotPtr snapshot = cache.GetSnapshot(cache.KeyOf(request.node()));
  if (snapshot == nullptr) return absl::UnavailableError("no configuration for this node yet");
  FetchResult result;
  result.type_url = std::string(type_url);
  result.version = snapshot->Version(type_url);
  if (!request.version_info().empty() && request.version_info() == result.version) {
    return absl::FailedPreconditionError(kNotModified);
  }
  const auto& names = request.resource_names();
  if (names.empty() || std::find(names.begin(), names.end(), "*") != names.end()) {
    for (const auto& [name, resource] : snapshot->Resources(type_url)) {
      result.resources.push_back(resource);
    }
  } else {
    const std::set<std::string, std::less<>> wanted(names.begin(), names.end());
    for (const std::string& name : wanted) {
      if (ResourcePtr resource = snapshot->Find(type_url, name))
        result.resources.push_back(resource);
    }
  }
  if (callbacks != nullptr) {
    ResponseInfo info;
    info.type_url = result.type_url;
    info.version = result.version;
    for (const ResourcePtr& resource : result.resources)
      info.resource_names.push_back(resource->name());
    callbacks->OnFetchResponse(request, info);
  }
  return result;
}

bool IsNotModified(const absl::Status& status) {
  return status.code() == absl::StatusCode::kFailedPrecondition && status.message() == kNotModified;
}

}  // namespace xdsd
