// Moving nodes between keys of the cache (SnapshotCache::MoveNode, MoveNodes) at fleet scale: a
// node's watches all move, each once, to the new key's snapshot; the watches left behind, and
// those that close after a move, are served as before.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cache/recording_watcher.h"
#include "support/poll.h"
#include "xdsd/snapshot_cache.h"

namespace xdsd {
namespace {

using envoy::config::core::v3::Node;
using xdsd::testing::PollUntil;

constexpr int kWatchesPerNode = 4;

using xdsd::testing::OneCluster;
using xdsd::testing::RecordingWatcher;

// `nodes` nodes, each with kWatchesPerNode watches, all started on the key the cache gives them.
struct Fleet {
  struct Watch {
    std::string node_id;
    std::string key;  // as Watch returned it
    std::shared_ptr<RecordingWatcher> watcher;
  };
  Fleet(SnapshotCache& cache, int nodes) {
    for (int n = 0; n < nodes; ++n) {
      Node node;
      node.set_id(absl::StrCat("node-", n));
      ids.push_back(node.id());
      for (int w = 0; w < kWatchesPerNode; ++w) {
        auto watcher = std::make_shared<RecordingWatcher>();
        const WatchStart start = cache.Watch(node, watcher);
        watches.push_back({node.id(), start.key, watcher});
      }
    }
  }
  std::vector<std::string> ids;
  std::vector<Watch> watches;  // node n's are at [n * kWatchesPerNode, (n + 1) * ...)
};

TEST(MoveNodeTest, ABatchMovesEveryWatchOfEveryNodeOnceInOnePush) {
  // The pushes of key "@r2" (a push is reported when it completes or the next one starts).
  absl::Mutex mu;
  std::vector<int> r2_push_streams;
  bool marker_pushed = false;
  PushOptions push;
  push.on_report = [&](const PushReport& report) {
    absl::MutexLock lock(&mu);
    if (report.keys == std::vector<std::string>{"@r2"}) r2_push_streams.push_back(report.streams);
    if (report.keys == std::vector<std::string>{"marker"}) marker_pushed = true;
  };
  SnapshotCache cache([](const Node&) { return std::string(); }, push);
  SnapshotPtr r1 = OneCluster("r1");
  SnapshotPtr r2 = OneCluster("r2");
  cache.SetSnapshot("", r1);
  cache.SetSnapshot("@r2", r2);
  Fleet fleet(cache, 1000);

  // The first half moves as one wave.
  const std::vector<std::string> wave(fleet.ids.begin(), fleet.ids.begin() + 500);
  EXPECT_EQ(cache.MoveNodes(wave, "@r2"), 500u * kWatchesPerNode);
  EXPECT_EQ(cache.MoveNodes(wave, "@r2"), 0u) << "already there";
  // A later push reports the wave's: one push to all 2,000 moved watches, not one per node.
  cache.SetSnapshot("marker", r1);
  ASSERT_TRUE(PollUntil(absl::Seconds(10), [&] {
    absl::MutexLock lock(&mu);
    return marker_pushed;
  }));
  {
    absl::MutexLock lock(&mu);
    EXPECT_EQ(r2_push_streams, (std::vector<int>{0, 500 * kWatchesPerNode}));
  }

  uint64_t generation = 0;
  for (size_t i = 0; i < fleet.watches.size(); ++i) {
    const auto& watch = fleet.watches[i];
    const auto seen = watch.watcher->Seen();
    if (i < 500 * kWatchesPerNode) {
      EXPECT_EQ(cache.KeyOfNode(watch.node_id), "@r2");
      ASSERT_EQ(seen.size(), 1u) << watch.node_id;
      EXPECT_EQ(seen[0].first, r2);
      if (generation == 0) generation = seen[0].second;
      EXPECT_EQ(seen[0].second, generation) << "one generation for the wave";
    } else {
      EXPECT_EQ(cache.KeyOfNode(watch.node_id), "");
      EXPECT_TRUE(seen.empty()) << watch.node_id;
    }
  }
}

TEST(MoveNodeTest, NodesMovedBackAndForthGetOnlyTheKeyTheyAreOn) {
  SnapshotCache cache([](const Node&) { return std::string(); });
  cache.SetSnapshot("", OneCluster("r1"));
  cache.SetSnapshot("@r2", OneCluster("r2"));
  Fleet fleet(cache, 200);
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(cache.MoveNodes(fleet.ids, "@r2"), 200u * kWatchesPerNode);
    // Back again, as pairs (an abort names each node and its key).
    std::vector<std::pair<std::string, std::string>> back;
    for (const std::string& id : fleet.ids) back.emplace_back(id, "");
    EXPECT_EQ(cache.MoveNodes(back), 200u * kWatchesPerNode);
  }
  for (const auto& watch : fleet.watches) {
    ASSERT_EQ(watch.watcher->Seen().size(), 6u) << watch.node_id;
  }
  // Everyone is on "" again: a new "@r2" reaches nobody, a new "" everybody, once.
  cache.SetSnapshot("@r2", OneCluster("r2b"));
  SnapshotPtr r1b = OneCluster("r1b");
  cache.SetSnapshot("", r1b);
  for (const auto& watch : fleet.watches) {
    const auto seen = watch.watcher->Seen();
    ASSERT_EQ(seen.size(), 7u) << watch.node_id;
    EXPECT_EQ(seen.back().first, r1b);
    EXPECT_EQ(cache.KeyOfNode(watch.node_id), "");
  }
}

TEST(MoveNodeTest, WatchesClosedAfterAMoveLeaveTheOthersServed) {
  SnapshotCache cache([](const Node&) { return std::string(); });
  cache.SetSnapshot("", OneCluster("r1"));
  cache.SetSnapshot("@r2", OneCluster("r2"));
  Fleet fleet(cache, 50);
  EXPECT_EQ(cache.MoveNodes(fleet.ids, "@r2"), 50u * kWatchesPerNode);

  // Close every other watch, from the middle of each key's watchers, with the key it started on.
  std::vector<const Fleet::Watch*> open;
  for (size_t i = 0; i < fleet.watches.size(); ++i) {
    const auto& watch = fleet.watches[i];
    if (i % 2 == 0) {
      cache.Unwatch(watch.key, watch.node_id, watch.watcher.get());
    } else {
      open.push_back(&watch);
    }
  }
  SnapshotPtr r2b = OneCluster("r2b");
  cache.SetSnapshot("@r2", r2b);
  // (Whether the move itself reached a watch before it closed depends on the push batcher's
  // timing; what a closed watch never gets is what came after it closed.)
  for (size_t i = 0; i < fleet.watches.size(); ++i) {
    const auto seen = fleet.watches[i].watcher->Seen();
    ASSERT_FALSE(seen.empty()) << i;
    if (i % 2 == 1) {
      EXPECT_EQ(seen.back().first, r2b) << i;
    } else {
      for (const auto& [snapshot, generation] : seen) EXPECT_NE(snapshot, r2b) << i;
    }
  }

  // A node with watches left is still on its key; once the last closes it is on none, and a
  // move finds nothing to move.
  for (const Fleet::Watch* watch : open) {
    EXPECT_EQ(cache.KeyOfNode(watch->node_id), "@r2");
    cache.Unwatch(watch->key, watch->node_id, watch->watcher.get());
  }
  for (const std::string& id : fleet.ids) {
    EXPECT_EQ(cache.KeyOfNode(id), std::nullopt);
    // Either forgotten already or kept as a node with no open watch.
    const std::optional<NodeStatus> status = cache.GetNodeStatus(id);
    if (status.has_value()) {
      EXPECT_EQ(status->open_watches, 0) << id;
    }
  }
  EXPECT_EQ(cache.MoveNodes(fleet.ids, ""), 0u);
  cache.SetSnapshot("@r2", OneCluster("r2c"));
  for (const auto& watch : fleet.watches) EXPECT_LE(watch.watcher->Seen().size(), 2u);
}

TEST(MoveNodeTest, PairsToSeveralKeysBumpEachKeyOnce) {
  SnapshotCache cache([](const Node&) { return std::string(); });
  SnapshotPtr a = OneCluster("a");
  SnapshotPtr b = OneCluster("b");
  cache.SetSnapshot("", OneCluster("r1"));
  cache.SetSnapshot("g@a", a);
  cache.SetSnapshot("g@b", b);
  Fleet fleet(cache, 4);
  EXPECT_EQ(cache.MoveNodes({{"node-0", "g@a"},
                             {"node-1", "g@b"},
                             {"node-2", "g@a"},
                             {"node-3", "nowhere-yet"},
                             {"unknown", "g@a"}}),
            4u * kWatchesPerNode);
  EXPECT_EQ(cache.KeyOfNode("node-3"), "nowhere-yet");
  EXPECT_EQ(cache.KeyOfNode("unknown"), std::nullopt);
  std::vector<uint64_t> generations;
  for (int n = 0; n < 4; ++n) {
    for (int w = 0; w < kWatchesPerNode; ++w) {
      const auto seen = fleet.watches[n * kWatchesPerNode + w].watcher->Seen();
      if (n == 3) {
        EXPECT_TRUE(seen.empty()) << "a key without a snapshot: the watches wait";
        continue;
      }
      ASSERT_EQ(seen.size(), 1u);
      EXPECT_EQ(seen[0].first, n == 1 ? b : a);
      generations.push_back(seen[0].second);
    }
  }
  // node-0 and node-2 went to g@a under one generation; node-1 to g@b under another.
  EXPECT_EQ(generations[0], generations[2 * kWatchesPerNode]);
  EXPECT_NE(generations[0], generations[kWatchesPerNode]);
  // The node on a key with no snapshot gets it once it is set.
  SnapshotPtr later = OneCluster("later");
  cache.SetSnapshot("nowhere-yet", later);
  EXPECT_EQ(fleet.watches[3 * kWatchesPerNode].watcher->Seen().at(0).first, later);
}

}  // namespace
}  // namespace xdsd
