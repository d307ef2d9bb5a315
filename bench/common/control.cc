#include "common/control.h"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "common/workload.h"

namespace xdsd::bench {

void AckTracker::Publish(const TypeVersions& targets, absl::Time start) {
  absl::MutexLock lock(&mu_);
  if (!targets_.empty()) {
    ++epoch_;
    initial_ = false;
    epoch_start_ = start;
  }
  targets_ = targets;
  synced_ = 0;
  latencies_ms_.clear();
  for (auto& [id, node] : nodes_) {
    if (SyncedLocked(node)) MarkLocked(node);
  }
}

void AckTracker::OnStreamOpen() {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  if (initial_ && epoch_start_ == absl::InfiniteFuture()) epoch_start_ = now;
}

bool AckTracker::SyncedLocked(const NodeState& node) const {
  if (node.synced_epoch == epoch_) return false;  // counted already
  for (const auto& [type, version] : targets_) {
    auto it = node.acked.find(type);
    if (it == node.acked.end() || it->second.first != version) return false;
  }
  return true;
}

void AckTracker::MarkLocked(NodeState& node) {
  node.synced_epoch = epoch_;
  ++synced_;
  absl::Time last = absl::InfinitePast();
  for (const auto& [type, version] : targets_) last = std::max(last, node.acked[type].second);
  latencies_ms_.push_back(std::max(0.0, absl::ToDoubleMilliseconds(last - epoch_start_)));
}

void AckTracker::OnAck(const std::string& node_id, const std::string& type_url,
                       const std::string& version) {
  if (!Counted(node_id)) return;
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  NodeState& node = nodes_[node_id];
  node.acked[type_url] = {version, now};
  if (!targets_.empty() && SyncedLocked(node)) MarkLocked(node);
}

void AckTracker::OnNodeClosed(const std::string& node_id) {
  absl::MutexLock lock(&mu_);
  nodes_.erase(node_id);
}

AckTracker::Wait AckTracker::WaitSynced(int n, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::MutexLock lock(&mu_);
  auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return synced_ >= n; };
  mu_.AwaitWithDeadline(absl::Condition(&enough), deadline);
  Wait wait;
  wait.synced = synced_;
  wait.ok = synced_ >= n;
  if (!latencies_ms_.empty()) {
    wait.ms = *std::max_element(latencies_ms_.begin(), latencies_ms_.end());
  }
  return wait;
}

std::vector<double> AckTracker::CurrentLatencies() {
  absl::MutexLock lock(&mu_);
  return latencies_ms_;
}

int AckTracker::nodes() {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(nodes_.size());
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

namespace {
double StatusFieldMb(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      std::istringstream in(line.substr(field.size() + 1));
      double kb = 0;
      in >> kb;
      return kb / 1024.0;
    }
  }
  return 0;
}
}  // namespace

double RssMb() { return StatusFieldMb("VmRSS"); }
double PeakRssMb() { return StatusFieldMb("VmHWM"); }

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t index = static_cast<size_t>(p / 100.0 * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

namespace {

void Reply(const std::string& line) {
  std::cout << line << std::endl;  // flushed: the driver waits for it
}

std::string Fmt(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.3f", value);
  return buffer;
}

void W2(BenchTarget& target, AckTracker& tracker, int updates, int n, int timeout_s) {
  std::vector<double> per_node;
  std::vector<double> all;
  int failed = 0;
  const double cpu_start = CpuSeconds();
  const int64_t streams = target.OpenStreams();
  for (int u = 0; u < updates; ++u) {
    const absl::Time start = absl::Now();
    tracker.Publish(target.PublishEndpointChange({0}), start);
    AckTracker::Wait wait = tracker.WaitSynced(n, absl::Seconds(timeout_s));
    if (!wait.ok) ++failed;
    std::vector<double> latencies = tracker.CurrentLatencies();
    per_node.insert(per_node.end(), latencies.begin(), latencies.end());
    all.push_back(wait.ms);
  }
  const double cpu_us = (CpuSeconds() - cpu_start) * 1e6;
  Reply("w2 updates=" + std::to_string(updates) + " failed=" + std::to_string(failed) +
        " p50_ms=" + Fmt(Percentile(per_node, 50)) + " p99_ms=" + Fmt(Percentile(per_node, 99)) +
        " max_ms=" + Fmt(Percentile(per_node, 100)) + " all_p50_ms=" + Fmt(Percentile(all, 50)) +
        " all_p99_ms=" + Fmt(Percentile(all, 99)) + " all_max_ms=" + Fmt(Percentile(all, 100)) +
        " cpu_us_per_stream_update=" +
        Fmt(streams > 0 ? cpu_us / static_cast<double>(streams * updates) : 0));
}

void Churn(BenchTarget& target, AckTracker& tracker, int seconds, int hz, double percent, int n) {
  const int count = std::max(1, static_cast<int>(target.clusters() * percent / 100.0));
  const double rss_start = RssMb();
  double rss_max = rss_start;
  const double cpu_start = CpuSeconds();
  const absl::Time start = absl::Now();
  const absl::Duration period = absl::Seconds(1) / hz;
  uint64_t tick = 0;
  absl::Time next = start;
  std::string samples;
  absl::Time next_sample = start;
  while (absl::Now() - start < absl::Seconds(seconds)) {
    std::vector<int> clusters;
    for (int k = 0; k < count; ++k)
      clusters.push_back(ChurnCluster(tick, count, k, target.clusters()));
    const absl::Time publish_start = absl::Now();
    tracker.Publish(target.PublishEndpointChange(clusters), publish_start);
    ++tick;
    const double rss = RssMb();
    rss_max = std::max(rss_max, rss);
    if (absl::Now() >= next_sample) {
      samples += (samples.empty() ? "" : ",") + Fmt(rss);
      next_sample += absl::Seconds(10);
    }
    next += period;
    absl::SleepFor(next - absl::Now());
  }
  AckTracker::Wait wait = tracker.WaitSynced(n, absl::Seconds(60));
  const double cpu = CpuSeconds() - cpu_start;
  Reply("churn publishes=" + std::to_string(tick) + " seconds=" + std::to_string(seconds) +
        " rss_start_mb=" + Fmt(rss_start) + " rss_end_mb=" + Fmt(RssMb()) +
        " rss_max_mb=" + Fmt(rss_max) + " converge_ms=" + Fmt(wait.ms) + " converged=" +
        std::to_string(wait.synced) + " cpu_s=" + Fmt(cpu) + " rss_samples_mb=" + samples);
}

}  // namespace

void RunControlLoop(BenchTarget& target, AckTracker& tracker) {
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string command;
    in >> command;
    if (command == "quit") break;
    if (command == "wait-synced") {
      int n = 0, timeout_s = 60;
      in >> n >> timeout_s;
      AckTracker::Wait wait = tracker.WaitSynced(n, absl::Seconds(timeout_s));
      Reply("synced n=" + std::to_string(wait.synced) + " want=" + std::to_string(n) +
            " ms=" + Fmt(wait.ms) + " ok=" + (wait.ok ? "1" : "0"));
    } else if (command == "publish-small-change") {
      const absl::Time start = absl::Now();
      tracker.Publish(target.PublishEndpointChange({0}), start);
      Reply("published");
    } else if (command == "w2") {
      int updates = 10, n = 0, timeout_s = 60;
      in >> updates >> n >> timeout_s;
      W2(target, tracker, updates, n, timeout_s);
    } else if (command == "churn") {
      int seconds = 60, hz = 10, n = 0;
      double percent = 1;
      in >> seconds >> hz >> percent >> n;
      Churn(target, tracker, seconds, hz, percent, n);
    } else if (command == "stats") {
      Reply("stats streams=" + std::to_string(target.OpenStreams()) +
            " nodes=" + std::to_string(tracker.nodes()) + " rss_mb=" + Fmt(RssMb()) +
            " hwm_mb=" + Fmt(PeakRssMb()) + " cpu_s=" + Fmt(CpuSeconds()));
    } else if (!command.empty()) {
      Reply("error unknown command " + command);
    }
  }
}

}  // namespace xdsd::bench
