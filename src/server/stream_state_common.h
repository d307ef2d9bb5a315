#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "xdsd/refusals.h"
#include "xdsd/resource.h"
#include "xdsd/resource_types.h"
#include "xdsd/snapshot.h"

namespace xdsd::server {

// The most resource names one stream may subscribe to, over all its types, by default
// (--max-names-per-stream).
inline constexpr size_t kDefaultMaxNamesPerStream = 100'000;

// The error for a request that would take a stream past `max_names` names (counted).
inline absl::Status TooManyNamesError(size_t names, size_t max_names) {
  CountRefusal("too_many_names", absl::StrCat(names, " names"));
  return absl::ResourceExhaustedError(absl::StrCat("the stream would subscribe to ", names,
                                                   " resource names; at most ", max_names,
                                                   " are allowed (--max-names-per-stream)"));
}

// What a request meant, state of the world or delta, for the owner to record and report.
struct RequestOutcome {
  enum class Kind {
    kSubscription,  // a first request for the type, or a change of names, not answering a response
    kAck,           // accepted the latest response
    kNack,          // rejected the latest response (error_detail set)
    kStale,         // answered a response older than the latest: ignored (PROTOCOL 6), though
                    // a delta stream's subscription changes still count (PROTOCOL 22)
  };
  Kind kind = Kind::kSubscription;
  std::string type_url;
  // The version ACKed or NACKed: the response's version_info (SotW) or system_version_info
  // (delta).
  std::string version;
  std::string error;            // the client's error text, for a NACK
  std::string running_version;  // a NACK's version_info: what the client still runs
  // For the first request of a type: the version being served, when the client (reconnecting)
  // already holds it and so is sent nothing; empty otherwise.
  std::string holds_current_version;
};

// The type a request is for: its type_url, or on a per-type stream the stream's type when the
// request leaves it out. InvalidArgument for another type on a per-type stream, or for no
// type or a type xdsd does not serve (resource_types.h) on ADS (`stream_type_url` empty).
inline absl::StatusOr<std::string> RequestTypeUrl(std::string_view requested,
                                                  std::string_view stream_type_url) {
  if (stream_type_url.empty()) {
    if (requested.empty()) return absl::InvalidArgumentError("a request on ADS without type_url");
    // A type xdsd does not serve would only be remembered, per stream, for nothing.
    if (!IsKnownType(requested)) {
      CountRefusal("unknown_type_url", requested.substr(0, 200));
      return absl::InvalidArgumentError(
          absl::StrCat("xdsd serves no resources of type ", std::string(requested.substr(0, 200))));
    }
    return std::string(requested);
  }
  if (requested.empty() || requested == stream_type_url) return std::string(stream_type_url);
  return absl::InvalidArgumentError(absl::StrCat(
      "a request for ", std::string(requested), " on a stream for ", std::string(stream_type_url)));
}

// The type URLs of `types` (a map keyed by type URL) in the order an ADS stream answers them:
// make before break (kAdsOrder), then any type xdsd does not know, by name. The views point
// into `types`' keys (or kAdsOrder): valid while no type is added or removed. Made on every
// response of every stream, so nothing is allocated for the usual handful of types.
template <typename TypeMap>
absl::InlinedVector<std::string_view, 8> TypesInAdsOrder(const TypeMap& types) {
  absl::InlinedVector<std::string_view, 8> order;
  for (std::string_view type_url : kAdsOrder) {
    if (types.contains(type_url)) order.push_back(type_url);
  }
  for (const auto& [type_url, state] : types) {
    if (!IsKnownType(type_url)) order.push_back(type_url);
  }
  return order;
}

// True when a type after `type_url` in ADS order is `busy` (has a response in flight or due):
// a removal of `type_url`'s resources waits for them (make before break).
template <typename TypeMap, typename Busy>
bool LaterTypeIsBusy(const TypeMap& types, std::string_view type_url, Busy busy) {
  const absl::InlinedVector<std::string_view, 8> order = TypesInAdsOrder(types);
  auto it = std::find(order.begin(), order.end(), type_url);
  if (it == order.end()) return false;
  for (++it; it != order.end(); ++it) {
    if (busy(*it, types.find(*it)->second)) return true;
  }
  return false;
}

// What the state-of-the-world and the delta state machines share: the stream's type, its
// limit on names, whether its client takes TTLs, the clock of its heartbeats, the snapshot it
// serves and its nonces.
//
// Thread-compatible: the owner serializes calls.
class StreamStateBase {
 public:
  // Whether the client takes resource TTLs (PROTOCOL 28: its node has the client feature
  // xds.config.supports-resource-ttl, and in state of the world also
  // xds.config.resource-in-sotw). Without them resources go out plain and never expire.
  void set_ttl_supported(bool supported) { ttl_supported_ = supported; }
  bool ttl_supported() const { return ttl_supported_; }

  bool ads() const { return stream_type_url_.empty(); }

 protected:
  // `stream_type_url` is the type of a per-type stream, "" on ADS; `max_names` bounds the names
  // subscribed over all types.
  StreamStateBase(std::string_view stream_type_url, size_t max_names)
      : stream_type_url_(stream_type_url), max_names_(max_names) {}

  const std::string stream_type_url_;
  const size_t max_names_;
  bool ttl_supported_ = false;
  absl::Time now_ = absl::InfinitePast();
  SnapshotPtr snapshot_;
  uint64_t next_nonce_ = 1;
};

}  // namespace xdsd::server
