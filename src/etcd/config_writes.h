#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "etcd/etcd_client.h"
#include "etcd/etcd_config_source.h"
#include "xdsd/resource.h"

namespace xdsd::etcd {

// The conditions under which a write to the config under `prefix` (ending in "/") holds only if
// nothing of it changed after `revision`: every resource type's range, every section key, the
// fleet overlay's range and `applied` must hold only mod revisions up to it. A deleted key is
// seen through `applied`, which every writer rewrites in the same transaction
// (docs/high-availability.md).
std::vector<TxnCompare> UnchangedSince(const std::string& prefix, int64_t revision);

// The `applied` key's put: `record` (a JSON object) with the revision the writer read.
TxnOp AppliedRecord(const std::string& prefix, std::string record_json);

// The fleet API's writes when the config is in etcd: each change becomes one transaction on the
// fleet/ keys (config/key_layout.h), guarded by the revision it was checked at, so that every
// replica serves it. The checks and errors are the fleet API's (ConfigPublisher::ChangeOverlay),
// made against the config and overlay etcd holds at that revision.
//
// Thread-safe. The client and the source must outlive it.
class EtcdFleetWriter {
 public:
  // `source` (may be null) is this replica's: a change is answered once it serves it, or after
  // `wait` at most.
  EtcdFleetWriter(EtcdClient* client, EtcdUrl url, const EtcdConfigSource* source,
                  absl::Duration wait);

  // Reads the prefix, applies the change to the overlay it holds, checks the config with it and
  // writes the fleet/ keys that change (and `applied`, naming `who`) in one transaction guarded
  // by the revision read. A transaction refused because another writer came between is done
  // again from a new read, up to kTries times; then Aborted, and nothing was written. Returns
  // the revision of the write. Errors: the checks' (NotFound, InvalidArgument); FailedPrecondition
  // when the config in etcd is itself invalid; the client's (Unavailable, DeadlineExceeded: the
  // outcome is unknown).
  absl::StatusOr<int64_t> Change(std::string_view type_url, const std::vector<ResourcePtr>& upserts,
                                 const std::vector<std::string>& removals, std::string_view who);

  static constexpr int kTries = 3;

 private:
  EtcdClient* const client_;
  const EtcdUrl url_;
  const std::string prefix_;  // url_.prefix + "/"
  const EtcdConfigSource* const source_;
  const absl::Duration wait_;
};

}  // namespace xdsd::etcd
