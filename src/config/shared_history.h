#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "config/config_history.h"

namespace xdsd::config {

// The history of a config that several replicas share through their source (etcd): the same
// revisions, under the same numbers, on every replica and after any restart, because they are
// read from the source rather than kept by each replica. GET /v1/config/history, the diff and the
// rollback use it instead of the publisher's own ConfigHistory when the daemon has one.
//
// Implementations are thread-safe.
class SharedHistory {
 public:
  virtual ~SharedHistory() = default;

  // The last revisions the source still holds (at most the history size), oldest first.
  virtual absl::StatusOr<std::vector<RevisionPtr>> Revisions() = 0;
  // Writes revision `number`'s content back to the source as a new change (by `who`), which
  // every replica then serves; returns that new revision. NotFound when the source no longer
  // holds `number`.
  virtual absl::StatusOr<RevisionPtr> Rollback(int64_t number, const std::string& who) = 0;
};

}  // namespace xdsd::config
