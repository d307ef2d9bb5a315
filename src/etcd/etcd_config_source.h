#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "config/config_loader.h"
#include "config/key_layout.h"
#include "etcd/etcd_client.h"

namespace xdsd::etcd {

// What the etcd source knows of itself, for GET /v1/config, metrics, the dashboard and
// `xdsd status`.
struct EtcdSourceStatus {
  std::string url;         // etcd://...
  bool connected = false;  // a watch is established (or the last call succeeded)
  std::string endpoint;    // the member used last
  int64_t revision = 0;    // the store revision of the keys held
  int full_loads = 0;      // the first load, and every reload after a compaction
  std::string last_error;  // empty when none since the last success
  absl::Time last_error_at = absl::InfinitePast();
};

// The config kept under one etcd prefix (config/key_layout.h), followed as it changes.
//
// States: not loaded → (Load) loaded at revision R → (Start) watching from R+1. Each watch
// response (one or more whole transactions) updates the keys held and calls the change
// listener once; the keys held are always those of one store revision. A broken watch is
// retried (every member in turn, with a backoff up to 2 s) from the last revision held; a
// revision etcd compacted meanwhile makes a full load at the newest revision instead. While
// etcd is unreachable the keys held stay as they are: whoever builds from them keeps serving.
//
// Thread-safe. The client must outlive the source; Stop (or the destructor) joins the thread.
class EtcdConfigSource {
 public:
  EtcdConfigSource(EtcdClient* client, EtcdUrl url);
  ~EtcdConfigSource();
  EtcdConfigSource(const EtcdConfigSource&) = delete;
  EtcdConfigSource& operator=(const EtcdConfigSource&) = delete;

  // Reads every key under the prefix at the newest revision.
  absl::Status Load();

  // The config the keys held make (ConfigFromKeys); the loader of a ConfigPublisher.
  absl::StatusOr<config::Config> BuildConfig() const;
  // The keys held, relative to the prefix, and their revision.
  config::ConfigKeys keys(int64_t* revision = nullptr) const;

  // Watches from the revision loaded, calling `on_change` (on the source's thread) after each
  // change of the keys held. After Load.
  void Start(std::function<void()> on_change);
  void Stop();

  EtcdSourceStatus status() const;

  // Waits up to `timeout` until the change listener has returned for `revision` (or a later
  // one): this replica has loaded that revision, served or refused it. False on timeout.
  bool WaitUntilHandled(int64_t revision, absl::Duration timeout) const;

 private:
  void Run();
  // Full load at the newest revision; records the outcome in the status.
  absl::Status LoadAll();
  void RecordError(const absl::Status& error);
  void MarkHandled(int64_t revision);

  EtcdClient* const client_;
  const EtcdUrl url_;
  const std::string key_prefix_;  // url_.prefix + "/"

  mutable absl::Mutex mu_;
  config::ConfigKeys keys_ ABSL_GUARDED_BY(mu_);
  EtcdSourceStatus status_ ABSL_GUARDED_BY(mu_);
  // The newest revision the change listener returned for (the loaded one before Start).
  int64_t handled_revision_ ABSL_GUARDED_BY(mu_) = 0;

  std::function<void()> on_change_;  // set by Start, before the thread
  WatchCanceller canceller_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace xdsd::etcd
