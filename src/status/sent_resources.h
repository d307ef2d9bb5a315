#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "xdsd/callbacks.h"

namespace xdsd::status {

// Which resources each node holds, by type, as learnt from the responses written to its streams
// (Callbacks; chain it beside the others): a state-of-the-world response replaces the type's set
// (it carries every subscribed resource of the type), a delta response adds its resources and
// drops its removed names. NodeStatus has the versions per type but not the names; CSDS needs
// the names to report per resource.
//
// Nodes are kept after their streams close, as the cache keeps their status, until Forget
// (hooked to NodeStatusTracker::OnForget, so both forget a node together).
//
// Thread-safe; each call takes one short lock.
class SentResources : public Callbacks {
 public:
  // The names `node_id` holds of `type_url`, sorted; empty when nothing was sent.
  std::vector<std::string> Names(std::string_view node_id, std::string_view type_url) const;

  // Drops what `node_id` holds.
  void Forget(const std::string& node_id);

  void OnStreamResponse(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
                        const ResponseInfo& response) override;

 private:
  using NameSet = absl::flat_hash_set<std::string>;

  mutable absl::Mutex mu_;
  // node id → type URL → names.
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, NameSet>> nodes_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace xdsd::status
