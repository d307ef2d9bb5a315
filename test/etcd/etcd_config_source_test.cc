// EtcdConfigSource against a real etcd: each change is one update of the keys held, a broken
// watch resumes where it was, and a watch resumed from a compacted revision reads everything
// again and loses nothing.
#include "etcd/etcd_config_source.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "etcd/etcd_client.h"
#include "etcd/etcd_cluster.h"
#include "integration/xdsd_process.h"
#include "support/poll.h"

namespace xdsd::etcd {
namespace {

using testing::EtcdCluster;
using testing::PollUntil;

std::string Cluster(const std::string& name, int port) {
  return absl::StrCat(
      R"({"name":")", name, R"(","type":"STATIC","load_assignment":{"cluster_name":")", name,
      R"(","endpoints":[{"lb_endpoints":[{"endpoint":{"address":{"socket_address":{"address":"127.0.0.1","port_value":)",
      port, "}}}}]}]}}");
}

class EtcdConfigSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<EtcdCluster>> etcd =
        EtcdCluster::Start(1, dir_.path(), absl::Seconds(30));
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    etcd_ = *std::move(etcd);
    absl::StatusOr<std::unique_ptr<EtcdClient>> client =
        EtcdClient::Create({.endpoints = {etcd_->Endpoint(0)}, .call_timeout = absl::Seconds(2)});
    ASSERT_TRUE(client.ok());
    client_ = *std::move(client);
  }

  // Puts `values` (keys under xdsd/) in one transaction; the revision after it. Tried again
  // for a while: a member that just came back is reconnected to after a backoff.
  int64_t Put(const std::vector<std::pair<std::string, std::string>>& values) {
    std::vector<TxnOp> ops;
    for (const auto& [key, value] : values) ops.push_back({.key = "xdsd/" + key, .value = value});
    absl::StatusOr<TxnResult> result;
    EXPECT_TRUE(PollUntil(
        absl::Seconds(10),
        [&] {
          result = client_->Txn({}, ops);
          return result.ok() && result->succeeded;
        },
        absl::Milliseconds(100)))
        << result.status();
    return result.ok() ? result->revision : 0;
  }

  testing::TempDir dir_;
  std::unique_ptr<EtcdCluster> etcd_;
  std::unique_ptr<EtcdClient> client_;
};

TEST_F(EtcdConfigSourceTest, ATransactionIsOneChangeOfTheKeysHeld) {
  Put({{"clusters/a", Cluster("a", 1)}});
  EtcdConfigSource source(client_.get(), {.endpoints = {etcd_->Endpoint(0)}, .prefix = "xdsd"});
  ASSERT_TRUE(source.Load().ok());
  std::atomic<int> changes = 0;
  source.Start([&] { ++changes; });
  const int64_t revision = Put({{"clusters/b", Cluster("b", 2)}, {"clusters/c", Cluster("c", 3)}});
  ASSERT_TRUE(PollUntil(absl::Seconds(10), [&] { return source.status().revision == revision; }));
  EXPECT_EQ(changes.load(), 1);
  EXPECT_EQ(source.keys().size(), 3u);
  absl::StatusOr<config::Config> config = source.BuildConfig();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->default_snapshot->Resources(kClusterType).size(), 3u);
}

TEST_F(EtcdConfigSourceTest, ABrokenWatchResumesFromTheLastRevision) {
  Put({{"clusters/a", Cluster("a", 1)}});
  EtcdConfigSource source(client_.get(), {.endpoints = {etcd_->Endpoint(0)}, .prefix = "xdsd"});
  ASSERT_TRUE(source.Load().ok());
  source.Start([] {});
  ASSERT_TRUE(PollUntil(absl::Seconds(10), [&] { return source.status().connected; }));
  etcd_->Kill(0);
  ASSERT_TRUE(PollUntil(absl::Seconds(20), [&] { return !source.status().connected; }));
  EXPECT_FALSE(source.status().last_error.empty());
  EXPECT_EQ(source.keys().size(), 1u);  // what was held is kept
  ASSERT_TRUE(etcd_->Restart(0, absl::Seconds(30)).ok());
  const int64_t revision = Put({{"clusters/b", Cluster("b", 2)}});
  ASSERT_TRUE(PollUntil(absl::Seconds(10), [&] { return source.status().revision == revision; }));
  EXPECT_TRUE(source.status().connected);
  EXPECT_EQ(source.status().full_loads, 1);  // resumed, not read again
  EXPECT_EQ(source.keys().size(), 2u);
}

TEST_F(EtcdConfigSourceTest, AWatchFromACompactedRevisionReloadsInFullAndLosesNothing) {
  Put({{"clusters/a", Cluster("a", 1)}});
  EtcdConfigSource source(client_.get(), {.endpoints = {etcd_->Endpoint(0)}, .prefix = "xdsd"});
  ASSERT_TRUE(source.Load().ok());
  // Changes the source has not seen, then a compaction past them: its watch cannot resume.
  Put({{"clusters/b", Cluster("b", 2)}});
  Put({{"clusters/a", Cluster("a", 10)}});
  absl::StatusOr<TxnResult> removed =
      client_->Txn({}, {{.is_delete = true, .key = "xdsd/clusters/b"}});
  ASSERT_TRUE(removed.ok());
  const int64_t latest = Put({{"clusters/c", Cluster("c", 3)}});
  ASSERT_TRUE(etcd_->Etcdctl({"compact", std::to_string(latest)}).ok());

  std::atomic<int> changes = 0;
  source.Start([&] { ++changes; });
  ASSERT_TRUE(PollUntil(absl::Seconds(10), [&] { return source.status().revision >= latest; }));
  EXPECT_EQ(source.status().full_loads, 2);
  EXPECT_GE(changes.load(), 1);
  const config::ConfigKeys keys = source.keys();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys.at("clusters/a"), Cluster("a", 10));
  EXPECT_TRUE(keys.contains("clusters/c"));
  // And it follows on from there.
  const int64_t next = Put({{"clusters/d", Cluster("d", 4)}});
  ASSERT_TRUE(PollUntil(absl::Seconds(10), [&] { return source.status().revision == next; }));
  EXPECT_EQ(source.keys().size(), 3u);
}

}  // namespace
}  // namespace xdsd::etcd
