#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "xdsd/cache.h"
#include "xdsd/snapshot.h"

namespace xdsd::testing {

// A snapshot of one cluster "c" whose bytes are `body`: snapshots that differ by `body`.
inline SnapshotPtr OneCluster(const std::string& body) {
  return *Snapshot::Create({Resource::FromBytes(kClusterType, "c", body)});
}

// Keeps every snapshot delivered to it, with its generation. Thread-safe.
class RecordingWatcher : public SnapshotWatcher {
 public:
  void OnSnapshot(SnapshotPtr snapshot, uint64_t generation) override {
    absl::MutexLock lock(&mu_);
    seen_.emplace_back(std::move(snapshot), generation);
  }
  std::vector<std::pair<SnapshotPtr, uint64_t>> Seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::pair<SnapshotPtr, uint64_t>> seen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace xdsd::testing
