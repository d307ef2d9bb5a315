#pragma once

#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace xdsd::server {

// Something that wants the time now and then: the streams whose clients hold resources with a
// TTL, for their heartbeats.
class Ticking {
 public:
  virtual ~Ticking() = default;
  virtual void OnTick() = 0;
};

// Gives every registered Ticking the time every `interval`, on a thread of its own, until it
// is destroyed. Registrations are held weakly: one whose owner is gone drops out.
//
// Thread-safe. No lock is held while OnTick runs.
class HeartbeatTicker {
 public:
  explicit HeartbeatTicker(absl::Duration interval);
  ~HeartbeatTicker();
  HeartbeatTicker(const HeartbeatTicker&) = delete;
  HeartbeatTicker& operator=(const HeartbeatTicker&) = delete;

  void Add(std::weak_ptr<Ticking> ticking);

 private:
  void Loop();

  const absl::Duration interval_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::weak_ptr<Ticking>> ticking_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;  // last: started once the rest is constructed
};

}  // namespace xdsd::server
