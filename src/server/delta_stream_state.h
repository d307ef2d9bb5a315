#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "envoy/service/discovery/v3/discovery.pb.h"
#include "server/stream_state_common.h"
#include "xdsd/snapshot.h"

namespace xdsd::server {

// One incremental (delta) response to write.
struct DeltaResponse {
  std::string type_url;
  std::string system_version;  // informational (PROTOCOL 20): the type's snapshot version
  std::string nonce;
  std::vector<ResourcePtr> resources;  // added or changed, each with its own version
  std::vector<std::string> removed;    // names the client must drop
  // Virtual hosts asked for on demand that do not exist: each goes as an empty entry.
  std::vector<std::string> not_found;
  bool send_ttl = false;   // the client supports TTLs: each resource carries its TTL
  bool heartbeat = false;  // renews the TTLs: the resources go without their body
};

using DeltaRequestOutcome = RequestOutcome;

// The protocol state of one incremental (delta) stream, ADS or per-type: requests and
// snapshots in, responses out; no gRPC types.
//
// Per type URL it keeps:
//   subscription  wildcard ("*", or an empty first request for listeners and clusters; 26) and
//                 the names subscribed explicitly
//   client        the version of each resource the client holds: initial_resource_versions
//                 on reconnect, then what it ACKed (21)
//   in flight     the response sent and not yet answered, with what it sent and removed: at
//                 most one per type; newer snapshots coalesce into the next response
//   nacked        the versions of the resources of a rejected response: not sent again
//   missing       subscribed names reported as not existing, so each is reported once (24)
//   resend        names subscribed again: sent in the next response whatever the client holds
//                 (25)
//
// A response carries every subscribed resource whose version differs from the client's, and
// removes what the client holds that no longer exists (23). On ADS the types go in
// make-before-break order, and removals of listeners and clusters wait until the later types
// are answered (18).
//
// Thread-compatible: the owner serializes calls.
class DeltaStreamState : public StreamStateBase {
 public:
  // `stream_type_url` is the type of a per-type stream, "" on ADS.
  // `max_names` bounds the names subscribed over all types.
  explicit DeltaStreamState(std::string_view stream_type_url,
                            size_t max_names = kDefaultMaxNamesPerStream);

  absl::StatusOr<DeltaRequestOutcome> OnRequest(
      const envoy::service::discovery::v3::DeltaDiscoveryRequest& request);
  void OnSnapshot(SnapshotPtr snapshot);
  std::optional<DeltaResponse> NextResponse();

  // The time now, for heartbeats of the TTL resources the client holds.
  void OnTick(absl::Time now);

 private:
  struct Change {
    std::map<std::string, ResourcePtr, std::less<>> updated;
    std::set<std::string, std::less<>> removed;        // held by the client, gone now
    std::set<std::string, std::less<>> newly_missing;  // subscribed, never existed here
    bool empty() const { return updated.empty() && removed.empty() && newly_missing.empty(); }
  };
  struct TypeState {
    bool subscribed = false;
    bool wildcard = false;
    std::set<std::string, std::less<>> names;
    std::map<std::string, std::string, std::less<>> client;  // name → version held
    std::set<std::string, std::less<>> missing;
    bool in_flight = false;
    std::string sent_nonce;
    std::string sent_system_version;
    Change sent;
    std::map<std::string, std::string, std::less<>> nacked;  // name → version rejected
    absl::Time renewed_at = absl::InfinitePast();
    bool heartbeat_due = false;
    // Names subscribed again (PROTOCOL 25): sent once more even at the version the client
    // holds. Kept apart from `client`, which stays what the client really holds (a response in
    // flight that carries a re-subscribed name still lands in the client's cache when ACKed), so
    // that a name which then disappears is removed.
    std::set<std::string, std::less<>> resend;
  };
  // The TTL resources the client holds at the snapshot's version: what a heartbeat renews.
  std::vector<ResourcePtr> HeldTtlResources(std::string_view type_url,
                                            const TypeState& state) const;

  // Records `response` as the type's response in flight, with what it `sent`.
  void MarkInFlight(TypeState& state, const DeltaResponse& response, Change sent);
  bool Wants(const TypeState& state, std::string_view name) const;
  Change ComputeChange(std::string_view type_url, const TypeState& state) const;
  bool LaterTypesBusy(std::string_view type_url) const;

  std::map<std::string, TypeState, std::less<>> types_;
};

}  // namespace xdsd::server
