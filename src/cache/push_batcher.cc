#include "cache/push_batcher.h"

#include <algorithm>

namespace xdsd::cache {

PushBatcher::PushBatcher(PushOptions options, Collect collect)
    : options_(std::move(options)), collect_(std::move(collect)) {
  if (options_.quiet > absl::ZeroDuration()) pusher_ = std::thread([this] { PusherLoop(); });
}

PushBatcher::~PushBatcher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (pusher_.joinable()) pusher_.join();
}

void PushBatcher::Changed() {
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    changed_ = true;
    if (first_change_ == absl::InfiniteFuture()) first_change_ = now;
    last_change_ = now;
  }
  // With a quiet period the pusher thread notices the change (it waits on the change times).
  if (options_.quiet == absl::ZeroDuration()) PushNow();
}

void PushBatcher::PusherLoop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto due = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        if (stopping_ || !changed_) return stopping_;
        const absl::Time now = absl::Now();
        return now - last_change_ >= options_.quiet || now - first_change_ >= options_.max_delay;
      };
      while (!due()) {
        // Wake for a new change, for the stop, or when the earliest deadline passes.
        absl::Duration wait = absl::Milliseconds(100);
        if (changed_) {
          const absl::Time now = absl::Now();
          wait = std::min(last_change_ + options_.quiet - now,
                          first_change_ + options_.max_delay - now);
        }
        mu_.AwaitWithTimeout(absl::Condition(&stopping_), std::max(wait, absl::Milliseconds(1)));
      }
      if (stopping_) return;
    }
    PushNow();
  }
}

void PushBatcher::PushNow() {
  {
    absl::MutexLock lock(&mu_);
    // One push delivers at a time; one under way picks up what changed meanwhile (so a watcher
    // or callback that sets a snapshot does not wait for itself).
    if (pushing_) {
      again_ = true;
      return;
    }
    pushing_ = true;
  }
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      changed_ = false;
      again_ = false;
      first_change_ = absl::InfiniteFuture();
    }
    std::optional<Batch> batch = collect_();  // takes the cache's lock: none of ours is held
    std::optional<PushReport> superseded;
    if (batch.has_value()) {
      {
        absl::MutexLock lock(&mu_);
        if (push_.has_value()) {
          push_->report.elapsed = absl::Now() - push_->started;
          superseded = std::move(push_->report);
        }
        push_ = Push();
        push_->report.id = next_push_id_++;
        push_->started = absl::Now();
        push_->report.keys = std::move(batch->keys);
        push_->report.streams = batch->streams;
      }
      Report(superseded);
      batch->deliver();
    }
    std::optional<PushReport> done;
    bool again = false;
    {
      absl::MutexLock lock(&mu_);
      if (batch.has_value() && push_.has_value()) push_->delivering = false;
      done = MaybeCompleteLocked();
      // With a quiet period, what changed meanwhile waits for the pusher's schedule.
      again = options_.quiet == absl::ZeroDuration() && again_;
      if (!again) pushing_ = false;
    }
    Report(done);
    if (!again) return;
  }
}

std::optional<PushReport> PushBatcher::MaybeCompleteLocked() {
  if (!push_.has_value() || push_->delivering || !push_->pending.empty()) return std::nullopt;
  push_->report.complete = true;
  push_->report.elapsed = absl::Now() - push_->started;
  PushReport report = std::move(push_->report);
  push_.reset();
  return report;
}

void PushBatcher::Report(const std::optional<PushReport>& report) const {
  if (report.has_value() && options_.on_report) options_.on_report(*report);
}

void PushBatcher::OnStreamResponse(const StreamInfo& stream,
                                   const envoy::config::core::v3::Node& node,
                                   const ResponseInfo& response) {
  absl::MutexLock lock(&mu_);
  if (!push_.has_value()) return;
  // Sent while a push is open: part of it, including what coalesced behind an earlier response
  // and goes out once that is answered.
  if (push_->reached.insert(node.id()).second) ++push_->report.nodes_reached;
  ++push_->report.responses;
  push_->pending[{node.id(), response.type_url}] = response.version;
}

void PushBatcher::Answer(const std::string& node_id, const AnswerInfo& answer, bool ack) {
  std::optional<PushReport> done;
  {
    absl::MutexLock lock(&mu_);
    if (!push_.has_value()) return;
    auto it = push_->pending.find({node_id, answer.type_url});
    if (it == push_->pending.end() || it->second != answer.version) return;
    push_->pending.erase(it);
    ++(ack ? push_->report.acked : push_->report.nacked);
    done = MaybeCompleteLocked();
  }
  Report(done);
}

void PushBatcher::OnAck(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
                        const AnswerInfo& answer) {
  Answer(node.id(), answer, /*ack=*/true);
}

void PushBatcher::OnNack(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
                         const AnswerInfo& answer) {
  Answer(node.id(), answer, /*ack=*/false);
}

}  // namespace xdsd::cache
