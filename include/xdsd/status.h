#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "envoy/config/core/v3/base.pb.h"

namespace xdsd {

// Where a node stands with one resource type.
enum class SyncState {
  kNotSent,  // the node asked for the type but nothing was sent yet (or nothing exists)
  kPending,  // a response was sent and is not yet ACKed or NACKed
  kSynced,   // the node ACKed the latest response
  kNacked,   // the node rejected the latest response; it keeps running what it ACKed before
};

std::string_view SyncStateName(SyncState state);  // "NOT_SENT", "PENDING", "SYNCED", "NACKED"

// What one node was sent of one type, and what it made of it.
struct TypeStatus {
  std::string type_url;
  SyncState state = SyncState::kNotSent;
  std::string version_sent;  // the version of the latest response sent
  std::string nonce_sent;
  absl::Time sent_at = absl::InfinitePast();
  std::string version_acked;  // the latest version the node ACKed
  absl::Time acked_at = absl::InfinitePast();
  std::string version_nacked;  // the latest version the node rejected, and why
  std::string nack_error;
  absl::Time nacked_at = absl::InfinitePast();
  int nack_count = 0;
};

// One node as the cache knows it.
struct NodeStatus {
  envoy::config::core::v3::Node node;  // as given in its first request
  absl::Time first_seen = absl::InfinitePast();
  absl::Time connected_since = absl::InfinitePast();  // the latest stream's opening
  absl::Time last_request = absl::InfinitePast();
  absl::Time disconnected_at = absl::InfinitePast();  // when its last open stream closed
  std::string peer;     // the latest stream's remote address, as gRPC gives it
  std::string variant;  // the latest stream's protocol: "sotw-ads", "delta-ads", "sotw", "delta"
  std::vector<std::string> identities;  // the latest stream's client certificate identities
  int open_streams = 0;
  int open_watches = 0;           // streams waiting for the snapshot of this node's key
  std::vector<TypeStatus> types;  // in the order the node first asked for them
  // Why xdsd last ended one of this node's streams with an error ("" if it never did), e.g.
  // "DEADLINE_EXCEEDED: no progress writing a response for 60s".
  std::string last_stream_error;
  absl::Time last_stream_error_at = absl::InfinitePast();
};

}  // namespace xdsd
