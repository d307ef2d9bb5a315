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
#include "server/name_set.h"
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
  // The snapshot the resources come from: encodings shared by every stream are kept there.
  SnapshotPtr snapshot;
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
// Synced: once the client ACKs a response that brought it everything its subscription asks of
// a snapshot (nothing held back, nothing rejected, the subscription unchanged since), `client`
// is that snapshot's versions and is not kept: the type remembers the snapshot instead
// (`held_snapshot`). While synced, a type whose version did not move needs nothing, and a new
// snapshot needs what changed between the two snapshots (computed once per pair of snapshots
// for every stream, in the newer snapshot's memo) that the subscription wants. A subscription
// change, or an ACK of anything less than that, writes `client` out again. Virtual hosts (asked
// for by alias) are never synced.
//
// Re-sync after a withdrawn NACK (PROTOCOL 33): a NACK leaves the type NACKed until the next
// response. When a snapshot whose version of the type differs from the one the rejected response
// was made from leaves nothing due and nothing held back (the bad config was withdrawn: the
// client holds exactly what is served), the stream sends one response for the client to ACK:
// the resources the rejected response carried or removed, at the versions the client holds
// (none of them a rejected version), or none at all.
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
    // Non-null while synced (see above): the client holds exactly what the subscription asks of
    // it, and `client` is empty.
    SnapshotPtr held_snapshot;
    bool subscribed = false;
    bool wildcard = false;
    SharedNameSet names = EmptyNameSet();  // shared with the streams that ask alike
    std::map<std::string, std::string, std::less<>> client;  // name → version held
    std::set<std::string, std::less<>> missing;
    bool in_flight = false;
    std::string sent_nonce;
    std::string sent_system_version;
    Change sent;  // cleared once answered
    // The snapshot `sent` was computed from, when it was all the client lacked of it; else null.
    SnapshotPtr sent_complete_of;
    bool subscription_changed_since_sent = false;
    std::map<std::string, std::string, std::less<>> nacked;  // name → version rejected
    // While NACKed (the latest response rejected, nothing sent since): the snapshot version that
    // response was made from, and the names it carried or removed; "" and empty otherwise.
    std::string nacked_system_version;
    std::set<std::string, std::less<>> nacked_names;
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

  // Records `response` as the type's response in flight, with what it `sent`; `complete_of`:
  // as TypeState::sent_complete_of.
  void MarkInFlight(TypeState& state, const DeltaResponse& response, Change sent,
                    SnapshotPtr complete_of);
  // Calls `held(name, version)` for each resource the client holds.
  template <typename Held>
  void ForEachHeld(std::string_view type_url, const TypeState& state, Held held) const;
  // Ends the synced state of a type: writes out what the client holds into `client`.
  void Unsync(std::string_view type_url, TypeState& state) const;
  // While synced: what changed between the held snapshot and the current one that the
  // subscription wants. `complete` is set false when something was held back (rejected).
  Change SyncedChange(std::string_view type_url, const TypeState& state, bool* complete) const;
  bool Wants(const TypeState& state, std::string_view name) const;
  // What the client lacks of the snapshot; `complete` (when given) is set false when anything
  // it lacks is held back (a rejected version).
  Change ComputeChange(std::string_view type_url, const TypeState& state,
                       bool* complete = nullptr) const;
  bool LaterTypesBusy(std::string_view type_url) const;
  // The re-sync of a NACKed type (see above), when one is due; `change` is what the client lacks
  // of the snapshot and `complete` whether anything was held back.
  std::optional<DeltaResponse> Resync(std::string_view type_url, TypeState& state,
                                      const Change& change, bool complete);

  std::map<std::string, TypeState, std::less<>> types_;
};

}  // namespace xdsd::server
