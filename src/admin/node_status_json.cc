#include "admin/node_status_json.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "xdsd/resource.h"

namespace xdsd::admin {
namespace {

// RFC 3339 in UTC with milliseconds: "2024-05-01T10:00:00.123Z".
constexpr char kTimeFormat[] = "%Y-%m-%d%ET%H:%M:%E3SZ";

nlohmann::json TimeToJson(absl::Time time) {
  if (time == absl::InfinitePast() || time == absl::InfiniteFuture()) return nullptr;
  return absl::FormatTime(kTimeFormat, time, absl::UTCTimeZone());
}

std::string UserAgentVersion(const envoy::config::core::v3::Node& node) {
  if (node.has_user_agent_build_version()) {
    const auto& version = node.user_agent_build_version().version();
    return absl::StrCat(version.major_number(), ".", version.minor_number(), ".", version.patch());
  }
  return node.user_agent_version();
}

nlohmann::json TypeStatusToJson(const TypeStatus& type) {
  return nlohmann::json{
      {"type_url", type.type_url},
      {"type", std::string(TypeShortName(type.type_url))},
      {"state", std::string(SyncStateName(type.state))},
      {"version_sent", type.version_sent},
      {"nonce_sent", type.nonce_sent},
      {"sent_at", TimeToJson(type.sent_at)},
      {"version_acked", type.version_acked},
      {"acked_at", TimeToJson(type.acked_at)},
      {"version_nacked", type.version_nacked},
      {"nack_error", type.nack_error},
      {"nacked_at", TimeToJson(type.nacked_at)},
      {"nack_count", type.nack_count},
  };
}

}  // namespace

nlohmann::json NodeStatusToJson(const NodeStatus& status, bool with_metadata) {
  nlohmann::json types = nlohmann::json::array();
  for (const TypeStatus& type : status.types) types.push_back(TypeStatusToJson(type));
  const envoy::config::core::v3::Locality& locality = status.node.locality();
  nlohmann::json json{
      {"id", status.node.id()},
      {"cluster", status.node.cluster()},
      {"locality",
       {{"region", locality.region()},
        {"zone", locality.zone()},
        {"sub_zone", locality.sub_zone()}}},
      {"user_agent_name", status.node.user_agent_name()},
      {"user_agent_version", UserAgentVersion(status.node)},
      {"peer", status.peer},
      {"identities", status.identities},
      {"variant", status.variant},
      {"first_seen", TimeToJson(status.first_seen)},
      {"connected_since", TimeToJson(status.connected_since)},
      {"last_request", TimeToJson(status.last_request)},
      {"open_streams", status.open_streams},
      {"open_watches", status.open_watches},
      {"disconnected_at", TimeToJson(status.disconnected_at)},
      {"types", std::move(types)},
      {"last_stream_error", status.last_stream_error.empty()
                                ? nlohmann::json(nullptr)
                                : nlohmann::json{{"message", status.last_stream_error},
                                                 {"at", TimeToJson(status.last_stream_error_at)}}},
  };
  if (with_metadata) {
    std::string metadata;
    if (google::protobuf::util::MessageToJsonString(status.node.metadata(), &metadata).ok()) {
      json["metadata"] = nlohmann::json::parse(metadata, nullptr, /*allow_exceptions=*/false);
    }
  }
  return json;
}

nlohmann::json NodeStatusesToJson(const std::vector<NodeStatus>& statuses, bool with_metadata) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const NodeStatus& status : statuses) {
    nodes.push_back(NodeStatusToJson(status, with_metadata));
  }
  return nodes;
}

}  // namespace xdsd::admin
