#pragma once

#include <vector>

#include "nlohmann/json.hpp"
#include "xdsd/status.h"

namespace xdsd::admin {

// The JSON form of a node's status, as served by GET /v1/nodes:
//
//   {"id": "...", "cluster": "...",
//    "locality": {"region": "eu-west-1", "zone": "eu-west-1a", "sub_zone": ""},
//    "user_agent_name": "envoy", "user_agent_version": "1.30.1",
//    "peer": "ipv4:10.0.0.7:53622", "variant": "sotw-ads",
//    "first_seen": "2024-05-01T10:00:00.000Z", "connected_since": "...", "last_request": "...",
//    "open_streams": 1, "open_watches": 1,
//    "types": [{"type_url": "...", "type": "clusters", "state": "SYNCED",
//               "version_sent": "...", "nonce_sent": "...", "version_acked": "...",
//               "version_nacked": "",
//               "nack_error": "", "nack_count": 0, "sent_at": ..., "acked_at": ...,
//               "nacked_at": ...}, ...]}
//
// With `with_metadata` (GET /v1/nodes?metadata=1), "metadata" holds node.metadata as JSON
// (over --max-node-metadata-bytes, the note that replaced it); without, it is left out.
// "disconnected_at" is when the node's last stream closed (null while connected): it is
// forgotten --forget-nodes-after later.
//
// Times are RFC 3339 in UTC with milliseconds, null when the event never happened.
// user_agent_version is the node's user_agent_version, or its user_agent_build_version rendered
// as "major.minor.patch".
nlohmann::json NodeStatusToJson(const NodeStatus& status, bool with_metadata = false);

// A JSON array of NodeStatusToJson().
nlohmann::json NodeStatusesToJson(const std::vector<NodeStatus>& statuses,
                                  bool with_metadata = false);

}  // namespace xdsd::admin
