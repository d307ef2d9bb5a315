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

// One state-of-the-world response to write.
struct SotwResponse {
  std::string type_url;
  std::string version;
  std::string nonce;
  std::vector<ResourcePtr> resources;  // by name, no name twice
  // Resources with a TTL go in the envoy.service.discovery.v3.Resource wrapper with their TTL
  // (the client supports TTLs in state of the world).
  bool wrap_ttl = false;
  // A heartbeat: the same version again, TTL resources without their body, to renew them.
  bool heartbeat = false;
  // The snapshot the resources come from: encodings shared by every stream are kept there.
  SnapshotPtr snapshot;
};

using SotwRequestOutcome = RequestOutcome;

// The protocol state of one state-of-the-world stream, ADS or per-type: requests and snapshots
// in, responses out. It holds no gRPC types; the stream reactor feeds it and writes what it
// returns, one response at a time.
//
// Per type URL it keeps (PROTOCOL 3):
//   subscription  wildcard, or the names asked for; the latest request supersedes (5, 12)
//   known         the resources the client holds: what it ACKed (or had, on reconnect)
//   in flight     the response sent and not yet answered: at most one per type, so newer
//                 snapshots coalesce into the next response
//   nacked        the content of the response the client rejected: never sent again (8)
//
// A type needs a response when the snapshot's resources for its subscription differ from what
// the client knows, or when the client asked again (new names, a full-state type's changed
// subscription, a re-request of EDS/RDS while Envoy warms (11, 13, 17)). On ADS, NextResponse
// goes through the types in make-before-break order (18): when a listener or cluster update
// also removes names and a later type has work to do, it first sends the new set together with
// the removed resources, and sends the removal only once the later types are answered.
//
// Only listeners and clusters (the full-state types) go out whole every time (13). A response of
// another type carries just the resources the client does not hold at their current version
// (32); the first response of a type, a changed or repeated subscription and the first response
// after a NACK carry the whole subscription. set_full_responses(true) makes every response whole.
//
// A NACK (8) remembers the content of the response rejected: a response with that content is
// never sent again. Of the types that are not full-state it also remembers each resource the
// rejected response carried that the client did not hold (`rejected`, name → version): until
// the snapshot changes that resource, the stream serves the client what it still runs in its
// place (or nothing of it), so no response, whole or partial, repeats a rejected resource. Such
// a response's version is the hash of what it holds, not the snapshot's.
//
// Re-sync after a withdrawn NACK (33): a NACK leaves the type NACKed until the next response.
// When a snapshot whose version of the type differs from the one the rejected response was made
// from serves the subscription exactly what the client holds (the bad config was withdrawn: a
// rollout abort, a rollback, an edit back), nothing is due, yet the client's status would say
// NACKED forever. The stream then sends that content once, whole, under the snapshot's version,
// for the client to ACK; never when it is what the rejected response carried, nor while a
// rejected resource is still served in the client's place (the config was not withdrawn).
//
// Thread-compatible: the owner serializes calls.
class SotwStreamState : public StreamStateBase {
 public:
  // `stream_type_url` is the type of a per-type stream, "" on ADS. `max_names` bounds the names
  // subscribed over all types.
  explicit SotwStreamState(std::string_view stream_type_url,
                           size_t max_names = kDefaultMaxNamesPerStream);

  // Takes a request. Fails with InvalidArgument for a request that breaks the protocol (no type
  // on ADS, another type than the stream's, a type xdsd does not serve), ResourceExhausted for
  // one that would subscribe to more than `max_names` names; the stream should end then.
  absl::StatusOr<SotwRequestOutcome> OnRequest(
      const envoy::service::discovery::v3::DiscoveryRequest& request);

  // Takes the snapshot now served to the stream's node (null while there is none).
  void OnSnapshot(SnapshotPtr snapshot);

  // The time now, for heartbeats: a type whose client holds resources with a TTL gets a
  // heartbeat once half the shortest TTL has passed since they were last sent or renewed.
  void OnTick(absl::Time now);

  // The next response to write, if one is due. Marks it in flight.
  std::optional<SotwResponse> NextResponse();

  // Whether every response carries the whole subscription, for every type (--sotw-full-responses;
  // for clients that drop what a response leaves out). Default false: only the full-state types.
  void set_full_responses(bool full) { full_responses_ = full; }

 private:
  // Resource versions by name: what a response carried or what a client holds.
  using Contents = std::map<std::string, ResourcePtr, std::less<>>;

  struct TypeState {
    bool subscribed = false;  // a request for the type arrived
    bool wildcard = false;
    bool legacy_wildcard = false;  // wildcard by an empty first request
    // Shared between the streams that ask for the same names (a fleet of Envoys asks alike).
    SharedNameSet names = EmptyNameSet();
    bool force = false;       // answer the next time even if the content is unchanged
    bool whole_next = false;  // the next response carries the whole subscription (after a NACK)
    // What the client holds. Shared with `sent` once ACKed: a stream keeps one copy.
    std::shared_ptr<const Contents> known = std::make_shared<const Contents>();
    // The snapshot's version of the type when `known` was all the subscription asked for of
    // it; while the snapshot's version is still this, nothing is due (no need to compare).
    mutable std::string known_type_version;
    bool in_flight = false;
    std::string sent_nonce;  // the latest nonce sent; "" before the first response
    std::string sent_version;
    std::shared_ptr<const Contents> sent;  // content of the latest response
    // What the latest response carried when it was partial (the changed part of `sent`).
    std::shared_ptr<const Contents> sent_carried;
    std::string sent_type_version;  // as known_type_version, for `sent`
    // The snapshot's version of the type when the latest response was made.
    std::string sent_snapshot_version;
    // While NACKed (the latest response was rejected, nothing sent since): the snapshot version
    // the rejected response was made from; "" otherwise. A re-sync is considered only at
    // another version, and once per version (`resync_checked_version`).
    std::string nacked_snapshot_version;
    std::string resync_checked_version;
    // The content of the response rejected (for other types, what it carried): never again.
    std::shared_ptr<const Contents> nacked;
    // Types that are not full-state: name → version of each resource the client rejected.
    std::map<std::string, std::string, std::less<>> rejected;
    std::string known_version;  // the version of `known`, as last sent
    uint64_t names_digest = 0;  // of the latest request's names, as sent: a repeat is no change
    absl::Time renewed_at = absl::InfinitePast();  // when `known`'s TTLs were last renewed
    bool heartbeat_due = false;
  };

  // What the snapshot holds for a type's subscription.
  Contents Desired(std::string_view type_url, const TypeState& state) const;
  // The same, made once per snapshot for all the streams that subscribe alike.
  std::shared_ptr<const Contents> SharedDesired(std::string_view type_url,
                                                const TypeState& state) const;
  // What the stream serves for a type: SharedDesired, except that a resource the client rejected
  // (`rejected`) is replaced by the version the client holds, or left out. `shared` says whether
  // the result is SharedDesired's, the same for every stream that subscribes alike.
  std::shared_ptr<const Contents> Serving(std::string_view type_url, const TypeState& state,
                                          bool* shared) const;
  bool NeedsResponse(std::string_view type_url, const TypeState& state) const;
  // As NeedsResponse, for `desired` already computed (`shared`: as Serving says).
  bool NeedsResponse(std::string_view type_url, const TypeState& state, const Contents& desired,
                     bool shared) const;
  bool LaterTypesBusy(std::string_view type_url) const;
  // Whether a NACKed type may need a re-sync at the snapshot's version (see above).
  bool ResyncPending(std::string_view type_url, const TypeState& state) const;
  // Whether `serving` (as Serving returned it, with `shared`) is a re-sync: the snapshot's own
  // content, exactly what the client holds, and not what it rejected. Remembers the version
  // checked.
  bool IsResync(std::string_view type_url, TypeState& state, const Contents& serving, bool shared);
  // `contents` is what the client holds once it ACKs; the response carries `carried` when given
  // (the changed part of `contents`), else all of `contents`. `whole_subscription`: `contents` is
  // the snapshot's for the subscription (SharedDesired).
  SotwResponse MakeResponse(std::string_view type_url, TypeState& state,
                            std::shared_ptr<const Contents> contents, std::string version,
                            bool whole_subscription,
                            std::shared_ptr<const Contents> carried = nullptr);
  // The resources of `desired` the client does not hold at their version; null when the
  // response must carry the whole subscription. `shared`: as Serving says.
  std::shared_ptr<const Contents> ChangedPart(std::string_view type_url, const TypeState& state,
                                              const Contents& desired, bool shared) const;
  void UpdateSubscription(std::string_view type_url, TypeState& state,
                          const envoy::service::discovery::v3::DiscoveryRequest& request);

  std::map<std::string, TypeState, std::less<>> types_;
  bool full_responses_ = false;
};

// True when two contents hold the same names at the same versions.
bool SameContents(const std::map<std::string, ResourcePtr, std::less<>>& a,
                  const std::map<std::string, ResourcePtr, std::less<>>& b);

}  // namespace xdsd::server
