// The headline checks of delta xDS at scale, against the real xdsd daemon:
//  (a) with 10,000 clusters, a change of one puts exactly one resource on the wire to a
//      wildcard delta client, and removes nothing;
//  (b) after xdsd restarts (SIGTERM, started again with the same config on the same port), the
//      client reconnects with initial_resource_versions and gets zero resources: the server's
//      per-resource versions are content hashes, the same in the new process.
// It prints the times and sizes it observed.

#include <cstdio>
#include <map>
#include <string>

#include "delta_client/delta_test_support.h"

namespace xdsd::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr int kClusters = 10000;

std::string ClusterName(int i) {
  char name[16];
  std::snprintf(name, sizeof(name), "c%05d", i);
  return name;
}

// 10,000 STATIC clusters, each with a one-endpoint load assignment; the clusters in `ports`
// (index → port) on other ports.
std::string ManyClusters(const std::map<int, int>& ports = {}) {
  ConfigText config;
  config.clusters.reserve(kClusters);
  for (int i = 0; i < kClusters; ++i) {
    auto it = ports.find(i);
    config.clusters.push_back(
        StaticCluster(ClusterName(i), it != ports.end() ? it->second : 20000 + i % 1000));
  }
  return config.Yaml();
}

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

class DeltaScaleTest : public XdsdFixture {};

TEST_F(DeltaScaleTest, TenThousandClustersOneChangeAndRestart) {
  const std::string yaml = ManyClusters();
  std::printf("config: %d clusters, %zu bytes of YAML\n", kClusters, yaml.size());

  absl::Time t0 = absl::Now();
  StartXdsd(yaml);
  const absl::Duration start_time = absl::Now() - t0;
  std::printf("xdsd start with %d clusters, until /healthz answers: %.0f ms\n", kClusters,
              Ms(start_time));

  // The first full push to a wildcard delta client on ADS.
  auto client = NewClient("scale");
  t0 = absl::Now();
  ASSERT_TRUE(client->Subscribe(kClusterType, {"*"}).ok());
  ASSERT_TRUE(client->WaitUntil(
      [](const DeltaClientState& state) {
        auto it = state.held.find(kClusterType);
        return it != state.held.end() && it->second.size() == kClusters;
      },
      absl::Seconds(60)));
  const absl::Duration push_time = absl::Now() - t0;
  DeltaClientState state = client->State();
  size_t push_bytes = 0, push_resource_bytes = 0;
  for (const ReceivedResponse* r : state.ResponsesOf(kClusterType)) {
    push_bytes += r->message_bytes;
    push_resource_bytes += r->resource_bytes;
  }
  std::printf(
      "first push: %zu response(s), %d resources, %zu bytes (resources %zu bytes), %.0f ms "
      "from subscribe to all held\n",
      state.ResponsesOf(kClusterType).size(), kClusters, push_bytes, push_resource_bytes,
      Ms(push_time));

  // (a) One cluster changes: exactly one resource, nothing removed.
  const std::string changed = ClusterName(5000);
  const std::string old_version = client->Held(kClusterType).at(changed).version;
  size_t from = client->ResponseCount();
  t0 = absl::Now();
  EditConfig(ManyClusters({{5000, 31000}}));
  const absl::Duration reload_time = absl::Now() - t0;
  std::optional<ReceivedResponse> update =
      client->WaitForResponse(kClusterType, from, kResponseTimeout);
  const absl::Duration update_time = absl::Now() - t0;
  ASSERT_TRUE(update.has_value());
  Barrier(*client, "barrier-after-change");
  state = client->State();
  std::vector<const ReceivedResponse*> after = state.ResponsesOf(kClusterType, from);
  size_t change_resources = 0, change_removed = 0, change_bytes = 0;
  for (const ReceivedResponse* r : after) {
    change_resources += r->resource_count;
    change_removed += r->removed.size();
    change_bytes += r->message_bytes;
  }
  std::printf(
      "one change: %zu response(s), %zu resource(s) [%s], %zu removed, %zu bytes on the wire "
      "(resource %zu bytes); config saved → reload seen on /v1/config %.0f ms, → response "
      "%.0f ms\n",
      after.size(), change_resources, absl::StrJoin(update->names, ",").c_str(), change_removed,
      change_bytes, update->resource_bytes, Ms(reload_time), Ms(update_time));
  EXPECT_EQ(after.size(), 1u) << Describe(state, from);
  EXPECT_THAT(update->names, ElementsAre(changed));
  EXPECT_THAT(update->removed, IsEmpty());
  EXPECT_NE(client->Held(kClusterType).at(changed).version, old_version);
  EXPECT_EQ(client->Held(kClusterType).size(), static_cast<size_t>(kClusters));

  // (b) xdsd restarts on the same port with the same config: the client comes back with what
  // it holds, and nothing is sent.
  t0 = absl::Now();
  absl::StatusOr<int> stopped = xdsd_->Stop(kStopTimeout);
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  const absl::Duration stop_time = absl::Now() - t0;
  ASSERT_TRUE(client->WaitForStreamEnd(kResponseTimeout));
  t0 = absl::Now();
  ASSERT_TRUE(xdsd_->Restart(kStartTimeout).ok());
  const absl::Duration restart_time = absl::Now() - t0;
  from = client->ResponseCount();
  t0 = absl::Now();
  ASSERT_TRUE(client->Reconnect(kStartTimeout).ok());
  Barrier(*client, "barrier-after-restart");
  const absl::Duration reconnect_time = absl::Now() - t0;
  state = client->State();
  size_t cds_responses = 0, cds_resources = 0, cds_bytes = 0, all_resources = 0, all_bytes = 0;
  for (const ReceivedResponse* r : state.ResponsesOf("", from)) {
    all_resources += r->resource_count;
    all_bytes += r->message_bytes;
    if (r->type_url != kClusterType) continue;
    ++cds_responses;
    cds_resources += r->resource_count + r->removed.size();
    cds_bytes += r->message_bytes;
  }
  size_t declared = 0;
  for (const SentRequest& sent : state.requests) {
    if (sent.stream == state.stream && sent.request.type_url() == kClusterType) {
      declared += sent.request.initial_resource_versions().size();
    }
  }
  std::printf(
      "restart: stop (SIGTERM, a stream open) %.0f ms, start again %.0f ms; reconnect with "
      "%zu initial_resource_versions: %zu cluster response(s), %zu cluster resources or "
      "removals, %zu cluster bytes; all types on the new stream (the barrier's listener "
      "answers): %zu resources, %zu bytes; reconnect → barrier answered %.0f ms\n",
      Ms(stop_time), Ms(restart_time), declared, cds_responses, cds_resources, cds_bytes,
      all_resources, all_bytes, Ms(reconnect_time));
  EXPECT_EQ(declared, static_cast<size_t>(kClusters));
  EXPECT_EQ(cds_responses, 0u) << Describe(state, from);
  EXPECT_EQ(all_resources, 0u) << Describe(state, from);
  EXPECT_EQ(client->Held(kClusterType).size(), static_cast<size_t>(kClusters));

  // And a change after the restart is again one resource.
  from = client->ResponseCount();
  EditConfig(ManyClusters({{5000, 31000}, {7000, 32000}}));
  update = client->WaitForResponse(kClusterType, from, kResponseTimeout);
  ASSERT_TRUE(update.has_value());
  EXPECT_THAT(update->names, ElementsAre(ClusterName(7000)));
  EXPECT_THAT(update->removed, ElementsAre());
  std::printf("a change after the restart: %zu resource(s), %zu removed, %zu bytes\n",
              update->resource_count, update->removed.size(), update->message_bytes);
}

}  // namespace
}  // namespace xdsd::testing
