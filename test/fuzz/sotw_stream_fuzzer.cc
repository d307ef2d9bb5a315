// The state-of-the-world stream state machine (ADS, clusters and endpoints) driven by a
// sequence of snapshots, requests, ACKs and NACKs decoded from the input, and checked against
// a reference model of what PROTOCOL.md promises:
//   - at most one response in flight per type (an answer is a request carrying its nonce);
//   - every nonce unique within the stream, no name twice in one response;
//   - a NACKed content never sent again unchanged while the type's snapshot stays the same;
//   - once quiet (every response ACKed), the client holds every subscribed name that exists
//     (checked for types it never rejected anything of);
//   - a type whose latest answer was a NACK, served by a snapshot of another version exactly what
//     the client holds (and not what it rejected), is re-synced before the stream goes quiet;
//     a response of just what the client holds follows a NACK only after a new snapshot
//     version of the type or a new request (PROTOCOL 33: no re-sync loop).
// A broken promise aborts (libFuzzer reports it as a crash).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fuzz/stream_fuzzing.h"
#include "server/sotw_stream_state.h"
#include "xdsd/resource_types.h"

namespace {

using envoy::service::discovery::v3::DiscoveryRequest;
using xdsd::fuzzing::Bytes;
using xdsd::fuzzing::Check;
using xdsd::fuzzing::DecodeSnapshot;
using xdsd::fuzzing::kNames;
using xdsd::fuzzing::kTypes;
using xdsd::server::SotwResponse;
using xdsd::server::SotwStreamState;

// What a response carried: (name, resource version) pairs.
using Content = std::set<std::pair<std::string, std::string>>;

struct TypeModel {
  bool subscribed = false;
  bool wildcard = false;
  bool legacy_wildcard = false;
  std::set<std::string> names;
  std::optional<std::string> in_flight_nonce;
  Content in_flight_content;
  std::string in_flight_version;
  std::string in_flight_snapshot_version;  // the type's snapshot version when it was sent
  Content held;                            // what the client ACKed last
  std::string held_version;
  std::string last_nonce;         // of the latest response of the type
  std::optional<Content> nacked;  // cleared when the type's snapshot version changes
  // A rejected content is never sent again, even when the config comes back to it: the last
  // check skips types the client ever rejected something of.
  bool ever_nacked = false;
  std::string snapshot_version;
  // While the latest answer is a NACK and nothing was sent since: the snapshot version the
  // rejected response was made from, and what it carried.
  std::optional<std::string> nacked_from;
  Content rejected;
  // Every resource any NACK of the stream rejected. The server remembers a rejected resource
  // (name and version) until the config changes it, even when the client held that very
  // version from an earlier response: such a resource counts as still served in the client's
  // place, and no re-sync comes (docs/PROTOCOL.md, rule 33).
  Content ever_rejected;
  // A NACK came, and neither the type's snapshot version (since the rejected response was made)
  // nor its request changed.
  bool quiet_since_nack = false;

  // What the client holds of its current subscription.
  Content HeldOfSubscription() const {
    if (wildcard) return held;
    Content subscribed;
    for (const auto& entry : held) {
      if (names.contains(entry.first)) subscribed.insert(entry);
    }
    return subscribed;
  }

  // The client applies the response in flight of `type`: for listeners and clusters it is the
  // whole set; for the other types it updates the names it carries and keeps the rest
  // (PROTOCOL 32: a SotW response of those types may carry only what changed).
  void ApplyInFlight(const std::string& type) {
    if (xdsd::IsFullStateType(type)) {
      held = in_flight_content;
    } else {
      std::erase_if(held, [&](const auto& entry) {
        return std::any_of(in_flight_content.begin(), in_flight_content.end(),
                           [&](const auto& sent) { return sent.first == entry.first; });
      });
      held.insert(in_flight_content.begin(), in_flight_content.end());
    }
    held_version = in_flight_version;
    in_flight_nonce.reset();
  }

  // The subscription again, as the client repeats it in every request.
  void AddNames(DiscoveryRequest& request) const {
    if (wildcard && !legacy_wildcard) request.add_resource_names("*");
    for (const std::string& name : names) {
      if (name != "*") request.add_resource_names(name);
    }
  }
};

class Model {
 public:
  // Partial responses (the default): the model applies them as a client does.
  Model() = default;

  void Snapshot(Bytes& in) {
    snapshot_ = DecodeSnapshot(in);
    for (const std::string& type : kTypes) {
      TypeModel& model = types_[type];
      const std::string version = snapshot_->Version(type);
      if (version != model.snapshot_version) {
        model.nacked.reset();
        model.quiet_since_nack = false;
      }
      model.snapshot_version = version;
    }
    state_.OnSnapshot(snapshot_);
  }

  // A subscription change (or the first request) for one type, without a nonce.
  void Subscribe(Bytes& in) {
    const uint8_t byte = in.Next();
    const std::string& type = kTypes[byte & 1];
    TypeModel& model = types_[type];
    DiscoveryRequest request;
    request.set_type_url(type);
    if (byte & 2) {
      request.add_resource_names("*");
    } else {
      for (int i = 0; i < 4; ++i) {
        if (byte & (4 << i)) request.add_resource_names(kNames[i]);
      }
    }
    // A first request with no names is the legacy wildcard of the full-state types (PROTOCOL
    // 12), which lasts while the requests name nothing ("*" is no name).
    const bool empty = request.resource_names_size() == 0;
    if (!model.subscribed) model.legacy_wildcard = empty && type == kTypes[0];
    if (!empty && !(byte & 2)) model.legacy_wildcard = false;
    model.wildcard = (byte & 2) || model.legacy_wildcard;
    model.names.clear();
    for (const std::string& name : request.resource_names()) model.names.insert(name);
    model.subscribed = true;
    model.quiet_since_nack = false;
    // The latest nonce of the type rides along, as Envoy sends it: without it the request
    // would be stale and ignored (PROTOCOL 6). It also answers a response in flight.
    request.set_response_nonce(model.last_nonce);
    request.set_version_info(model.held_version);
    if (model.in_flight_nonce.has_value()) {
      request.set_version_info(model.in_flight_version);
      model.ApplyInFlight(type);
    }
    // The client drops what it no longer asks for (asking again brings it back, PROTOCOL 11).
    model.held = model.HeldOfSubscription();
    Check(state_.OnRequest(request).ok(), "a well-formed request is accepted");
  }

  // The client answers the response in flight of a type, ACK or NACK, or sends a stale nonce.
  void Answer(Bytes& in) {
    const uint8_t byte = in.Next();
    const std::string& type = kTypes[byte & 1];
    TypeModel& model = types_[type];
    if (!model.subscribed) return;
    DiscoveryRequest request;
    request.set_type_url(type);
    model.AddNames(request);
    if (byte & 2 || !model.in_flight_nonce.has_value()) {
      request.set_response_nonce(absl::StrCat("stale-", byte));
      Check(state_.OnRequest(request).ok(), "a stale request is accepted");
      return;
    }
    request.set_response_nonce(*model.in_flight_nonce);
    if (byte & 4) {
      request.mutable_error_detail()->set_message("rejected");
      model.nacked = model.in_flight_content;
      model.ever_nacked = true;
      model.nacked_from = model.in_flight_snapshot_version;
      model.rejected = model.in_flight_content;
      model.ever_rejected.insert(model.in_flight_content.begin(), model.in_flight_content.end());
      // Quiet unless the snapshot moved while the rejected response was in flight.
      model.quiet_since_nack = model.snapshot_version == model.in_flight_snapshot_version;
    } else {
      request.set_version_info(model.in_flight_version);
      model.ApplyInFlight(type);
    }
    model.in_flight_nonce.reset();
    Check(state_.OnRequest(request).ok(), "an answer is accepted");
  }

  // Takes the next response, if one is due, and checks it.
  bool Respond() {
    std::optional<SotwResponse> response = state_.NextResponse();
    if (!response.has_value()) return false;
    TypeModel& model = types_[response->type_url];
    Check(model.subscribed, "a response only for a type asked for");
    Check(!model.in_flight_nonce.has_value(), "at most one response in flight per type");
    Check(nonces_.insert(response->nonce).second, "every nonce unique in the stream");
    Content content;
    for (const xdsd::ResourcePtr& resource : response->resources) {
      Check(content.emplace(resource->name(), resource->version()).second,
            "no name twice in one response");
    }
    Check(!model.nacked.has_value() || *model.nacked != content || response->heartbeat,
          "a NACKed content is not sent again unchanged");
    Check(!model.quiet_since_nack || content != model.HeldOfSubscription() || response->heartbeat,
          "what the client holds is re-sent after a NACK only for a new snapshot or request");
    model.nacked_from.reset();
    model.in_flight_snapshot_version = model.snapshot_version;
    model.in_flight_nonce = response->nonce;
    model.last_nonce = response->nonce;
    model.in_flight_version = response->version;
    model.in_flight_content = std::move(content);
    return true;
  }

  // ACKs every response until none is due, then checks that the client holds every subscribed
  // name that exists (unless it rejected the type's current content).
  void Settle() {
    for (int round = 0; round < 64; ++round) {
      bool any = Respond();
      for (const std::string& type : kTypes) {
        TypeModel& model = types_[type];
        if (!model.in_flight_nonce.has_value()) continue;
        DiscoveryRequest ack;
        ack.set_type_url(type);
        model.AddNames(ack);
        ack.set_response_nonce(*model.in_flight_nonce);
        ack.set_version_info(model.in_flight_version);
        model.ApplyInFlight(type);
        Check(state_.OnRequest(ack).ok(), "an ACK is accepted");
        any = true;
      }
      if (!any) break;
    }
    Check(!state_.NextResponse().has_value(), "the stream goes quiet once everything is ACKed");
    if (snapshot_ == nullptr) return;
    for (const std::string& type : kTypes) {
      const TypeModel& model = types_[type];
      if (!model.subscribed || !model.nacked_from.has_value() ||
          *model.nacked_from == model.snapshot_version) {
        continue;
      }
      Content due;
      for (const auto& [name, resource] : snapshot_->Resources(type)) {
        if (model.wildcard || model.names.contains(name)) due.emplace(name, resource->version());
      }
      // Names that do not exist are not answered for the other types (PROTOCOL 14, 16). Of
      // those types the server counts as rejected what a rejected response carried that the
      // client did not hold as far as it knows; a client keeps what a response leaves out, so
      // it may hold more than the server knows: a resource both due and rejected (by this NACK
      // or an earlier one) is left alone.
      bool unanswered = false;
      if (!xdsd::IsFullStateType(type)) {
        unanswered = due.empty() || std::any_of(due.begin(), due.end(), [&](const auto& entry) {
                       return model.ever_rejected.contains(entry);
                     });
      }
      Check(due != model.HeldOfSubscription() || due == model.rejected || unanswered,
            "a NACKed type served what the client holds is re-synced once quiet");
    }
    for (const std::string& type : kTypes) {
      const TypeModel& model = types_[type];
      if (!model.subscribed || model.ever_nacked) continue;
      for (const auto& [name, resource] : snapshot_->Resources(type)) {
        if (!model.wildcard && !model.names.contains(name)) continue;
        if (!model.held.contains({name, resource->version()})) {
          fprintf(stderr, "%s %s (wildcard %d) not held; held:", type.c_str(), name.c_str(),
                  model.wildcard);
          for (const auto& [held, version] : model.held) fprintf(stderr, " %s", held.c_str());
          fprintf(stderr, "\n");
        }
        Check(model.held.contains({name, resource->version()}),
              "every subscribed name that exists is held once the stream is quiet");
      }
    }
  }

 private:
  SotwStreamState state_{""};
  xdsd::SnapshotPtr snapshot_;
  std::map<std::string, TypeModel> types_;
  std::set<std::string> nonces_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  xdsd::fuzzing::RunSteps<Model>(data, size);
  return 0;
}
