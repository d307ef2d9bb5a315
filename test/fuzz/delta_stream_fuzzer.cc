// The delta (incremental) stream state machine (ADS, clusters and endpoints) driven by a
// sequence of snapshots, subscription changes, ACKs and NACKs decoded from the input, and
// checked against a reference model of what PROTOCOL.md promises:
//   - at most one response in flight per type; every nonce unique within the stream;
//   - no name twice in a response, and never both sent and removed in one response;
//   - once quiet (every response ACKed), the client holds every subscribed resource that
//     exists, at the snapshot's version (unless it rejected that version), and nothing that
//     does not exist;
//   - a type whose latest answer was a NACK, in sync with a snapshot of another version than the
//     rejected response's, is re-synced before the stream goes quiet; a response that changes
//     nothing the client holds follows a NACK only after a new snapshot version of the type or a
//     subscription change (PROTOCOL 33: no re-sync loop).
// A broken promise aborts (libFuzzer reports it as a crash).
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
#include "server/delta_stream_state.h"
#include "xdsd/resource_types.h"

namespace {

using envoy::service::discovery::v3::DeltaDiscoveryRequest;
using xdsd::fuzzing::Bytes;
using xdsd::fuzzing::Check;
using xdsd::fuzzing::DecodeSnapshot;
using xdsd::fuzzing::kNames;
using xdsd::fuzzing::kTypes;
using xdsd::server::DeltaResponse;
using xdsd::server::DeltaStreamState;

struct TypeModel {
  bool subscribed = false;
  bool wildcard = false;
  std::set<std::string> names;
  std::map<std::string, std::string> held;  // name → version, as the client applied them
  std::optional<std::string> in_flight_nonce;
  std::map<std::string, std::string> in_flight_sent;
  std::set<std::string> in_flight_removed;
  // Every (name, version) the client rejected: never sent again (PROTOCOL 8; versions are
  // content hashes, so a config that goes back to a rejected content stays unsent).
  std::set<std::pair<std::string, std::string>> rejected;
  std::string in_flight_system_version;
  std::string snapshot_version;
  // While the latest answer is a NACK and nothing was sent since: the system version of the
  // rejected response.
  std::optional<std::string> nacked_from;
  // A NACK came, and neither the type's snapshot version (since the rejected response was made)
  // nor its subscription changed.
  bool quiet_since_nack = false;
  bool subscribed_since_sent = false;  // a subscription change since the latest response
};

class Model {
 public:
  void Snapshot(Bytes& in) {
    snapshot_ = DecodeSnapshot(in);
    for (const std::string& type : kTypes) {
      TypeModel& model = types_[type];
      const std::string version = snapshot_->Version(type);
      if (version != model.snapshot_version) model.quiet_since_nack = false;
      model.snapshot_version = version;
    }
    state_.OnSnapshot(snapshot_);
  }

  // Subscribes to (or unsubscribes from) names of one type, explicitly or "*".
  void Subscribe(Bytes& in) {
    const uint8_t byte = in.Next();
    const std::string& type = kTypes[byte & 1];
    TypeModel& model = types_[type];
    DeltaDiscoveryRequest request;
    request.set_type_url(type);
    const bool unsubscribe = byte & 2;
    std::vector<std::string> unsubscribed;
    for (int i = 0; i < 4; ++i) {
      if (!(byte & (4 << i))) continue;
      if (unsubscribe) {
        request.add_resource_names_unsubscribe(kNames[i]);
        model.names.erase(kNames[i]);
        unsubscribed.push_back(kNames[i]);
      } else {
        request.add_resource_names_subscribe(kNames[i]);
        model.names.insert(kNames[i]);
      }
    }
    if (byte & 64) {
      request.add_resource_names_subscribe("*");
      model.wildcard = true;
    }
    if (request.resource_names_subscribe_size() == 0 &&
        request.resource_names_unsubscribe_size() == 0) {
      if (model.subscribed) return;  // an empty request would be the legacy wildcard
      request.add_resource_names_subscribe("*");
      model.wildcard = true;
    }
    // Outside a wildcard, the client forgets what it unsubscribed from; a wildcard still covers
    // those names. A response in flight is judged when it is applied (Apply).
    if (!model.wildcard) {
      for (const std::string& name : unsubscribed) model.held.erase(name);
    }
    model.subscribed = true;
    model.quiet_since_nack = false;
    model.subscribed_since_sent = true;
    Check(state_.OnRequest(request).ok(), "a well-formed request is accepted");
  }

  void Answer(Bytes& in) {
    const uint8_t byte = in.Next();
    const std::string& type = kTypes[byte & 1];
    TypeModel& model = types_[type];
    if (!model.in_flight_nonce.has_value()) return;
    DeltaDiscoveryRequest request;
    request.set_type_url(type);
    request.set_response_nonce(*model.in_flight_nonce);
    if (byte & 2) {
      request.mutable_error_detail()->set_message("rejected");
      for (const auto& sent : model.in_flight_sent) {
        if (Wants(model, sent.first)) model.rejected.insert(sent);
      }
      model.nacked_from = model.in_flight_system_version;
      // Quiet unless the snapshot or the subscription moved while the rejected response was in
      // flight.
      model.quiet_since_nack =
          model.snapshot_version == model.in_flight_system_version && !model.subscribed_since_sent;
    } else {
      Apply(model);
    }
    model.in_flight_nonce.reset();
    Check(state_.OnRequest(request).ok(), "an answer is accepted");
  }

  bool Respond() {
    std::optional<DeltaResponse> response = state_.NextResponse();
    if (!response.has_value()) return false;
    TypeModel& model = types_[response->type_url];
    Check(model.subscribed, "a response only for a type subscribed to");
    Check(!model.in_flight_nonce.has_value(), "at most one response in flight per type");
    Check(nonces_.insert(response->nonce).second, "every nonce unique in the stream");
    model.in_flight_sent.clear();
    model.in_flight_removed.clear();
    bool changes_nothing = response->removed.empty();
    for (const xdsd::ResourcePtr& resource : response->resources) {
      Check(model.in_flight_sent.emplace(resource->name(), resource->version()).second,
            "no name twice in one response");
      auto held = model.held.find(resource->name());
      if (held == model.held.end() || held->second != resource->version()) changes_nothing = false;
    }
    Check(!model.quiet_since_nack || !changes_nothing,
          "a response that changes nothing follows a NACK only for a new snapshot or request");
    model.nacked_from.reset();
    model.in_flight_system_version = response->system_version;
    model.subscribed_since_sent = false;
    for (const std::string& name : response->removed) {
      Check(!model.in_flight_sent.contains(name), "never both sent and removed");
      model.in_flight_removed.insert(name);
    }
    model.in_flight_nonce = response->nonce;
    return true;
  }

  void Settle() {
    for (int round = 0; round < 64; ++round) {
      bool any = Respond();
      for (const std::string& type : kTypes) {
        TypeModel& model = types_[type];
        if (!model.in_flight_nonce.has_value()) continue;
        DeltaDiscoveryRequest ack;
        ack.set_type_url(type);
        ack.set_response_nonce(*model.in_flight_nonce);
        Apply(model);
        model.in_flight_nonce.reset();
        Check(state_.OnRequest(ack).ok(), "an ACK is accepted");
        any = true;
      }
      if (!any) break;
    }
    Check(!state_.NextResponse().has_value(), "the stream goes quiet once everything is ACKed");
    if (snapshot_ == nullptr) return;
    for (const std::string& type : kTypes) {
      const TypeModel& model = types_[type];
      if (!model.subscribed) continue;
      bool in_sync = true;
      for (const auto& [name, resource] : snapshot_->Resources(type)) {
        if (!model.wildcard && !model.names.contains(name)) continue;
        if (model.rejected.contains({name, resource->version()})) {
          in_sync = false;  // held back: the rejected config was not withdrawn
          continue;
        }
        auto held = model.held.find(name);
        Check(held != model.held.end() && held->second == resource->version(),
              "every subscribed resource that exists is held at its version once quiet");
      }
      for (const auto& [name, version] : model.held) {
        Check(snapshot_->Find(type, name) != nullptr,
              "nothing that no longer exists is held once quiet");
      }
      Check(!in_sync || !model.nacked_from.has_value() ||
                *model.nacked_from == model.snapshot_version,
            "a NACKed type in sync with a snapshot of another version is re-synced once quiet");
    }
  }

 private:
  // Whether the client, as subscribed now, takes a resource of that name.
  static bool Wants(const TypeModel& model, const std::string& name) {
    return model.wildcard || model.names.contains(name);
  }

  // The client applies the response in flight as subscribed when it reads it: what it sent and
  // the client still wants (a name unsubscribed meanwhile is dropped, unless a wildcard covers
  // it), minus what it removed.
  static void Apply(TypeModel& model) {
    for (const auto& [name, version] : model.in_flight_sent) {
      if (Wants(model, name)) model.held[name] = version;
    }
    for (const std::string& name : model.in_flight_removed) model.held.erase(name);
  }

  DeltaStreamState state_{""};
  xdsd::SnapshotPtr snapshot_;
  std::map<std::string, TypeModel> types_;
  std::set<std::string> nonces_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  xdsd::fuzzing::RunSteps<Model>(data, size);
  return 0;
}
