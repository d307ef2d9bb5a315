#include "xdsd/snapshot_cache.h"

#include <gtest/gtest.h>

#include <thread>

#include "support/poll.h"

namespace xdsd {
namespace {

using envoy::config::core::v3::Node;
using xdsd::testing::PollUntil;

Node MakeNode(const std::string& id, const std::string& cluster = "") {
  Node node;
  node.set_id(id);
  node.set_cluster(cluster);
  return node;
}

SnapshotPtr OneCluster(const std::string& body) {
  return *Snapshot::Create({Resource::FromBytes(kClusterType, "c", body)});
}

class RecordingWatcher : public SnapshotWatcher {
 public:
  void OnSnapshot(SnapshotPtr snapshot, uint64_t generation) override {
    absl::MutexLock lock(&mu_);
    seen.emplace_back(std::move(snapshot), generation);
  }
  std::vector<std::pair<SnapshotPtr, uint64_t>> Seen() {
    absl::MutexLock lock(&mu_);
    return seen;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::pair<SnapshotPtr, uint64_t>> seen ABSL_GUARDED_BY(mu_);
};

TEST(SnapshotCacheTest, SetGetClear) {
  SnapshotCache cache;
  EXPECT_EQ(cache.GetSnapshot("n"), nullptr);
  SnapshotPtr snapshot = OneCluster("1");
  cache.SetSnapshot("n", snapshot);
  EXPECT_EQ(cache.GetSnapshot("n"), snapshot);
  EXPECT_EQ(cache.Keys(), std::vector<std::string>{"n"});
  cache.ClearSnapshot("n");
  EXPECT_EQ(cache.GetSnapshot("n"), nullptr);
  EXPECT_TRUE(cache.Keys().empty());
}

TEST(SnapshotCacheTest, DefaultKeyIsNodeId) {
  SnapshotCache cache;
  EXPECT_EQ(cache.KeyOf(MakeNode("envoy-7", "edge")), "envoy-7");
}

TEST(SnapshotCacheTest, PluggableNodeHashGroupsNodes) {
  SnapshotCache cache([](const Node& node) { return node.cluster(); });
  cache.SetSnapshot("edge", OneCluster("edge"));
  auto watcher = std::make_shared<RecordingWatcher>();
  auto start = cache.Watch(MakeNode("envoy-1", "edge"), watcher);
  EXPECT_EQ(start.key, "edge");
  EXPECT_EQ(start.snapshot, cache.GetSnapshot("edge"));
}

TEST(SnapshotCacheTest, WatchersSeeEverySetInGenerationOrder) {
  SnapshotCache cache;
  auto watcher = std::make_shared<RecordingWatcher>();
  Node node = MakeNode("n");
  cache.RecordStreamOpen(node);
  auto start = cache.Watch(node, watcher);
  EXPECT_EQ(start.snapshot, nullptr);
  EXPECT_EQ(cache.GetNodeStatus("n")->open_watches, 1);
  SnapshotPtr first = OneCluster("1");
  cache.SetSnapshot("n", first);
  cache.SetSnapshot("other", OneCluster("x"));
  cache.ClearSnapshot("n");
  auto seen = watcher->Seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].first, first);
  EXPECT_EQ(seen[1].first, nullptr);
  EXPECT_LT(seen[0].second, seen[1].second);

  cache.Unwatch(start.key, node.id(), watcher.get());
  EXPECT_EQ(cache.GetNodeStatus("n")->open_watches, 0);
  cache.SetSnapshot("n", OneCluster("2"));
  EXPECT_EQ(watcher->Seen().size(), 2u);
}

TEST(SnapshotCacheTest, NodeStatusTracksSentAckedNacked) {
  SnapshotCache cache;
  Node node = MakeNode("envoy-1", "edge");
  cache.RecordStreamOpen(node);
  cache.RecordRequest("envoy-1", std::string(kClusterType));
  auto status = cache.GetNodeStatus("envoy-1");
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->node.cluster(), "edge");
  EXPECT_EQ(status->open_streams, 1);
  ASSERT_EQ(status->types.size(), 1u);
  EXPECT_EQ(status->types[0].state, SyncState::kNotSent);

  cache.RecordSent("envoy-1", std::string(kClusterType), "v1", "1");
  EXPECT_EQ(cache.GetNodeStatus("envoy-1")->types[0].state, SyncState::kPending);
  cache.RecordAck("envoy-1", std::string(kClusterType), "v1");
  EXPECT_EQ(cache.GetNodeStatus("envoy-1")->types[0].state, SyncState::kSynced);
  cache.RecordSent("envoy-1", std::string(kClusterType), "v2", "2");
  cache.RecordNack("envoy-1", std::string(kClusterType), "v2", "unknown field");
  status = cache.GetNodeStatus("envoy-1");
  EXPECT_EQ(status->types[0].state, SyncState::kNacked);
  EXPECT_EQ(status->types[0].version_acked, "v1");
  EXPECT_EQ(status->types[0].version_nacked, "v2");
  EXPECT_EQ(status->types[0].nack_error, "unknown field");
  EXPECT_EQ(SyncStateName(status->types[0].state), "NACKED");

  cache.RecordStreamClosed("envoy-1");
  EXPECT_TRUE(cache.NodeStatuses(/*connected_only=*/true).empty());
  EXPECT_EQ(cache.NodeStatuses().size(), 1u);
}

TEST(SnapshotCacheTest, NackAfterRestartShowsTheVersionTheClientRuns) {
  SnapshotCache cache;
  cache.RecordStreamOpen(MakeNode("envoy-2"));
  cache.RecordSent("envoy-2", std::string(kClusterType), "v9", "1");
  cache.RecordNack("envoy-2", std::string(kClusterType), "v9", "bad", /*running_version=*/"v8");
  EXPECT_EQ(cache.GetNodeStatus("envoy-2")->types[0].version_acked, "v8");
}

TEST(SnapshotCacheTest, FleetWideTypeReplacesEachKeysOwnAndUpdatesIncrementally) {
  SnapshotCache cache;
  cache.SetSnapshot("a", *Snapshot::Create({Resource::FromBytes(kClusterType, "c", "1"),
                                            Resource::FromBytes(kEndpointType, "c", "own")}));
  cache.SetSnapshot("b", OneCluster("2"));
  auto watcher = std::make_shared<RecordingWatcher>();
  Node node = MakeNode("a");
  cache.RecordStreamOpen(node);
  cache.Watch(node, watcher);

  cache.SetTypeResources(kEndpointType, {Resource::FromBytes(kEndpointType, "c", "fleet"),
                                         Resource::FromBytes(kEndpointType, "d", "fleet")});
  EXPECT_EQ(cache.GetSnapshot("a")->Find(kEndpointType, "c")->bytes(), "fleet");
  EXPECT_EQ(cache.GetSnapshot("b")->Resources(kEndpointType).size(), 2u);
  EXPECT_EQ(cache.GetSnapshot("a")->Find(kClusterType, "c")->bytes(), "1");

  cache.UpdateTypeResources(kEndpointType, {Resource::FromBytes(kEndpointType, "c", "fleet2")},
                            {"d"});
  SnapshotPtr served = cache.GetSnapshot("a");
  EXPECT_EQ(served->Find(kEndpointType, "c")->bytes(), "fleet2");
  EXPECT_EQ(served->Find(kEndpointType, "d"), nullptr);
  ASSERT_EQ(watcher->Seen().size(), 2u);
  EXPECT_EQ(watcher->Seen().back().first, served);
  EXPECT_EQ(cache.TypeResources(kEndpointType)->size(), 1u);

  // A new snapshot of a key keeps the fleet-wide type in place of its own.
  cache.SetSnapshot("a", *Snapshot::Create({Resource::FromBytes(kEndpointType, "c", "own2")}));
  EXPECT_EQ(cache.GetSnapshot("a")->Find(kEndpointType, "c")->bytes(), "fleet2");
  cache.ClearTypeResources(kEndpointType);
  EXPECT_EQ(cache.GetSnapshot("a")->Find(kEndpointType, "c")->bytes(), "own2");
  EXPECT_FALSE(cache.TypeResources(kEndpointType).has_value());
  // A key without a snapshot is not given one by a fleet-wide type.
  cache.SetTypeResources(kEndpointType, {});
  EXPECT_EQ(cache.GetSnapshot("nobody"), nullptr);
}

TEST(SnapshotCacheTest, ABurstOfChangesIsOnePushAfterTheQuietPeriod) {
  SnapshotCache cache(NodeIdHash, PushOptions{absl::Milliseconds(100), absl::Seconds(5)});
  auto watcher = std::make_shared<RecordingWatcher>();
  Node node = MakeNode("n");
  cache.Watch(node, watcher);
  SnapshotPtr last;
  for (int i = 0; i < 5; ++i) {
    last = OneCluster(std::to_string(i));
    cache.SetSnapshot("n", last);
  }
  EXPECT_EQ(cache.GetSnapshot("n"), last);  // readable at once
  ASSERT_TRUE(PollUntil(absl::Seconds(5), [&] { return !watcher->Seen().empty(); }));
  EXPECT_EQ(watcher->Seen().size(), 1u);
  EXPECT_EQ(watcher->Seen()[0].first, last);
}

TEST(SnapshotCacheTest, ContinuousChangesArePushedAtLeastEveryMaxDelay) {
  SnapshotCache cache(NodeIdHash, PushOptions{absl::Milliseconds(200), absl::Milliseconds(300)});
  auto watcher = std::make_shared<RecordingWatcher>();
  cache.Watch(MakeNode("n"), watcher);
  // A change every 20 ms never leaves 200 ms of quiet; the maximum delay pushes anyway.
  const absl::Time start = absl::Now();
  int i = 0;
  while (watcher->Seen().empty() && absl::Now() - start < absl::Seconds(5)) {
    cache.SetSnapshot("n", OneCluster(std::to_string(i++)));
    absl::SleepFor(absl::Milliseconds(20));  // the pace of the changes, not a wait
  }
  EXPECT_FALSE(watcher->Seen().empty());
}

TEST(SnapshotCacheTest, PushReportCountsNodesReachedAndTheirAnswers) {
  absl::Mutex mu;
  std::vector<PushReport> reports;
  PushOptions options;
  options.on_report = [&](const PushReport& report) {
    absl::MutexLock lock(&mu);
    reports.push_back(report);
  };
  SnapshotCache cache(NodeIdHash, options);
  // A watcher that, as a stream does, sends a response for every snapshot it gets.
  class SendingWatcher : public SnapshotWatcher {
   public:
    SendingWatcher(SnapshotCache* cache, std::string node) : cache_(cache), node_(node) {}
    void OnSnapshot(SnapshotPtr snapshot, uint64_t) override {
      cache_->RecordSent(node_, std::string(kClusterType), snapshot->Version(kClusterType), "1");
    }
    SnapshotCache* cache_;
    std::string node_;
  };
  for (const char* id : {"a", "b"}) {
    cache.RecordStreamOpen(MakeNode(id));
    cache.Watch(MakeNode(id, "fleet"), std::make_shared<SendingWatcher>(&cache, id));
  }
  SnapshotPtr snapshot = OneCluster("1");
  const std::string version = snapshot->Version(kClusterType);
  cache.SetSnapshot("a", snapshot);
  cache.RecordAck("a", std::string(kClusterType), version);
  cache.SetSnapshot("b", snapshot);
  cache.RecordNack("b", std::string(kClusterType), version, "bad");
  // A push that a new one overtakes before its answers came is reported as it stood.
  cache.SetSnapshot("a", OneCluster("2"));
  cache.SetSnapshot("b", OneCluster("3"));
  absl::MutexLock lock(&mu);
  ASSERT_EQ(reports.size(), 3u);  // one push per SetSnapshot without a quiet period
  EXPECT_EQ(reports[0].keys, std::vector<std::string>{"a"});
  EXPECT_EQ(reports[0].nodes_reached, 1);
  EXPECT_TRUE(reports[0].complete);
  EXPECT_EQ(reports[0].acked, 1);
  EXPECT_EQ(reports[1].nacked, 1);
  EXPECT_TRUE(reports[1].complete);
  EXPECT_EQ(reports[2].keys, std::vector<std::string>{"a"});
  EXPECT_FALSE(reports[2].complete);
  EXPECT_EQ(reports[2].responses, 1);
  EXPECT_EQ(reports[2].acked, 0);
}

TEST(SnapshotCacheTest, ConcurrentSetsAndWatchesAreSafe) {
  SnapshotCache cache;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      auto watcher = std::make_shared<RecordingWatcher>();
      Node node = MakeNode("n" + std::to_string(t % 2));
      for (int i = 0; i < 200; ++i) {
        auto start = cache.Watch(node, watcher);
        cache.SetSnapshot(node.id(), OneCluster(std::to_string(i)));
        cache.Unwatch(start.key, node.id(), watcher.get());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_NE(cache.GetSnapshot("n0"), nullptr);
  EXPECT_NE(cache.GetSnapshot("n1"), nullptr);
}

}  // namespace
}  // namespace xdsd
