#include "status/sent_resources.h"

#include <algorithm>

namespace xdsd::status {

std::vector<std::string> SentResources::Names(std::string_view node_id,
                                              std::string_view type_url) const {
  std::vector<std::string> names;
  {
    absl::MutexLock lock(&mu_);
    auto node = nodes_.find(absl::string_view(node_id.data(), node_id.size()));
    if (node == nodes_.end()) return names;
    auto type = node->second.find(absl::string_view(type_url.data(), type_url.size()));
    if (type == node->second.end()) return names;
    names.assign(type->second.begin(), type->second.end());
  }
  std::sort(names.begin(), names.end());
  return names;
}

void SentResources::Forget(const std::string& node_id) {
  absl::MutexLock lock(&mu_);
  nodes_.erase(node_id);
}

void SentResources::OnStreamResponse(const StreamInfo& stream,
                                     const envoy::config::core::v3::Node& node,
                                     const ResponseInfo& response) {
  absl::MutexLock lock(&mu_);
  NameSet& names = nodes_[node.id()][response.type_url];
  if (stream.delta) {
    for (const std::string& name : response.removed_names) names.erase(name);
  } else {
    names.clear();
  }
  names.insert(response.resource_names.begin(), response.resource_names.end());
}

}  // namespace xdsd::status
