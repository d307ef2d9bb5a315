// Moving a fleet between keys of the SnapshotCache, as a progressive rollout's wave does:
// --nodes nodes with --watches watches each on key "", all moved to "@r2", one MoveNode call per
// node (what a caller without MoveNodes does) and then, when the cache has it, back with one
// MoveNodes call. Meanwhile a probe thread reads a snapshot (GetSnapshot takes the cache's lock,
// as every stream's Watch and Unwatch do) in a loop: the longest read is the longest a stream
// waited for the cache's lock. Pushes wait for a 100 ms quiet period, as `xdsd serve` does
// by default, so the figures are the moves' own cost; delivery is timed separately.
//
//   move_nodes_bench [--nodes 10000] [--watches 4]
//
// Prints one line per way of moving: "move how=.. nodes=.. watches=.. moved=.. call_ms=..
// longest_wait_ms=.. delivered_ms=..".

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "xdsd/snapshot_cache.h"

namespace xdsd::bench {
namespace {

class CountingWatcher : public SnapshotWatcher {
 public:
  explicit CountingWatcher(std::atomic<int64_t>* deliveries) : deliveries_(deliveries) {}
  void OnSnapshot(SnapshotPtr, uint64_t) override { ++*deliveries_; }

 private:
  std::atomic<int64_t>* deliveries_;
};

// Reads `cache` in a loop until stopped; keeps the longest read.
class LockProbe {
 public:
  explicit LockProbe(const SnapshotCache& cache)
      : thread_([this, &cache] {
          while (!stop_) {
            const absl::Time start = absl::Now();
            cache.GetSnapshot("");
            const absl::Duration took = absl::Now() - start;
            if (took > longest_) longest_ = took;
          }
        }) {}
  // Stops the probe and returns the longest read.
  absl::Duration Stop() {
    stop_ = true;
    thread_.join();
    return longest_;
  }

 private:
  std::atomic<bool> stop_{false};
  absl::Duration longest_;  // written by thread_ until it is joined
  std::thread thread_;
};

SnapshotPtr OneCluster(const std::string& body) {
  return *Snapshot::Create({Resource::FromBytes(kClusterType, "c", body)});
}

// Runs `move`, probing the lock meanwhile, waits until every moved watch was delivered its new
// snapshot, and prints the line.
template <typename Move>
void Measure(const char* how, SnapshotCache& cache, std::atomic<int64_t>& deliveries, int nodes,
             int watches, Move move) {
  const int64_t delivered_before = deliveries;
  LockProbe probe(cache);
  const absl::Time start = absl::Now();
  const size_t moved = move();
  const absl::Duration call = absl::Now() - start;
  const absl::Duration longest_wait = probe.Stop();
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (deliveries - delivered_before < static_cast<int64_t>(moved) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  std::printf(
      "move how=%s nodes=%d watches=%d moved=%zu call_ms=%.2f longest_wait_ms=%.3f "
      "delivered_ms=%.2f\n",
      how, nodes, watches, moved, absl::ToDoubleMilliseconds(call),
      absl::ToDoubleMilliseconds(longest_wait), absl::ToDoubleMilliseconds(absl::Now() - start));
}

// Moves every node back to "" with one MoveNodes call, when `Cache` has it (the bench also
// builds against a cache without it, to measure what came before).
template <typename Cache>
void MeasureBatch(Cache& cache, std::atomic<int64_t>& deliveries,
                  const std::vector<std::string>& ids, int watches) {
  if constexpr (requires { cache.MoveNodes(ids, std::string()); }) {
    Measure("batch", cache, deliveries, static_cast<int>(ids.size()), watches,
            [&] { return cache.MoveNodes(ids, std::string()); });
  }
}

int Run(int nodes, int watches) {
  PushOptions push;
  push.quiet = absl::Milliseconds(100);
  SnapshotCache cache([](const envoy::config::core::v3::Node&) { return std::string(); }, push);
  cache.SetSnapshot("", OneCluster("r1"));
  cache.SetSnapshot("@r2", OneCluster("r2"));
  std::atomic<int64_t> deliveries{0};
  std::vector<std::shared_ptr<CountingWatcher>> watchers;
  std::vector<std::string> ids;
  for (int n = 0; n < nodes; ++n) {
    envoy::config::core::v3::Node node;
    node.set_id(absl::StrCat("node-", n));
    ids.push_back(node.id());
    for (int w = 0; w < watches; ++w) {
      watchers.push_back(std::make_shared<CountingWatcher>(&deliveries));
      cache.Watch(node, watchers.back());
    }
  }

  Measure("per_node", cache, deliveries, nodes, watches, [&] {
    size_t moved = 0;
    for (const std::string& id : ids) moved += cache.MoveNode(id, "@r2");
    return moved;
  });
  MeasureBatch(cache, deliveries, ids, watches);
  return 0;
}

}  // namespace
}  // namespace xdsd::bench

int main(int argc, char** argv) {
  int nodes = 10000, watches = 4;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--nodes") {
      nodes = std::atoi(argv[i + 1]);
    } else if (flag == "--watches") {
      watches = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: move_nodes_bench [--nodes N] [--watches W]\n");
      return 2;
    }
  }
  return xdsd::bench::Run(nodes, watches);
}
