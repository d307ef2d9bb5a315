#include "server/sotw_stream_state.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/snapshot_memo.h"
#include "server/stream_state_common.h"
#include "xdsd/resource.h"

namespace xdsd::server {

using envoy::service::discovery::v3::DiscoveryRequest;

bool SameContents(const std::map<std::string, ResourcePtr, std::less<>>& a,
                  const std::map<std::string, ResourcePtr, std::less<>>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.first == y.first && x.second->version() == y.second->version();
  });
}

SotwStreamState::SotwStreamState(std::string_view stream_type_url, size_t max_names)
    : StreamStateBase(stream_type_url, max_names) {}

void SotwStreamState::UpdateSubscription(std::string_view type_url, TypeState& state,
                                         const DiscoveryRequest& request) {
  const bool first = !state.subscribed;
  state.subscribed = true;
  // Clients repeat their names in every ACK (thousands, for endpoints): the same names in the
  // same order are no change, and need no set rebuilt.
  const uint64_t digest = NamesDigest(request.resource_names());
  if (!first && digest == state.names_digest) return;
  state.names_digest = digest;
  std::set<std::string, std::less<>> names(request.resource_names().begin(),
                                           request.resource_names().end());
  bool wildcard = names.erase("*") > 0;
  if (first && names.empty() && !wildcard && IsFullStateType(type_url)) {
    state.legacy_wildcard = true;  // PROTOCOL 12: an empty first request is a wildcard
  }
  if (state.legacy_wildcard) {
    if (names.empty()) {
      wildcard = true;
    } else {
      state.legacy_wildcard = false;  // names given: an empty list means "nothing" from now on
    }
  }

  const bool added_names = std::any_of(
      names.begin(), names.end(), [&](const std::string& n) { return !state.names->contains(n); });
  const bool changed = first || added_names || wildcard != state.wildcard || names != *state.names;
  // PROTOCOL 11: names asked for anew are sent even when sent before. PROTOCOL 13: a full-state
  // type answers a changed subscription, so the client learns which names do not exist.
  if (first || (wildcard && !state.wildcard) || added_names ||
      (changed && IsFullStateType(type_url))) {
    state.force = true;
  }
  // Forget what the client held of names it no longer asks for, so that asking again resends.
  if (!wildcard && std::any_of(state.known->begin(), state.known->end(),
                               [&](const auto& entry) { return !names.contains(entry.first); })) {
    auto kept = std::make_shared<Contents>(*state.known);
    std::erase_if(*kept, [&](const auto& entry) { return !names.contains(entry.first); });
    state.known = std::move(kept);
  }
  if (changed) {
    state.known_type_version.clear();
    state.resync_checked_version.clear();
  }
  state.wildcard = wildcard;
  state.names = InternNameSet(digest, std::move(names));
}

absl::StatusOr<SotwRequestOutcome> SotwStreamState::OnRequest(const DiscoveryRequest& request) {
  absl::StatusOr<std::string> requested_type = RequestTypeUrl(request.type_url(), stream_type_url_);
  if (!requested_type.ok()) return requested_type.status();
  const std::string& type_url = *requested_type;

  // The latest request replaces its type's names: count the others' and these.
  size_t names = static_cast<size_t>(request.resource_names_size());
  for (const auto& [other_type, other] : types_) {
    if (other_type != type_url) names += other.names->size();
  }
  if (names > max_names_) return TooManyNamesError(names, max_names_);

  TypeState& state = types_[type_url];
  SotwRequestOutcome outcome;
  outcome.type_url = type_url;

  // PROTOCOL 6: a request that answers an older response is stale. Before the first response on
  // this stream any nonce is accepted (a client that reconnects may repeat an old one).
  if (!state.sent_nonce.empty() && request.response_nonce() != state.sent_nonce) {
    outcome.kind = SotwRequestOutcome::Kind::kStale;
    return outcome;
  }

  const bool first = !state.subscribed;
  const bool answers_latest = !state.sent_nonce.empty();  // its nonce is the latest, by now
  if (answers_latest && request.has_error_detail()) {
    // PROTOCOL 7, 8: a NACK. Keep what the client held; never send this content again.
    outcome.kind = SotwRequestOutcome::Kind::kNack;
    outcome.version = state.sent_version;
    outcome.error = request.error_detail().message();
    outcome.running_version = request.version_info();
    if (IsFullStateType(type_url)) {
      state.nacked = state.sent;
    } else {
      // What the response carried that the client did not hold is what it rejected; and a
      // response carrying the same again is not sent either, even one of resources it held.
      state.nacked = state.sent_carried != nullptr ? state.sent_carried : state.sent;
      const Contents& carried = *state.nacked;
      for (const auto& [name, resource] : carried) {
        auto held = state.known->find(name);
        if (held == state.known->end() || held->second->version() != resource->version()) {
          state.rejected[name] = resource->version();
        }
      }
    }
    state.in_flight = false;
    state.whole_next = true;  // recover with the whole subscription, whatever was rejected
    state.nacked_snapshot_version = state.sent_snapshot_version;  // PROTOCOL 33
    state.resync_checked_version.clear();
  } else if (answers_latest && state.in_flight) {
    outcome.kind = SotwRequestOutcome::Kind::kAck;
    outcome.version = state.sent_version;
    state.known = state.sent;
    state.known_version = state.sent_version;
    state.known_type_version = state.sent_type_version;
    state.in_flight = false;
  } else if (answers_latest) {
    // The latest response was answered already: the client asks again. Envoy does so for
    // endpoints and routes while it warms a cluster or listener (PROTOCOL 17).
    outcome.kind = SotwRequestOutcome::Kind::kSubscription;
    if (type_url == kEndpointType || type_url == kRouteType) state.force = true;
  } else {
    outcome.kind = SotwRequestOutcome::Kind::kSubscription;
  }

  UpdateSubscription(type_url, state, request);

  // A client that reconnects and names the version being served already holds it.
  if (first && !request.version_info().empty() && snapshot_ != nullptr &&
      request.version_info() == snapshot_->Version(type_url)) {
    state.known = SharedDesired(type_url, state);
    state.known_version = request.version_info();
    state.known_type_version = snapshot_->Version(type_url);
    state.force = false;
    outcome.holds_current_version = request.version_info();
  }
  return outcome;
}

void SotwStreamState::OnSnapshot(SnapshotPtr snapshot) {
  snapshot_ = std::move(snapshot);
  // A rejected resource the snapshot changed (or dropped) is a new config: it may go again.
  for (auto& [type, state] : types_) {
    const std::string& type_url = type;  // (a structured binding is not captured by clang 14)
    std::erase_if(state.rejected, [&](const auto& entry) {
      ResourcePtr resource =
          snapshot_ != nullptr ? snapshot_->Find(type_url, entry.first) : nullptr;
      return resource == nullptr || resource->version() != entry.second;
    });
  }
}

namespace {

// The key of a subscription in the snapshot's memo: streams that ask alike share what derives
// from it.
std::string SubscriptionKey(std::string_view kind, std::string_view type_url, bool wildcard,
                            uint64_t names_digest) {
  return absl::StrCat(absl::string_view(kind.data(), kind.size()), "|",
                      absl::string_view(type_url.data(), type_url.size()), "|",
                      wildcard ? "*" : absl::StrCat(names_digest));
}

}  // namespace

std::shared_ptr<const SotwStreamState::Contents> SotwStreamState::ChangedPart(
    std::string_view type_url, const TypeState& state, const Contents& desired, bool shared) const {
  if (full_responses_ || IsFullStateType(type_url) || state.force || state.whole_next ||
      state.known->empty()) {
    return nullptr;
  }
  auto changed = [&] {
    auto part = std::make_shared<Contents>();
    for (const auto& [name, resource] : desired) {
      auto known = state.known->find(name);
      if (known == state.known->end() || known->second->version() != resource->version()) {
        part->emplace_hint(part->end(), name, resource);
      }
    }
    return std::shared_ptr<const Contents>(std::move(part));
  };
  // Streams that hold the same version of the same subscription hold the same resources
  // (versions are content hashes), so they share the difference to the snapshot's.
  if (!shared || state.known_version.empty()) return changed();
  const std::string key =
      absl::StrCat(SubscriptionKey("sotw-changed", type_url, state.wildcard, state.names_digest),
                   "|", state.known_version);
  return std::static_pointer_cast<const Contents>(SnapshotMemo::MemoizeShared(
      *snapshot_, key, [&] { return std::static_pointer_cast<const void>(changed()); }));
}

SotwStreamState::Contents SotwStreamState::Desired(std::string_view type_url,
                                                   const TypeState& state) const {
  Contents desired;
  if (snapshot_ == nullptr) return desired;
  const Snapshot::ResourceMap& resources = snapshot_->Resources(type_url);
  if (state.wildcard) return Contents(resources.begin(), resources.end());
  for (const std::string& name : *state.names) {
    auto it = resources.find(name);
    if (it != resources.end()) desired.emplace(name, it->second);
  }
  return desired;
}

std::shared_ptr<const SotwStreamState::Contents> SotwStreamState::SharedDesired(
    std::string_view type_url, const TypeState& state) const {
  // A fleet asks alike: thousands of streams would each copy the same thousand entries.
  return std::static_pointer_cast<const Contents>(SnapshotMemo::MemoizeShared(
      *snapshot_, SubscriptionKey("sotw-contents", type_url, state.wildcard, state.names_digest),
      [&] { return std::make_shared<const Contents>(Desired(type_url, state)); }));
}

std::shared_ptr<const SotwStreamState::Contents> SotwStreamState::Serving(std::string_view type_url,
                                                                          const TypeState& state,
                                                                          bool* shared) const {
  std::shared_ptr<const Contents> desired = SharedDesired(type_url, state);
  *shared = true;
  auto is_rejected = [&](const std::pair<const std::string, std::string>& entry) {
    auto it = desired->find(entry.first);
    return it != desired->end() && it->second->version() == entry.second;
  };
  if (std::none_of(state.rejected.begin(), state.rejected.end(), is_rejected)) return desired;
  auto serving = std::make_shared<Contents>(*desired);
  for (const auto& entry : state.rejected) {
    if (!is_rejected(entry)) continue;
    auto held = state.known->find(entry.first);
    if (held != state.known->end()) {
      (*serving)[entry.first] = held->second;
    } else {
      serving->erase(entry.first);
    }
  }
  *shared = false;
  return serving;
}

bool SotwStreamState::NeedsResponse(std::string_view type_url, const TypeState& state) const {
  if (!state.subscribed || snapshot_ == nullptr) return false;
  // The client holds all its subscription asks for of this very version of the type.
  if (!state.force && !state.known_type_version.empty() &&
      state.known_type_version == snapshot_->Version(type_url)) {
    return false;
  }
  bool shared = true;
  std::shared_ptr<const Contents> serving = Serving(type_url, state, &shared);
  return NeedsResponse(type_url, state, *serving, shared);
}

bool SotwStreamState::NeedsResponse(std::string_view type_url, const TypeState& state,
                                    const Contents& desired, bool shared) const {
  if (!state.subscribed || snapshot_ == nullptr) return false;
  // PROTOCOL 8: the rejected content is not sent again, whatever asks for it.
  if (state.nacked != nullptr && SameContents(desired, *state.nacked)) return false;
  if (IsFullStateType(type_url)) {
    if (state.force) return true;
    if (!SameContents(desired, *state.known)) return true;
  } else {
    // Endpoints, routes, secrets...: a name the client does not hold, or holds at another
    // version. Names that do not exist are not answered until they appear (PROTOCOL 14, 16).
    if (desired.empty()) return false;
    if (state.force) return true;
    std::shared_ptr<const Contents> changed = ChangedPart(type_url, state, desired, shared);
    if (changed != nullptr && state.nacked != nullptr && SameContents(*changed, *state.nacked)) {
      return false;
    }
    const bool differs = changed != nullptr
                             ? !changed->empty()
                             : std::any_of(desired.begin(), desired.end(), [&](const auto& entry) {
                                 auto known = state.known->find(entry.first);
                                 return known == state.known->end() ||
                                        known->second->version() != entry.second->version();
                               });
    if (differs) return true;
  }
  // Nothing is due; remember it for this version of the type, unless the client holds more
  // than it asks for (a removal still to come) or is mid-response.
  if (!state.in_flight && desired.size() == state.known->size()) {
    state.known_type_version = snapshot_->Version(type_url);
  }
  return false;
}

bool SotwStreamState::ResyncPending(std::string_view type_url, const TypeState& state) const {
  if (state.nacked_snapshot_version.empty()) return false;
  const std::string& version = snapshot_->Version(type_url);
  return version != state.nacked_snapshot_version && version != state.resync_checked_version;
}

bool SotwStreamState::IsResync(std::string_view type_url, TypeState& state, const Contents& serving,
                               bool shared) {
  state.resync_checked_version = snapshot_->Version(type_url);
  // A rejected resource still in the snapshot: the config was not withdrawn. And names that do
  // not exist are not answered for types that are not full-state (PROTOCOL 14, 16).
  if (!shared || (serving.empty() && !IsFullStateType(type_url))) return false;
  if (!SameContents(serving, *state.known)) return false;
  return state.nacked == nullptr || !SameContents(serving, *state.nacked);  // PROTOCOL 8
}

bool SotwStreamState::LaterTypesBusy(std::string_view type_url) const {
  return LaterTypeIsBusy(types_, type_url,
                         [this](std::string_view type_url, const TypeState& later) {
                           return later.in_flight || NeedsResponse(type_url, later);
                         });
}

SotwResponse SotwStreamState::MakeResponse(std::string_view type_url, TypeState& state,
                                           std::shared_ptr<const Contents> contents,
                                           std::string version, bool whole_subscription,
                                           std::shared_ptr<const Contents> carried) {
  SotwResponse response;
  response.type_url = std::string(type_url);
  response.version = std::move(version);
  response.nonce = absl::StrCat(next_nonce_++);
  const Contents& resources = carried != nullptr ? *carried : *contents;
  response.resources.reserve(resources.size());
  for (const auto& [name, resource] : resources) response.resources.push_back(resource);
  state.sent_carried = std::move(carried);
  response.wrap_ttl = ttl_supported_;
  response.snapshot = snapshot_;
  state.in_flight = true;
  state.force = false;
  state.whole_next = false;
  state.heartbeat_due = false;
  state.renewed_at = now_;
  state.sent_nonce = response.nonce;
  state.sent_version = response.version;
  state.sent_type_version = whole_subscription ? snapshot_->Version(type_url) : "";
  state.sent_snapshot_version = snapshot_->Version(type_url);
  state.nacked_snapshot_version.clear();  // the client answers this response
  if (whole_subscription) {
    // Streams sent the whole subscription of the same names hold the same content: keep one.
    const std::string key =
        SubscriptionKey("sotw-contents", type_url, state.wildcard, state.names_digest);
    contents = std::static_pointer_cast<const Contents>(SnapshotMemo::MemoizeShared(
        *snapshot_, key, [&contents] { return std::static_pointer_cast<const void>(contents); }));
  }
  state.sent = std::move(contents);
  return response;
}

namespace {

// The shortest TTL among `contents`; zero when none has one.
absl::Duration ShortestTtl(const std::map<std::string, ResourcePtr, std::less<>>& contents) {
  absl::Duration shortest = absl::ZeroDuration();
  for (const auto& [name, resource] : contents) {
    const absl::Duration ttl = absl::FromChrono(resource->ttl());
    if (ttl > absl::ZeroDuration() && (shortest == absl::ZeroDuration() || ttl < shortest)) {
      shortest = ttl;
    }
  }
  return shortest;
}

}  // namespace

void SotwStreamState::OnTick(absl::Time now) {
  now_ = now;
  if (!ttl_supported_) return;
  for (auto& [type_url, state] : types_) {
    if (state.in_flight || state.known->empty()) continue;
    const absl::Duration ttl = ShortestTtl(*state.known);
    if (ttl > absl::ZeroDuration() && now - state.renewed_at >= ttl / 2) state.heartbeat_due = true;
  }
}

std::optional<SotwResponse> SotwStreamState::NextResponse() {
  for (std::string_view type_url : TypesInAdsOrder(types_)) {
    TypeState& state = types_.find(type_url)->second;
    if (state.in_flight || !state.subscribed || snapshot_ == nullptr) continue;
    const bool resync = ResyncPending(type_url, state);
    if (!resync && !state.force && !state.known_type_version.empty() &&
        state.known_type_version == snapshot_->Version(type_url)) {
      continue;  // the client holds this version already
    }
    bool shared = true;
    std::shared_ptr<const Contents> serving = Serving(type_url, state, &shared);
    const Contents& desired = *serving;
    if (!NeedsResponse(type_url, state, desired, shared)) {
      // PROTOCOL 33: the rejected config was withdrawn; the client ACKs what it already runs.
      if (resync && IsResync(type_url, state, desired, shared)) {
        std::string version = snapshot_->Version(type_url);
        return MakeResponse(type_url, state, std::move(serving), std::move(version),
                            /*whole_subscription=*/true);
      }
      continue;
    }

    if (ads() && IsFullStateType(type_url)) {
      // PROTOCOL 18: make before break. While later types still have to move off the removed
      // resources, send the additions with the removed resources kept.
      Contents with_removed = desired;
      for (const auto& [name, resource] : *state.known) {
        if (!desired.contains(name) && (state.wildcard || state.names->contains(name))) {
          with_removed.emplace(name, resource);
        }
      }
      if (with_removed.size() != desired.size() && LaterTypesBusy(type_url)) {
        if (SameContents(with_removed, *state.known)) continue;  // the removal waits
        // PROTOCOL 8: a rejected transitional set is not sent again either; the client keeps
        // what it runs until the later types are answered and the whole new set can go.
        if (state.nacked != nullptr && SameContents(with_removed, *state.nacked)) continue;
        std::string version = Snapshot::VersionOf(with_removed);
        return MakeResponse(type_url, state,
                            std::make_shared<const Contents>(std::move(with_removed)),
                            std::move(version), /*whole_subscription=*/false);
      }
    }
    // PROTOCOL 32: other types carry only what the client does not hold yet.
    // A stream served something else than the snapshot's for a rejected resource names what
    // it holds by its own version.
    std::shared_ptr<const Contents> changed = ChangedPart(type_url, state, desired, shared);
    std::string version = shared ? snapshot_->Version(type_url) : Snapshot::VersionOf(desired);
    return MakeResponse(type_url, state, std::move(serving), std::move(version),
                        /*whole_subscription=*/shared,
                        changed != nullptr && !changed->empty() ? std::move(changed) : nullptr);
  }
  // Heartbeats (PROTOCOL 28): what the client holds again, under the same version, with the TTL
  // resources bodiless.
  for (std::string_view type_url : TypesInAdsOrder(types_)) {
    TypeState& state = types_.find(type_url)->second;
    if (state.in_flight || !state.heartbeat_due) continue;
    const std::string type_version = state.known_type_version;
    SotwResponse response = MakeResponse(type_url, state, state.known, state.known_version,
                                         /*whole_subscription=*/false);
    state.sent_type_version = type_version;  // a heartbeat changes nothing the client holds
    response.heartbeat = true;
    return response;
  }
  return std::nullopt;
}

}  // namespace xdsd::server
