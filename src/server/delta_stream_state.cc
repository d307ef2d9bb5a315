#include "server/delta_stream_state.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/snapshot_memo.h"
#include "server/stream_state_common.h"
#include "xdsd/resource.h"

namespace xdsd::server {

using envoy::service::discovery::v3::DeltaDiscoveryRequest;

namespace {

// What changed in one type from one snapshot to another: the same for every stream.
struct TypeDiff {
  std::map<std::string, ResourcePtr, std::less<>> updated;  // added or at another version
  std::vector<std::string> removed;
};

// The difference of `type_url` from `from` to `to`, made once and kept in `to`'s memo.
std::shared_ptr<const TypeDiff> SharedDiff(const Snapshot& from, const Snapshot& to,
                                           std::string_view type_url) {
  const std::string key =
      absl::StrCat("delta-diff|", absl::string_view(type_url.data(), type_url.size()), "|",
                   from.Version(type_url));
  return std::static_pointer_cast<const TypeDiff>(SnapshotMemo::MemoizeShared(to, key, [&] {
    auto diff = std::make_shared<TypeDiff>();
    const Snapshot::ResourceMap& before = from.Resources(type_url);
    const Snapshot::ResourceMap& after = to.Resources(type_url);
    for (const auto& [name, resource] : after) {
      ResourcePtr old = before.Get(name);
      if (old == nullptr || (old != resource && old->version() != resource->version())) {
        diff->updated.emplace(name, resource);
      }
    }
    for (const auto& [name, resource] : before) {
      if (after.Get(name) == nullptr) diff->removed.push_back(name);
    }
    return std::static_pointer_cast<const void>(std::shared_ptr<const TypeDiff>(std::move(diff)));
  }));
}

}  // namespace

DeltaStreamState::DeltaStreamState(std::string_view stream_type_url, size_t max_names)
    : StreamStateBase(stream_type_url, max_names) {}

bool DeltaStreamState::Wants(const TypeState& state, std::string_view name) const {
  return state.wildcard || state.names->contains(name);
}

absl::StatusOr<DeltaRequestOutcome> DeltaStreamState::OnRequest(
    const DeltaDiscoveryRequest& request) {
  absl::StatusOr<std::string> requested_type = RequestTypeUrl(request.type_url(), stream_type_url_);
  if (!requested_type.ok()) return requested_type.status();
  const std::string& type_url = *requested_type;

  // Subscriptions add up over requests: what is held plus what this one may add (the names it
  // subscribes, and the versions a reconnecting client declares), before anything is stored.
  size_t names = static_cast<size_t>(request.resource_names_subscribe_size()) +
                 static_cast<size_t>(request.initial_resource_versions_size());
  for (const auto& [held_type, held] : types_) names += held.names->size();
  if (names > max_names_) return TooManyNamesError(names, max_names_);

  TypeState& state = types_[type_url];
  DeltaRequestOutcome outcome;
  outcome.type_url = type_url;
  const bool first = !state.subscribed;
  state.subscribed = true;

  const std::string& nonce = request.response_nonce();
  if (!nonce.empty() && nonce != state.sent_nonce) {
    outcome.kind = DeltaRequestOutcome::Kind::kStale;
  } else if (!nonce.empty() && state.in_flight) {
    outcome.version = state.sent_system_version;
    state.in_flight = false;
    const bool synced = state.sent_complete_of != nullptr && !state.subscription_changed_since_sent;
    if (request.has_error_detail()) {
      // The client applied nothing of the response: keep its versions, and never send the
      // rejected versions again. Names it unsubscribed from meanwhile are not what it rejected
      // (as an ACK does not make them held): subscribed again, they are sent.
      outcome.kind = DeltaRequestOutcome::Kind::kNack;
      outcome.error = request.error_detail().message();
      for (const auto& [name, resource] : state.sent.updated) {
        if (!Wants(state, name)) continue;
        state.nacked[name] = resource->version();
        state.nacked_names.insert(name);
      }
      for (const std::string& name : state.sent.removed) {
        if (Wants(state, name)) state.nacked_names.insert(name);
      }
      state.nacked_system_version = state.sent_system_version;  // PROTOCOL 33
    } else if (synced) {
      // The client holds all it asks for of that snapshot: nothing to write out.
      outcome.kind = DeltaRequestOutcome::Kind::kAck;
      state.held_snapshot = state.sent_complete_of;
      state.client.clear();
    } else {
      outcome.kind = DeltaRequestOutcome::Kind::kAck;
      Unsync(type_url, state);
      for (const auto& [name, resource] : state.sent.updated) {
        if (Wants(state, name)) state.client[name] = resource->version();
      }
      for (const std::string& name : state.sent.removed) state.client.erase(name);
    }
    state.sent = Change{};
    state.sent_complete_of = nullptr;
  }

  if (!request.resource_names_subscribe().empty() ||
      !request.resource_names_unsubscribe().empty()) {
    Unsync(type_url, state);
    state.subscription_changed_since_sent = true;
  }

  // Subscription changes count even on a stale request (PROTOCOL 22).
  if (first) {
    for (const auto& [name, version] : request.initial_resource_versions()) {
      state.client[name] = version;
    }
    if (request.resource_names_subscribe().empty() &&
        request.resource_names_unsubscribe().empty() && IsFullStateType(type_url)) {
      state.wildcard = true;  // PROTOCOL 26: the legacy wildcard
    }
  }
  NameSet subscribed;  // a copy of state.names, made when a name is added or dropped
  bool names_changed = false;
  auto edit_names = [&]() -> NameSet& {
    if (!names_changed) subscribed = *state.names;
    names_changed = true;
    return subscribed;
  };
  for (const std::string& name : request.resource_names_subscribe()) {
    if (name == "*") {
      state.wildcard = true;
      continue;
    }
    if (!state.names->contains(name)) edit_names().insert(name);
    state.missing.erase(name);
    // PROTOCOL 25: subscribing again resends; a reconnect's declared versions stand.
    if (!first || !request.initial_resource_versions().contains(name)) state.resend.insert(name);
  }
  for (const std::string& name : request.resource_names_unsubscribe()) {
    if (name == "*") {
      state.wildcard = false;
    } else {
      if ((names_changed ? subscribed : *state.names).contains(name)) edit_names().erase(name);
      state.missing.erase(name);
    }
  }
  if (names_changed) {
    const uint64_t digest = NamesDigest(subscribed);
    state.names = InternNameSet(digest, std::move(subscribed));
  }
  std::erase_if(state.client, [&](const auto& entry) { return !Wants(state, entry.first); });
  std::erase_if(state.resend, [&](const std::string& name) { return !Wants(state, name); });

  if (first && !request.initial_resource_versions().empty() && snapshot_ != nullptr &&
      ComputeChange(type_url, state).empty()) {
    outcome.holds_current_version = snapshot_->Version(type_url);
  }
  return outcome;
}

void DeltaStreamState::OnSnapshot(SnapshotPtr snapshot) { snapshot_ = std::move(snapshot); }

template <typename Held>
void DeltaStreamState::ForEachHeld(std::string_view type_url, const TypeState& state,
                                   Held held) const {
  if (state.held_snapshot == nullptr) {
    for (const auto& [name, version] : state.client) held(name, version);
    return;
  }
  const Snapshot::ResourceMap& resources = state.held_snapshot->Resources(type_url);
  if (state.wildcard) {
    for (const auto& [name, resource] : resources) held(name, resource->version());
  }
  for (const std::string& name : *state.names) {
    if (state.wildcard && resources.Get(name) != nullptr) continue;  // held above
    if (ResourcePtr resource = resources.Get(name)) held(name, resource->version());
  }
}

void DeltaStreamState::Unsync(std::string_view type_url, TypeState& state) const {
  if (state.held_snapshot == nullptr) return;
  std::map<std::string, std::string, std::less<>> client;
  ForEachHeld(type_url, state,
              [&](const std::string& name, const std::string& version) { client[name] = version; });
  state.client = std::move(client);
  state.held_snapshot = nullptr;
}

DeltaStreamState::Change DeltaStreamState::SyncedChange(std::string_view type_url,
                                                        const TypeState& state,
                                                        bool* complete) const {
  Change change;
  if (state.held_snapshot->Version(type_url) == snapshot_->Version(type_url)) return change;
  std::shared_ptr<const TypeDiff> diff = SharedDiff(*state.held_snapshot, *snapshot_, type_url);
  for (const auto& [name, resource] : diff->updated) {
    if (!Wants(state, name)) continue;
    auto rejected = state.nacked.find(name);
    if (rejected != state.nacked.end() && rejected->second == resource->version()) {
      *complete = false;
      continue;
    }
    change.updated.emplace(name, resource);
  }
  for (const std::string& name : diff->removed) {
    if (Wants(state, name)) change.removed.insert(name);  // PROTOCOL 23
  }
  return change;
}

DeltaStreamState::Change DeltaStreamState::ComputeChange(std::string_view type_url,
                                                         const TypeState& state,
                                                         bool* complete) const {
  bool ignored = true;
  if (complete == nullptr) complete = &ignored;
  Change change;
  if (!state.subscribed || snapshot_ == nullptr) return change;
  if (state.held_snapshot != nullptr) return SyncedChange(type_url, state, complete);
  const Snapshot::ResourceMap& resources = snapshot_->Resources(type_url);
  auto consider = [&](const std::string& name, const ResourcePtr& resource) {
    auto held = state.client.find(name);
    if (held != state.client.end() && held->second == resource->version() &&
        !state.resend.contains(name)) {
      return;
    }
    auto rejected = state.nacked.find(name);
    if (rejected != state.nacked.end() && rejected->second == resource->version()) {
      *complete = false;
      return;
    }
    change.updated.emplace(name, resource);
  };
  if (state.wildcard) {
    for (const auto& [name, resource] : resources) consider(name, resource);
  }
  // A subscribed name matches a resource's name or one of its aliases (PROTOCOL 27); the
  // client knows it by the name it subscribed.
  for (const std::string& name : *state.names) {
    if (state.wildcard && resources.contains(name)) continue;  // considered above
    if (ResourcePtr resource = snapshot_->FindByNameOrAlias(type_url, name)) {
      consider(name, resource);
    } else if (!state.client.contains(name) && !state.missing.contains(name)) {
      change.newly_missing.insert(name);  // PROTOCOL 24: reported once
    }
  }
  for (const auto& [name, version] : state.client) {
    if (snapshot_->FindByNameOrAlias(type_url, name) == nullptr) {
      change.removed.insert(name);  // PROTOCOL 23
    }
  }
  return change;
}

bool DeltaStreamState::LaterTypesBusy(std::string_view type_url) const {
  return LaterTypeIsBusy(types_, type_url,
                         [this](std::string_view type_url, const TypeState& later) {
                           return later.in_flight || !ComputeChange(type_url, later).empty();
                         });
}

void DeltaStreamState::MarkInFlight(TypeState& state, const DeltaResponse& response, Change sent,
                                    SnapshotPtr complete_of) {
  state.sent_complete_of = std::move(complete_of);
  state.subscription_changed_since_sent = false;
  state.renewed_at = now_;
  state.heartbeat_due = false;
  state.in_flight = true;
  state.sent_nonce = response.nonce;
  state.sent_system_version = response.system_version;
  state.sent = std::move(sent);
  state.nacked_system_version.clear();  // the client answers this response
  state.nacked_names.clear();
}

std::optional<DeltaResponse> DeltaStreamState::Resync(std::string_view type_url, TypeState& state,
                                                      const Change& change, bool complete) {
  // Something due goes as usual; something held back (a rejected version still served) means
  // the config was not withdrawn.
  if (!change.empty() || !complete || !state.subscribed || snapshot_ == nullptr ||
      state.nacked_system_version.empty() ||
      state.nacked_system_version == snapshot_->Version(type_url)) {
    return std::nullopt;
  }
  DeltaResponse response;
  response.type_url = type_url;
  response.system_version = snapshot_->Version(type_url);
  response.nonce = absl::StrCat(next_nonce_++);
  Change sent;
  // Nothing is due, so the client holds each of these at the snapshot's version.
  for (const std::string& name : state.nacked_names) {
    if (!Wants(state, name)) continue;
    ResourcePtr resource = snapshot_->FindByNameOrAlias(type_url, name);
    if (resource == nullptr) continue;
    auto rejected = state.nacked.find(name);
    if (rejected != state.nacked.end() && rejected->second == resource->version()) continue;
    response.resources.push_back(resource);
    sent.updated.emplace(name, std::move(resource));
  }
  response.send_ttl = ttl_supported_;
  response.snapshot = snapshot_;
  MarkInFlight(state, response, std::move(sent),
               type_url != kVirtualHostType ? snapshot_ : nullptr);
  return response;
}

std::optional<DeltaResponse> DeltaStreamState::NextResponse() {
  for (std::string_view type_url : TypesInAdsOrder(types_)) {
    TypeState& state = types_.find(type_url)->second;
    if (state.in_flight) continue;
    bool complete = true;
    Change change = ComputeChange(type_url, state, &complete);
    if (change.empty()) {
      // PROTOCOL 33: the rejected config was withdrawn; the client ACKs what it already runs.
      std::optional<DeltaResponse> resync = Resync(type_url, state, change, complete);
      if (resync.has_value()) return resync;
      continue;
    }
    // PROTOCOL 18: listeners and clusters are removed after the later types moved off them.
    if (ads() && IsFullStateType(type_url) && !change.removed.empty() && LaterTypesBusy(type_url)) {
      change.removed.clear();
      complete = false;
      if (change.empty()) continue;
    }

    DeltaResponse response;
    response.type_url = type_url;
    response.system_version = snapshot_->Version(type_url);
    response.nonce = absl::StrCat(next_nonce_++);
    for (const auto& [name, resource] : change.updated) {
      response.resources.push_back(resource);
      state.missing.erase(name);
      state.resend.erase(name);
    }
    response.removed.assign(change.removed.begin(), change.removed.end());
    for (const std::string& name : change.removed) {
      // A name subscribed by name that is gone is reported once, as one that never existed.
      if (state.names->contains(name)) state.missing.insert(name);
    }
    for (const std::string& name : change.newly_missing) {
      // A virtual host asked for on demand that does not exist is answered with an empty
      // entry carrying its name, as Envoy's on-demand VHDS expects; others are removed.
      (type_url == kVirtualHostType ? response.not_found : response.removed).push_back(name);
      state.missing.insert(name);
    }
    std::sort(response.removed.begin(), response.removed.end());
    response.send_ttl = ttl_supported_;
    response.snapshot = snapshot_;
    // Virtual hosts are asked for by alias: the snapshots' difference does not see those.
    const bool synced = complete && type_url != kVirtualHostType;
    MarkInFlight(state, response, std::move(change), synced ? snapshot_ : nullptr);
    return response;
  }
  // Heartbeats (PROTOCOL 28): the held TTL resources again, bodiless, at the same versions.
  for (std::string_view type_url : TypesInAdsOrder(types_)) {
    TypeState& state = types_.find(type_url)->second;
    if (state.in_flight || !state.heartbeat_due) continue;
    DeltaResponse response;
    response.type_url = type_url;
    response.system_version = snapshot_ != nullptr ? snapshot_->Version(type_url) : "";
    response.nonce = absl::StrCat(next_nonce_++);
    response.resources = HeldTtlResources(type_url, state);
    response.send_ttl = true;
    response.heartbeat = true;
    MarkInFlight(state, response, Change{}, nullptr);
    for (const ResourcePtr& resource : response.resources) {
      state.sent.updated.emplace(resource->name(), resource);
    }
    return response;
  }
  return std::nullopt;
}

std::vector<ResourcePtr> DeltaStreamState::HeldTtlResources(std::string_view type_url,
                                                            const TypeState& state) const {
  std::vector<ResourcePtr> held;
  if (snapshot_ == nullptr) return held;
  ForEachHeld(type_url, state, [&](const std::string& name, const std::string& version) {
    ResourcePtr resource = snapshot_->Find(type_url, name);
    if (resource != nullptr && resource->version() == version && resource->ttl().count() > 0) {
      held.push_back(std::move(resource));
    }
  });
  return held;
}

void DeltaStreamState::OnTick(absl::Time now) {
  now_ = now;
  if (!ttl_supported_) return;
  for (auto& [type_url, state] : types_) {
    if (state.in_flight) continue;
    absl::Duration shortest = absl::InfiniteDuration();
    for (const ResourcePtr& resource : HeldTtlResources(type_url, state)) {
      shortest = std::min(shortest, absl::FromChrono(resource->ttl()));
    }
    if (shortest != absl::InfiniteDuration() && now - state.renewed_at >= shortest / 2) {
      state.heartbeat_due = true;
    }
  }
}

}  // namespace xdsd::server
