#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "config/shared_history.h"
#include "etcd/etcd_client.h"
#include "etcd/etcd_config_source.h"

namespace xdsd::etcd {

// The config's history when it is in etcd (docs/high-availability.md, "History"): every put of
// the `applied` key, which each writer (`xdsd apply`, the fleet API, a rollback) makes in its
// transaction, is a revision numbered by its etcd revision, and its content is the prefix read
// at that revision. Every replica therefore lists the same revisions, and a restart loses none;
// etcd keeps them until it compacts: older revisions are gone (not listed; a rollback to one is
// NotFound). A revision's content never changes, so each is read and built once.
//
// Thread-safe. The client and the source must outlive it.
class EtcdHistory : public config::SharedHistory {
 public:
  // `source` (may be null) is this replica's: a rollback returns once it serves it, or after
  // `wait` at most.
  EtcdHistory(EtcdClient* client, EtcdUrl url, const EtcdConfigSource* source, size_t max_revisions,
              absl::Duration wait);

  absl::StatusOr<std::vector<config::RevisionPtr>> Revisions() override;
  absl::StatusOr<config::RevisionPtr> Rollback(int64_t number, const std::string& who) override;

 private:
  // The revision made by the `applied` put `applied` (its content read at its mod revision);
  // `previous` (may be null) is the revision before it, for the change summary.
  absl::StatusOr<config::RevisionPtr> Build(const KeyValue& applied,
                                            const config::Revision* previous);

  EtcdClient* const client_;
  const EtcdUrl url_;
  const std::string prefix_;  // url_.prefix + "/"
  const EtcdConfigSource* const source_;
  const size_t max_revisions_;
  const absl::Duration wait_;

  absl::Mutex mu_;
  std::map<int64_t, config::RevisionPtr> built_ ABSL_GUARDED_BY(mu_);  // by number, at most max
};

}  // namespace xdsd::etcd
