#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "xdsd/callbacks.h"
#include "xdsd/push.h"

namespace xdsd::cache {

// When changes reach the streams, and what each push did.
//
// Changes are announced with Changed(). Without a quiet period each change is pushed at once;
// with one, a thread of the batcher's own pushes once no change came for `quiet`, or
// `max_delay` after the first, so a burst of changes makes one push. A push asks `collect`
// (the cache) for what changed, then follows the responses it causes, as a Callbacks fed by the
// server, until every one is answered or a newer push supersedes it, and reports it.
//
// Thread-safe. At most one push delivers at a time; a change announced during a delivery is
// pushed right after it (without a quiet period) or on the schedule (with one).
class PushBatcher : public Callbacks {
 public:
  // What one push delivers: the keys whose snapshots changed, how many watchers they have,
  // and the delivery itself (called outside every lock).
  struct Batch {
    std::vector<std::string> keys;
    int streams = 0;
    std::function<void()> deliver;
  };
  // Takes what changed since the last call; nullopt when nothing did.
  using Collect = std::function<std::optional<Batch>()>;

  PushBatcher(PushOptions options, Collect collect);
  ~PushBatcher() override;
  PushBatcher(const PushBatcher&) = delete;
  PushBatcher& operator=(const PushBatcher&) = delete;

  // Something changed: push it now, or on the quiet-period schedule.
  void Changed();

  void OnStreamResponse(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
                        const ResponseInfo& response) override;
  void OnAck(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
             const AnswerInfo& answer) override;
  void OnNack(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
              const AnswerInfo& answer) override;

 private:
  // The push under way: the responses sent since it began, awaiting their ACK or NACK.
  struct Push {
    PushReport report;
    absl::Time started;
    bool delivering = true;
    std::set<std::string> reached;
    std::map<std::pair<std::string, std::string>, std::string> pending;  // (node, type) → version
  };

  void PushNow();
  void PusherLoop();
  void Answer(const std::string& node_id, const AnswerInfo& answer, bool ack);
  // Ends the push when nothing is pending; returns its report to send once mu_ is released.
  std::optional<PushReport> MaybeCompleteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Report(const std::optional<PushReport>& report) const;

  const PushOptions options_;  // constant after construction
  const Collect collect_;      // constant after construction

  mutable absl::Mutex mu_;
  bool changed_ ABSL_GUARDED_BY(mu_) = false;  // a change not yet collected
  absl::Time first_change_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  absl::Time last_change_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool pushing_ ABSL_GUARDED_BY(mu_) = false;  // a PushNow is delivering
  bool again_ ABSL_GUARDED_BY(mu_) = false;    // a change came while pushing_
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_push_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::optional<Push> push_ ABSL_GUARDED_BY(mu_);
  std::thread pusher_;  // with a quiet period only; last, started once the rest is built
};

}  // namespace xdsd::cache
