#include "server/delta_stream_state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <set>

#include "server/test_snapshots.h"
#include "xdsd/resource.h"

namespace xdsd::server {
namespace {

using envoy::service::discovery::v3::DeltaDiscoveryRequest;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

using testing::MakeSnapshot;
using testing::Names;

struct Req {
  std::string_view type_url;
  std::vector<std::string> subscribe;
  std::vector<std::string> unsubscribe;
  std::string nonce;
  std::map<std::string, std::string> initial_versions;
  std::string error;
};

DeltaDiscoveryRequest Request(const Req& r) {
  DeltaDiscoveryRequest request;
  request.set_type_url(std::string(r.type_url));
  for (const auto& n : r.subscribe) request.add_resource_names_subscribe(n);
  for (const auto& n : r.unsubscribe) request.add_resource_names_unsubscribe(n);
  request.set_response_nonce(r.nonce);
  for (const auto& [name, version] : r.initial_versions) {
    (*request.mutable_initial_resource_versions())[name] = version;
  }
  if (!r.error.empty()) request.mutable_error_detail()->set_message(r.error);
  return request;
}

DeltaRequestOutcome Feed(DeltaStreamState& state, const Req& r) {
  absl::StatusOr<DeltaRequestOutcome> outcome = state.OnRequest(Request(r));
  EXPECT_TRUE(outcome.ok()) << outcome.status();
  return outcome.ok() ? *outcome : DeltaRequestOutcome{};
}

DeltaRequestOutcome Ack(DeltaStreamState& state, const DeltaResponse& response) {
  return Feed(state, {response.type_url, {}, {}, response.nonce});
}

const SnapshotPtr kBase = MakeSnapshot({{kClusterType, "c1"},
                                        {kClusterType, "c2"},
                                        {kEndpointType, "c1"},
                                        {kEndpointType, "c2"},
                                        {kListenerType, "l1"},
                                        {kRouteType, "r1"}});

// PROTOCOL 20: every response has a nonce; the system version is the snapshot's.
TEST(DeltaStreamStateTest, WildcardGetsEverythingWithNonce) {
  DeltaStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, {kClusterType, {"*"}});
  auto response = state.NextResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_FALSE(response->nonce.empty());
  EXPECT_EQ(response->system_version, kBase->Version(kClusterType));
  EXPECT_THAT(Names(*response), ElementsAre("c1", "c2"));
  EXPECT_THAT(response->removed, IsEmpty());
  EXPECT_FALSE(state.NextResponse().has_value());
}

// PROTOCOL 26: an empty first request is a wildcard for listeners and clusters; unsubscribing
// "*" ends it.
TEST(DeltaStreamStateTest, LegacyWildcardAndItsEnd) {
  DeltaStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, {kListenerType});
  auto first = state.NextResponse();
  ASSERT_TRUE(first.has_value());
  EXPECT_THAT(Names(*first), ElementsAre("l1"));
  Ack(state, *first);
  Feed(state, {kListenerType, {}, {"*"}});
  state.OnSnapshot(MakeSnapshot({{kListenerType, "l1", "v2"}, {kListenerType, "l2"}}));
  EXPECT_FALSE(state.NextResponse().has_value());
}

// PROTOCOL 21: what the client holds is tracked per resource; only changes are sent.
TEST(DeltaStreamStateTest, OnlyChangedResourcesAreSent) {
  DeltaStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, {kClusterType, {"*"}});
  Ack(state, *state.NextResponse());
  state.OnSnapshot(MakeSnapshot({{kClusterType, "c1"}, {kClusterType, "c2", "v2"}}));
  auto response = state.NextResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(Names(*response), ElementsAre("c2"));
  EXPECT_THAT(response->removed, IsEmpty());
}

TEST(DeltaStreamStateTest, DeletedResourcesAreRemoved) {
  DeltaStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, {kClusterType, {"*"}});
  Ack(state, *state.NextResponse());
  state.OnSnapshot(MakeSnapshot({{kClusterType, "c1"}}));
  auto response = state.NextResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(Names(*response), IsEmpty());
  EXPECT_THAT(response->removed, ElementsAre("c2"));
  Ack(state, *response);
  EXPECT_FALSE(state.NextResponse().has_value());
}

// PROTOCOL 22: subscription changes count even when the nonce is stale.
TEST(DeltaStreamStateTest, SubscriptionOnStaleNonceCounts) {
  DeltaStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, {kEndpointType, {"c1"}});
  auto first = state.NextResponse();
  auto outcome = Feed(state, {kEndpointType, {"c2"}, {}, "not-the-latest"});
  EXPECT_EQ(outcome.kind, DeltaRequestOutcome::Kind::kStale);
  Ack(state, *first);
  auto second = state.NextResponse();
  ASSERT_TRUE(second.has_value());
  EXPECT_THAT(Names(*second), ElementsAre("c2"));
}

// PROTOCOL 23: a reconnect is sent only what differs from initial_resource_versions, and the
// names that vanished are removed.
TEST(DeltaStreamStateTest, ReconnectSendsOnlyDifferences) {
  DeltaStreamState state("");
  state.OnSnapshot(kBase);
  const std::string c1 = kBase->Find(kClusterType, "c1")->version();
  auto outcome =
      Feed(state, {kClusterType, {"*"}, {}, "", {{"c1", c1}, {"c2", "old"}, {"gone", "x"}}});
  EXPECT_EQ(outcome.holds_current_version, "");
  auto response = state.NextResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(Names(*response), ElementsAre("c2"));
  EXPECT_THAT(response->removed, ElementsAre("gone"));
}

TEST(DeltaStreamStateTest, ReconnectWithEverythingCurrentSendsNothing) {
  DeltaStreamState state("");
  state.OnSnapshot(kBase);
  std::map<std::string, std::string> held;
  for (const auto& [name, resource] : kBase->Resources(kClusterType))
    held[name] = resource->version();
  auto outcome = Feed(state, {kClusterType, {"*"}, {}, "", held});
  EXPECT_EQ(outcome.holds_current_version, kBase->Version(kClusterType));
  EXPECT_FALSE(state.NextResponse().has_value());
}

// PROTOCOL 24: a subscribed name that does not exist is reported removed, once.
TEST(DeltaStreamStateTest, MissingNameIsReportedOnceThenSentWhenItAppears) {
  DeltaStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, {kRouteType, {"r2"}});
  auto response = state.NextResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(Names(*response), IsEmpty());
  EXPECT_THAT(response->removed, ElementsAre("r2"));
  Ack(state, *response);
  state.OnSnapshot(MakeSnapshot({{kRouteType, "r1", "v2"}}));
  EXPECT_FALSE(state.NextResponse().has_value());
  state.OnSnapshot(MakeSnapshot({{kRouteType, "r2"}}));
  auto appeared = state.NextResponse();
  ASSERT_TRUE(appeared.has_value());
  EXPECT_THAT(Names(*appeared), ElementsAre("r2"));
}

// PROTOCOL 24: a name subscribed by name that is deleted is removed once, not reported again as
// missing when the subscription changes later.
TEST(DeltaStreamStateTest, ADeletedSubscribedNameIsRemovedOnce) {
  DeltaStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, {kEndpointType, {"c1", "c2"}});
  Ack(state, *state.NextResponse());
  state.OnSnapshot(MakeSnapshot({{kEndpointType, "c1"}}));
  auto removal = state.NextResponse();
  ASSERT_TRUE(removal.has_value());
  EXPECT_THAT(Names(*removal), IsEmpty());
  EXPECT_THAT(removal->removed, ElementsAre("c2"));
  Ack(state, *removal);
  EXPECT_FALSE(state.NextResponse().has_value());
  Feed(state, {kEndpointType, {"c3"}});
  auto missing = state.NextResponse();
  ASSERT_TRUE(missing.has_value());
  EXPECT_THAT(missing->removed, ElementsAre("c3"));
}

// A synced stream is sent what changed between snapshots, and only what it subscribes to.
TEST(DeltaStreamStateTest, ChangesOutsideTheSubscriptionSendNothing) {
  DeltaStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, {kEndpointType, {"c1"}});
  Ack(state, *state.NextResponse());
  state.OnSnapshot(MakeSnapshot({{kEndpointType, "c1"}, {kEndpointType, "c2", "v2"}}));
  EXPECT_FALSE(state.NextResponse().has_value());
  state.OnSnapshot(MakeSnapshot({{kEndpointType, "c1", "v2"}, {kEndpointType, "c2", "v2"}}));
  auto changed = state.NextResponse();
  ASSERT_TRUE(changed.has_value());
  EXPECT_THAT(Names(*changed), ElementsAre("c1"));
  Ack(state, *changed);
  // Subscribing to c2 now sends it at the version of the snapshot served.
  Feed(state, {kEndpointType, {"c2"}});
  auto added = state.NextResponse();
  ASSERT_TRUE(added.has_value());
  EXPECT_THAT(Names(*added), ElementsAre("c2"));
}

// PROTOCOL 25: subscribing again resends.
TEST(DeltaStreamStateTest, ResubscribeResends) {
  DeltaStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, {kEndpointType, {"c1"}});
  auto first = state.NextResponse();
  Ack(state, *first);
  Feed(state, {kEndpointType, {}, {"c1"}});
  EXPECT_FALSE(state.NextResponse().has_value());  // an unsubscribed name is not removed
  Feed(state, {kEndpointType, {"c1"}});
  auto again = state.NextResponse();
  ASSERT_TRUE(again.has_value());
  EXPECT_THAT(Names(*again), ElementsAre("c1"));
}

// A NACKed version is not sent again; the next change is.
TEST(DeltaStreamStateTest, NackedVersionsAreNotResent) {
  DeltaStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, {kClusterType, {"*"}});
  Ack(state, *state.NextResponse());
  state.OnSnapshot(MakeSnapshot({{kClusterType, "c1", "bad"}, {kClusterType, "c2"}}));
  auto rejected = state.NextResponse();
  ASSERT_TRUE(rejected.has_value());
  auto outcome = Feed(state, {kClusterType, {}, {}, rejected->nonce, {}, "c1 is invalid"});
  EXPECT_EQ(outcome.kind, DeltaRequestOutcome::Kind::kNack);
  EXPECT_EQ(outcome.error, "c1 is invalid");
  EXPECT_FALSE(state.NextResponse().has_value());
  state.OnSnapshot(MakeSnapshot({{kClusterType, "c1", "good"}, {kClusterType, "c2"}}));
  auto fixed = state.NextResponse();
  ASSERT_TRUE(fixed.has_value());
  EXPECT_THAT(Names(*fixed), ElementsAre("c1"));
}

// PROTOCOL 18 on delta ADS: order, and removals after the later types are answered.
TEST(DeltaStreamStateTest, AdsOrderAndDeferredRemoval) {
  DeltaStreamState state("");
  state.OnSnapshot(MakeSnapshot({{kClusterType, "old"}, {kRouteType, "r1", "to-old"}}));
  Feed(state, {kRouteType, {"r1"}});
  Feed(state, {kClusterType, {"*"}});
  auto clusters = state.NextResponse();
  ASSERT_TRUE(clusters.has_value());
  EXPECT_EQ(clusters->type_url, kClusterType);
  auto routes = state.NextResponse();
  ASSERT_TRUE(routes.has_value());
  EXPECT_EQ(routes->type_url, kRouteType);
  Ack(state, *clusters);
  Ack(state, *routes);

  state.OnSnapshot(MakeSnapshot({{kClusterType, "new"}, {kRouteType, "r1", "to-new"}}));
  auto add = state.NextResponse();
  ASSERT_TRUE(add.has_value());
  EXPECT_THAT(Names(*add), ElementsAre("new"));
  EXPECT_THAT(add->removed, IsEmpty());
  auto moved = state.NextResponse();
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(moved->type_url, kRouteType);
  Ack(state, *add);
  EXPECT_FALSE(state.NextResponse().has_value());
  Ack(state, *moved);
  auto remove = state.NextResponse();
  ASSERT_TRUE(remove.has_value());
  EXPECT_THAT(Names(*remove), IsEmpty());
  EXPECT_THAT(remove->removed, ElementsAre("old"));
}

TEST(DeltaStreamStateTest, PerTypeStreamRejectsAnotherType) {
  DeltaStreamState state(kEndpointType);
  EXPECT_FALSE(state.OnRequest(Request({kClusterType, {"*"}})).ok());
  EXPECT_TRUE(state.OnRequest(Request({"", {"c1"}})).ok());
}

}  // namespace
}  // namespace xdsd::server

namespace xdsd::server {
namespace {

TEST(DeltaStreamStateTest, TtlHeartbeatsCarryHeldTtlResourcesWithoutBodies) {
  DeltaStreamState state("");
  state.set_ttl_supported(true);
  const absl::Time start = absl::FromUnixSeconds(1000);
  state.OnTick(start);
  state.OnSnapshot(
      *Snapshot::Create({Resource::FromBytes(kClusterType, "c1", "v1", std::chrono::seconds(2)),
                         Resource::FromBytes(kClusterType, "c2", "plain")}));
  Feed(state, {kClusterType, {"*"}});
  auto first = state.NextResponse();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->send_ttl);
  Ack(state, *first);
  state.OnTick(start + absl::Seconds(1));
  auto heartbeat = state.NextResponse();
  ASSERT_TRUE(heartbeat.has_value());
  EXPECT_TRUE(heartbeat->heartbeat);
  EXPECT_THAT(Names(*heartbeat), ElementsAre("c1"));  // only what has a TTL
  EXPECT_THAT(heartbeat->removed, IsEmpty());
  Ack(state, *heartbeat);
  EXPECT_FALSE(state.NextResponse().has_value());
}

}  // namespace
}  // namespace xdsd::server

namespace xdsd::server {
namespace {

SnapshotPtr VirtualHosts(const std::string& body) {
  return *Snapshot::Create({Resource::FromBytes(kVirtualHostType, "rc/shop", body, {},
                                                {"rc/shop.example.com", "rc/www.example.com"})});
}

// PROTOCOL 27: on-demand virtual hosts are asked for by "route config/host"; names and aliases
// both match, and a host that does not exist gets an empty entry, not a removal.
TEST(DeltaStreamStateTest, VirtualHostsMatchByAliasAndUnknownHostsGetAnEmptyEntry) {
  DeltaStreamState state(kVirtualHostType);
  state.OnSnapshot(VirtualHosts("v1"));
  Feed(state, {"", {"rc/www.example.com"}});
  auto found = state.NextResponse();
  ASSERT_TRUE(found.has_value());
  EXPECT_THAT(Names(*found), ElementsAre("rc/shop"));
  EXPECT_THAT(found->resources[0]->aliases(), ::testing::Contains("rc/www.example.com"));
  Ack(state, *found);

  Feed(state, {"", {"rc/nowhere.example.com"}});
  auto unknown = state.NextResponse();
  ASSERT_TRUE(unknown.has_value());
  EXPECT_THAT(unknown->resources, IsEmpty());
  EXPECT_THAT(unknown->not_found, ElementsAre("rc/nowhere.example.com"));
  EXPECT_THAT(unknown->removed, IsEmpty());
  Ack(state, *unknown);

  state.OnSnapshot(VirtualHosts("v2"));
  auto changed = state.NextResponse();
  ASSERT_TRUE(changed.has_value());
  EXPECT_THAT(Names(*changed), ElementsAre("rc/shop"));
  EXPECT_THAT(changed->not_found, IsEmpty());
}

}  // namespace
}  // namespace xdsd::server

namespace xdsd::server {
namespace {

// PROTOCOL 25, with the re-subscription overtaking the ACK of the response that carried the
// name: the ACK does not count it as held, so it is sent again.
TEST(DeltaStreamStateTest, ResubscribeBeforeTheAckStillResends) {
  DeltaStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, {kEndpointType, {"c1"}});
  auto first = state.NextResponse();
  ASSERT_TRUE(first.has_value());
  Feed(state, {kEndpointType, {}, {"c1"}});  // drops it...
  Feed(state, {kEndpointType, {"c1"}});      // ...and asks again, before ACKing
  Ack(state, *first);
  auto again = state.NextResponse();
  ASSERT_TRUE(again.has_value());
  EXPECT_THAT(Names(*again), ElementsAre("c1"));
}

}  // namespace
}  // namespace xdsd::server

namespace xdsd::server {
namespace {

TEST(DeltaStreamStateLimitsTest, UnknownTypeOnAdsIsInvalidArgument) {
  DeltaStreamState state("");
  absl::StatusOr<DeltaRequestOutcome> outcome =
      state.OnRequest(Request({"type.googleapis.com/made.Up", {"x"}}));
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DeltaStreamStateLimitsTest, SubscriptionsAddUpToTheCap) {
  DeltaStreamState state("", /*max_names=*/3);
  Feed(state, {kClusterType, {"a", "b"}});
  absl::StatusOr<DeltaRequestOutcome> outcome =
      state.OnRequest(Request({kEndpointType, {"a", "b"}}));
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace xdsd::server

namespace xdsd::server {
namespace {

// A name subscribed again while a response carrying it is in flight: the client applies that
// response when it ACKs it, so it holds the name; if the resource then disappears before it is
// sent again, the client is told to remove it (PROTOCOL 23, 25; found by the delta fuzzer).
TEST(DeltaStreamStateTest, ResubscribedNameThatDisappearsBeforeItIsResentIsRemoved) {
  DeltaStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, {kEndpointType, {"c1", "*"}});
  auto first = state.NextResponse();
  ASSERT_TRUE(first.has_value());
  EXPECT_THAT(Names(*first), ElementsAre("c1", "c2"));
  Feed(state, {kEndpointType, {"c1"}});                    // again, before the ACK
  state.OnSnapshot(MakeSnapshot({{kClusterType, "c1"}}));  // every endpoint goes
  Ack(state, *first);
  auto removal = state.NextResponse();
  ASSERT_TRUE(removal.has_value());
  EXPECT_EQ(removal->type_url, kEndpointType);
  EXPECT_THAT(removal->resources, IsEmpty());
  EXPECT_THAT(removal->removed, ElementsAre("c1", "c2"));
}

}  // namespace
}  // namespace xdsd::server

namespace xdsd::server {
namespace {

// A NACK of a response that carried a name the client unsubscribed from meanwhile did not
// reject that name: subscribed again, it is sent (PROTOCOL 8, 25; found by the delta fuzzer).
TEST(DeltaStreamStateTest, ANameUnsubscribedBeforeTheNackIsSentWhenSubscribedAgain) {
  DeltaStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, {kEndpointType, {"c1", "c2"}});
  auto first = state.NextResponse();
  ASSERT_TRUE(first.has_value());
  Feed(state, {kEndpointType, {}, {"c1"}});  // drops c1 while the response is in flight
  Feed(state, {kEndpointType, {}, {}, first->nonce, {}, "c2 is invalid"});
  Feed(state, {kEndpointType, {"c1"}});
  auto again = state.NextResponse();
  ASSERT_TRUE(again.has_value());
  EXPECT_THAT(Names(*again), ElementsAre("c1"));  // c2, rejected, is not sent again
}

}  // namespace
}  // namespace xdsd::server
