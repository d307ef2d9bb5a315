#include "admin/config_dump_json.h"

#include <optional>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "api/envoy_api.h"
#include "api/redaction.h"
#include "xdsd/resource.h"
#include "xdsd/snapshot.h"

namespace xdsd::admin {
namespace {

nlohmann::json ResourceToJson(const Resource& resource) {
  nlohmann::json json = {{"name", resource.name()}, {"version", resource.version()}};
  // Secrets are shown as "[redacted]" (api/redaction.h).
  absl::StatusOr<std::string> text =
      api::EnvoyApi::Get().BinaryToJson(api::FullTypeName(resource.type_url()),
                                        api::RedactedBytes(resource.type_url(), resource.bytes()));
  if (!text.ok()) {
    json["error"] = std::string(text.status().message());
    return json;
  }
  nlohmann::json parsed = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    json["error"] = "the resource's JSON does not parse";
  } else {
    json["resource"] = std::move(parsed);
  }
  return json;
}

}  // namespace

absl::StatusOr<nlohmann::json> ConfigDumpToJson(const SnapshotCache& cache,
                                                const std::string& node_id) {
  std::optional<NodeStatus> status = cache.GetNodeStatus(node_id);
  if (!status.has_value()) {
    return absl::NotFoundError(absl::StrCat("no node \"", node_id, "\" was seen"));
  }
  const std::string key = cache.KeyOf(status->node);
  const SnapshotPtr snapshot = cache.GetSnapshot(key);
  nlohmann::json types = nlohmann::json::array();
  if (snapshot != nullptr) {
    for (std::string_view type_url : kAdsOrder) {
      const Snapshot::ResourceMap& resources = snapshot->Resources(type_url);
      if (resources.empty()) continue;
      nlohmann::json list = nlohmann::json::array();
      for (const auto& [name, resource] : resources) list.push_back(ResourceToJson(*resource));
      types.push_back({{"type_url", std::string(type_url)},
                       {"type", std::string(TypeShortName(type_url))},
                       {"version", snapshot->Version(type_url)},
                       {"resources", std::move(list)}});
    }
  }
  return nlohmann::json{{"node", node_id},
                        {"snapshot_key", key},
                        {"has_snapshot", snapshot != nullptr},
                        {"types", std::move(types)}};
}

}  // namespace xdsd::admin
