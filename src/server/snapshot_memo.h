#pragma once

#include <functional>
#include <memory>
#include <string>

#include "xdsd/snapshot.h"

namespace xdsd::server {

// The server's access to a snapshot's memo (Snapshot::Memoize): what every stream would
// otherwise derive alike from one snapshot (encoded responses, the contents streams hold) is
// kept there once. Not part of the public API: the memo's keys and values are the server's.
class SnapshotMemo {
 public:
  static std::shared_ptr<const std::string> Memoize(const Snapshot& snapshot,
                                                    const std::string& key,
                                                    const std::function<std::string()>& make) {
    return snapshot.Memoize(key, make);
  }
  static std::shared_ptr<const void> MemoizeShared(
      const Snapshot& snapshot, const std::string& key,
      const std::function<std::shared_ptr<const void>()>& make) {
    return snapshot.MemoizeShared(key, make);
  }
};

}  // namespace xdsd::server
