#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace grpc {
class Channel;
class ClientContext;
}  // namespace grpc

namespace xdsd::etcd {

// Where an etcd cluster is and which of its keys are meant: etcd://HOST:PORT[,HOST:PORT...]/PREFIX.
struct EtcdUrl {
  std::vector<std::string> endpoints;  // "HOST:PORT", at least one
  std::string prefix;                  // without the leading or a trailing "/"; never empty
};

// True when `text` is written as an etcd URL (starts with "etcd://").
bool IsEtcdUrl(std::string_view text);
// Parses etcd://HOST:PORT[,HOST:PORT...]/PREFIX; InvalidArgument saying what is wrong.
absl::StatusOr<EtcdUrl> ParseEtcdUrl(std::string_view text);
// The URL as written back (for messages and status).
std::string FormatEtcdUrl(const EtcdUrl& url);

// How to reach etcd. TLS when ca_file is set (mutual TLS with cert_file and key_file).
struct EtcdClientOptions {
  std::vector<std::string> endpoints;
  std::string ca_file;    // --etcd-ca
  std::string cert_file;  // --etcd-cert
  std::string key_file;   // --etcd-key
  // The deadline of each unary call to one member; a call that fails over to the next member
  // gets a new one.
  absl::Duration call_timeout = absl::Seconds(5);
  // The largest response accepted (a whole config is read in one range): --max-config-bytes.
  // A larger one fails with ResourceExhausted and is counted as refused.
  size_t max_response_bytes = size_t{64} << 20;
};

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t lease = 0;
};

struct RangeResult {
  int64_t revision = 0;  // the store's revision the range was read at
  std::vector<KeyValue> kvs;
};

// One condition of a transaction: a range of keys (or one key) compared on mod revision.
struct TxnCompare {
  enum class Kind {
    kModEquals,    // key's mod revision == revision (0: the key is absent)
    kModLessThan,  // every key in [key, range_end) has a mod revision < revision
  };
  Kind kind = Kind::kModEquals;
  std::string key;
  std::string range_end;  // empty: `key` alone
  int64_t revision = 0;
};

// One operation of a transaction: put `key` (with `lease` when not 0), or delete it.
struct TxnOp {
  bool is_delete = false;
  std::string key;
  std::string value;
  int64_t lease = 0;
};

struct TxnResult {
  bool succeeded = false;  // every compare held and the ops were applied
  int64_t revision = 0;    // the store's revision after the transaction (or when it failed)
};

// One event of a watch.
struct WatchEvent {
  bool is_delete = false;
  KeyValue kv;  // for a delete: the key and its mod_revision (the deletion's revision)
};

// Stops a Watch under way from another thread. Thread-safe.
class WatchCanceller {
 public:
  // Stops the watch under way, and every later one, at once.
  void Cancel();
  bool cancelled() const;

 private:
  friend class EtcdClient;
  // Registers the context of a watch starting; false when already cancelled.
  bool Attach(grpc::ClientContext* context);
  void Detach();

  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
};

// The key just past every key starting with `prefix` (the range_end of a prefix range).
std::string PrefixRangeEnd(std::string_view prefix);

// A client of etcd's v3 gRPC API (KV, Watch, Lease) over several members: each call goes to the
// member that answered last, and fails over to the next one when that member is unreachable.
// Every unary call has a deadline (options.call_timeout); a watch lives until it breaks or is
// cancelled.
//
// Thread-safe.
class EtcdClient {
 public:
  // Reads the TLS files; does not connect yet (calls do).
  static absl::StatusOr<std::unique_ptr<EtcdClient>> Create(const EtcdClientOptions& options);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // Every key starting with `prefix`, at `revision` (0: the latest). OutOfRange when that
  // revision is compacted.
  absl::StatusOr<RangeResult> RangePrefix(const std::string& prefix, int64_t revision = 0);

  // If every compare holds, applies `ops` as one revision. Not retried on another member after
  // a deadline (the outcome is unknown then: DeadlineExceeded says so).
  absl::StatusOr<TxnResult> Txn(const std::vector<TxnCompare>& compares,
                                const std::vector<TxnOp>& ops);

  // Watches every key starting with `prefix` from `start_revision`, calling `on_events` with
  // the events of each response (a transaction's events always arrive together) and the store's
  // revision after them, until the watch ends: OutOfRange when start_revision is compacted (the
  // message names the compaction revision), Unavailable when the stream broke (reconnect from
  // the last revision seen), Cancelled once `canceller` cancelled it. `on_events` runs on the
  // calling thread. `on_progress` (may be empty) is called once the watch is established.
  absl::Status Watch(
      const std::string& prefix, int64_t start_revision,
      const std::function<void(const std::vector<WatchEvent>&, int64_t revision)>& on_events,
      WatchCanceller* canceller, const std::function<void()>& on_progress = {});

  // A lease of `ttl` (rounded up to whole seconds, at least 1); its id.
  absl::StatusOr<int64_t> GrantLease(absl::Duration ttl);
  // Renews a lease once; NotFound when it has expired.
  absl::Status KeepAliveLease(int64_t lease);
  absl::Status RevokeLease(int64_t lease);

  // The member calls go to first ("HOST:PORT").
  std::string current_endpoint() const;

 private:
  EtcdClient(EtcdClientOptions options, std::vector<std::shared_ptr<grpc::Channel>> channels);

  // Calls `call(channel, context)` on the current member, then on the others in turn while
  // the result is Unavailable (a member down or unreachable) — and, when `retry_deadline`, also
  // DeadlineExceeded. Each attempt gets a fresh context with the call deadline.
  absl::Status CallWithFailover(
      const std::function<absl::Status(grpc::Channel*, grpc::ClientContext*)>& call,
      bool retry_deadline);

  const EtcdClientOptions options_;
  const std::vector<std::shared_ptr<grpc::Channel>> channels_;  // one per endpoint

  mutable absl::Mutex mu_;
  size_t current_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace xdsd::etcd
