#include "xdsd/snapshot_cache.h"

#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cache/recording_watcher.h"
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

using xdsd::testing::OneCluster;
using xdsd::testing::RecordingWatcher;

// Tells the cache's stream observer what a stream of `node` does, as the server's streams do.
class FakeStream {
 public:
  FakeStream(SnapshotCache& cache, Node node, int64_t id = 1)
      : observer_(cache.StreamObserver()), node_(std::move(node)) {
    info_.id = id;
    EXPECT_TRUE(observer_->OnStreamNode(info_, node_).ok());
  }
  void Request(std::string_view type_url) {
    envoy::service::discovery::v3::DiscoveryRequest request;
    request.set_type_url(std::string(type_url));
    EXPECT_TRUE(observer_->OnStreamRequest(info_, node_, request).ok());
  }
  void Sent(std::string_view type_url, std::string version, std::string nonce) {
    ResponseInfo response;
    response.type_url = std::string(type_url);
    response.version = std::move(version);
    response.nonce = std::move(nonce);
    observer_->OnStreamResponse(info_, node_, response);
  }
  void Ack(std::string_view type_url, std::string version) {
    observer_->OnAck(info_, node_, AnswerInfo{std::string(type_url), std::move(version)});
  }
  void Nack(std::string_view type_url, std::string version, std::string error,
            std::string running_version = "") {
    AnswerInfo answer{std::string(type_url), std::move(version)};
    answer.error = std::move(error);
    answer.running_version = std::move(running_version);
    observer_->OnNack(info_, node_, answer);
  }
  void Close() { observer_->OnStreamClosed(info_, node_); }

 private:
  Callbacks* const observer_;
  const Node node_;
  StreamInfo info_;
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
  FakeStream stream(cache, node);
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

TEST(SnapshotCacheTest, AMovedNodeGetsItsNewKeysSnapshotsLiveAndOnlyThose) {
  SnapshotCache cache([](const Node&) { return std::string("edge@r1"); });
  SnapshotPtr old_revision = OneCluster("r1");
  SnapshotPtr new_revision = OneCluster("r2");
  cache.SetSnapshot("edge@r1", old_revision);
  cache.SetSnapshot("edge@r2", new_revision);
  auto moved = std::make_shared<RecordingWatcher>();
  auto stays = std::make_shared<RecordingWatcher>();
  Node canary = MakeNode("canary");
  FakeStream stream(cache, canary);
  const WatchStart start = cache.Watch(canary, moved);
  const WatchStart other = cache.Watch(MakeNode("other"), stays);
  EXPECT_EQ(start.snapshot, old_revision);

  EXPECT_EQ(cache.MoveNode("canary", "edge@r2"), 1u);
  EXPECT_EQ(cache.MoveNode("canary", "edge@r2"), 0u) << "already there";
  EXPECT_EQ(cache.KeyOfNode("canary"), "edge@r2");
  EXPECT_EQ(cache.KeyOfNode("other"), "edge@r1");
  auto seen = moved->Seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].first, new_revision);
  EXPECT_GT(seen[0].second, start.generation) << "newer than anything the watch had";
  EXPECT_TRUE(stays->Seen().empty());

  // Later snapshots of the old key reach only the watches left there.
  cache.SetSnapshot("edge@r1", OneCluster("r1b"));
  EXPECT_EQ(moved->Seen().size(), 1u);
  EXPECT_EQ(stays->Seen().size(), 1u);
  SnapshotPtr newer = OneCluster("r2b");
  cache.SetSnapshot("edge@r2", newer);
  ASSERT_EQ(moved->Seen().size(), 2u);
  EXPECT_EQ(moved->Seen()[1].first, newer);

  // Unwatch with the key the watch started on finds where it is now.
  cache.Unwatch(start.key, "canary", moved.get());
  EXPECT_EQ(cache.GetNodeStatus("canary")->open_watches, 0);
  EXPECT_EQ(cache.KeyOfNode("canary"), std::nullopt);
  cache.SetSnapshot("edge@r2", OneCluster("r2c"));
  EXPECT_EQ(moved->Seen().size(), 2u);
  cache.Unwatch(other.key, "other", stays.get());
}

TEST(SnapshotCacheTest, NodeStatusTracksSentAckedNacked) {
  SnapshotCache cache;
  Node node = MakeNode("envoy-1", "edge");
  FakeStream stream(cache, node);
  stream.Request(kClusterType);
  auto status = cache.GetNodeStatus("envoy-1");
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->node.cluster(), "edge");
  EXPECT_EQ(status->open_streams, 1);
  ASSERT_EQ(status->types.size(), 1u);
  EXPECT_EQ(status->types[0].state, SyncState::kNotSent);

  stream.Sent(kClusterType, "v1", "1");
  EXPECT_EQ(cache.GetNodeStatus("envoy-1")->types[0].state, SyncState::kPending);
  stream.Ack(kClusterType, "v1");
  EXPECT_EQ(cache.GetNodeStatus("envoy-1")->types[0].state, SyncState::kSynced);
  stream.Sent(kClusterType, "v2", "2");
  stream.Nack(kClusterType, "v2", "unknown field");
  status = cache.GetNodeStatus("envoy-1");
  EXPECT_EQ(status->types[0].state, SyncState::kNacked);
  EXPECT_EQ(status->types[0].version_acked, "v1");
  EXPECT_EQ(status->types[0].version_nacked, "v2");
  EXPECT_EQ(status->types[0].nack_error, "unknown field");
  EXPECT_EQ(SyncStateName(status->types[0].state), "NACKED");

  stream.Close();
  EXPECT_TRUE(cache.NodeStatuses(/*connected_only=*/true).empty());
  EXPECT_EQ(cache.NodeStatuses().size(), 1u);
}

TEST(SnapshotCacheTest, NackAfterRestartShowsTheVersionTheClientRuns) {
  SnapshotCache cache;
  FakeStream stream(cache, MakeNode("envoy-2"));
  stream.Sent(kClusterType, "v9", "1");
  stream.Nack(kClusterType, "v9", "bad", /*running_version=*/"v8");
  EXPECT_EQ(cache.GetNodeStatus("envoy-2")->types[0].version_acked, "v8");
}

TEST(SnapshotCacheTest, FleetWideTypeReplacesEachKeysOwnAndUpdatesIncrementally) {
  SnapshotCache cache;
  cache.SetSnapshot("a", *Snapshot::Create({Resource::FromBytes(kClusterType, "c", "1"),
                                            Resource::FromBytes(kEndpointType, "c", "own")}));
  cache.SetSnapshot("b", OneCluster("2"));
  auto watcher = std::make_shared<RecordingWatcher>();
  Node node = MakeNode("a");
  FakeStream stream(cache, node);
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
    explicit SendingWatcher(FakeStream* stream) : stream_(stream) {}
    void OnSnapshot(SnapshotPtr snapshot, uint64_t) override {
      stream_->Sent(kClusterType, snapshot->Version(kClusterType), "1");
    }
    FakeStream* stream_;
  };
  FakeStream a(cache, MakeNode("a"), 1);
  FakeStream b(cache, MakeNode("b"), 2);
  cache.Watch(MakeNode("a", "fleet"), std::make_shared<SendingWatcher>(&a));
  cache.Watch(MakeNode("b", "fleet"), std::make_shared<SendingWatcher>(&b));
  SnapshotPtr snapshot = OneCluster("1");
  const std::string version = snapshot->Version(kClusterType);
  cache.SetSnapshot("a", snapshot);
  a.Ack(kClusterType, version);
  cache.SetSnapshot("b", snapshot);
  b.Nack(kClusterType, version, "bad");
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

TEST(NodeStatusLimitsTest, DisconnectedNodesAreForgottenAfterTheirTime) {
  SnapshotCache cache;
  cache.node_status().SetLimits({.forget_after = absl::Minutes(5)});
  std::vector<std::string> forgotten;
  cache.node_status().OnForget([&](const std::string& id) { forgotten.push_back(id); });
  FakeStream gone(cache, MakeNode("gone"), 1);
  FakeStream stays(cache, MakeNode("stays"), 2);
  gone.Close();
  ASSERT_TRUE(cache.GetNodeStatus("gone").has_value());
  EXPECT_NE(cache.GetNodeStatus("gone")->disconnected_at, absl::InfinitePast());
  EXPECT_EQ(cache.node_status().Sweep(absl::Now() + absl::Minutes(4)), 0u);
  EXPECT_EQ(cache.node_status().Sweep(absl::Now() + absl::Minutes(6)), 1u);
  EXPECT_FALSE(cache.GetNodeStatus("gone").has_value());
  EXPECT_TRUE(cache.GetNodeStatus("stays").has_value());  // connected: never forgotten
  EXPECT_EQ(forgotten, std::vector<std::string>{"gone"});
  gone.Sent(kClusterType, "1", "n");  // late news of a forgotten node does not bring it back
  EXPECT_FALSE(cache.GetNodeStatus("gone").has_value());
}

TEST(NodeStatusLimitsTest, PastMaxNodesTheLongestDisconnectedGoFirst) {
  SnapshotCache cache;
  cache.node_status().SetLimits({.max_nodes = 3});
  for (int i = 0; i < 3; ++i) FakeStream(cache, MakeNode(absl::StrCat("old-", i)), i).Close();
  FakeStream connected(cache, MakeNode("connected"), 10);
  FakeStream another(cache, MakeNode("another"), 11);
  std::vector<std::string> ids;
  for (const NodeStatus& status : cache.NodeStatuses()) ids.push_back(status.node.id());
  EXPECT_EQ(ids, (std::vector<std::string>{"another", "connected", "old-2"}));
}

TEST(NodeStatusLimitsTest, LargeMetadataIsReplacedByANote) {
  SnapshotCache cache;
  cache.node_status().SetLimits({.max_metadata_bytes = 1000});
  Node node = MakeNode("fat");
  (*node.mutable_metadata()->mutable_fields())["blob"].set_string_value(std::string(5000, 'x'));
  FakeStream stream(cache, node);
  const std::optional<NodeStatus> status = cache.GetNodeStatus("fat");
  ASSERT_TRUE(status.has_value());
  const auto& fields = status->node.metadata().fields();
  EXPECT_FALSE(fields.contains("blob"));
  const std::string note = fields.at(kTruncatedMetadataField).string_value();
  EXPECT_TRUE(absl::StartsWith(note, "metadata of 50")) << note;
  EXPECT_TRUE(absl::EndsWith(note, " bytes exceeds 1000 bytes")) << note;
}

TEST(NodeStatusLimitsTest, PagesFollowNodeIdOrder) {
  SnapshotCache cache;
  std::vector<std::unique_ptr<FakeStream>> streams;
  for (int i = 0; i < 5; ++i) {
    streams.push_back(std::make_unique<FakeStream>(cache, MakeNode(absl::StrCat("n", i)), i));
  }
  NodePageQuery query;
  query.limit = 2;
  std::vector<std::string> ids;
  int pages = 0;
  do {
    NodePage page = cache.node_status().Page(query);
    for (const NodeStatus& status : page.nodes) ids.push_back(status.node.id());
    query.after = page.next_after;
    ++pages;
  } while (!query.after.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(ids, (std::vector<std::string>{"n0", "n1", "n2", "n3", "n4"}));
}

}  // namespace
}  // namespace xdsd
