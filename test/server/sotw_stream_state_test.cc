#include "server/sotw_stream_state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <set>

#include "server/test_snapshots.h"
#include "xdsd/resource.h"

namespace xdsd::server {
namespace {

using envoy::service::discovery::v3::DiscoveryRequest;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

using testing::MakeSnapshot;
using testing::Names;

using testing::Request;

// Feeds a request that must be accepted.
SotwRequestOutcome Feed(SotwStreamState& state, const DiscoveryRequest& request) {
  absl::StatusOr<SotwRequestOutcome> outcome = state.OnRequest(request);
  EXPECT_TRUE(outcome.ok()) << outcome.status();
  return outcome.ok() ? *outcome : SotwRequestOutcome{};
}

// ACKs `response`.
SotwRequestOutcome Ack(SotwStreamState& state, const SotwResponse& response,
                       std::vector<std::string> names) {
  return Feed(state,
              Request(response.type_url, std::move(names), response.nonce, response.version));
}

const SnapshotPtr kBase = MakeSnapshot({{kClusterType, "c1"},
                                        {kClusterType, "c2"},
                                        {kEndpointType, "c1"},
                                        {kEndpointType, "c2"},
                                        {kListenerType, "l1"},
                                        {kRouteType, "r1"}});

// PROTOCOL 1: the RPC method fixes the variant; a per-type stream serves its type only.
TEST(SotwStreamStateTest, PerTypeStreamRejectsAnotherType) {
  SotwStreamState state(kClusterType);
  EXPECT_FALSE(state.OnRequest(Request(kListenerType, {})).ok());
  EXPECT_TRUE(state.OnRequest(Request("", {})).ok());  // the stream's type is implied
}

TEST(SotwStreamStateTest, AdsRequestWithoutTypeIsRejected) {
  SotwStreamState state("");
  EXPECT_FALSE(state.OnRequest(Request("", {"x"})).ok());
}

// PROTOCOL 12, 13: a wildcard cluster request gets every cluster.
TEST(SotwStreamStateTest, WildcardClusterRequestGetsFullSet) {
  SotwStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, Request(kClusterType, {"*"}));
  auto response = state.NextResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->type_url, kClusterType);
  EXPECT_EQ(response->version, kBase->Version(kClusterType));
  EXPECT_THAT(Names(*response), ElementsAre("c1", "c2"));
  EXPECT_FALSE(state.NextResponse().has_value());
}

TEST(SotwStreamStateTest, EmptyFirstRequestIsLegacyWildcardForClustersOnly) {
  SotwStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, Request(kClusterType, {}));
  Feed(state, Request(kEndpointType, {}));
  auto response = state.NextResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(Names(*response), ElementsAre("c1", "c2"));
  EXPECT_FALSE(state.NextResponse().has_value());  // endpoints: an empty list names nothing
}

// PROTOCOL 12: once names were given, an empty list means "nothing".
TEST(SotwStreamStateTest, EmptyListAfterNamesMeansNothing) {
  SotwStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, Request(kListenerType, {"l1"}));
  auto first = state.NextResponse();
  ASSERT_TRUE(first.has_value());
  Ack(state, *first, {});
  auto second = state.NextResponse();
  ASSERT_TRUE(second.has_value());  // listeners are full-state: the client learns the new set
  EXPECT_THAT(Names(*second), IsEmpty());
}

// PROTOCOL 3: version, nonce and names are kept per type, even on ADS.
TEST(SotwStreamStateTest, StatePerTypeOnAds) {
  SotwStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, Request(kClusterType, {"*"}));
  Feed(state, Request(kEndpointType, {"c1"}));
  auto clusters = state.NextResponse();
  auto endpoints = state.NextResponse();
  ASSERT_TRUE(clusters && endpoints);
  EXPECT_EQ(endpoints->type_url, kEndpointType);
  EXPECT_EQ(endpoints->version, kBase->Version(kEndpointType));
  EXPECT_THAT(Names(*endpoints), ElementsAre("c1"));
  // ACKing endpoints with the endpoint nonce is not stale although clusters were sent after.
  EXPECT_EQ(Ack(state, *endpoints, {"c1"}).kind, SotwRequestOutcome::Kind::kAck);
  EXPECT_EQ(Ack(state, *clusters, {"*"}).kind, SotwRequestOutcome::Kind::kAck);
}

// PROTOCOL 4: every response carries a nonce unique within the stream.
TEST(SotwStreamStateTest, NoncesAreUniqueWithinStream) {
  SotwStreamState state("");
  state.OnSnapshot(kBase);
  std::set<std::string> nonces;
  for (std::string_view type : {kClusterType, kListenerType}) Feed(state, Request(type, {"*"}));
  Feed(state, Request(kEndpointType, {"c1", "c2"}));
  Feed(state, Request(kRouteType, {"r1"}));
  while (auto response = state.NextResponse()) {
    EXPECT_FALSE(response->nonce.empty());
    EXPECT_TRUE(nonces.insert(response->nonce).second) << response->nonce;
  }
  EXPECT_EQ(nonces.size(), 4u);
}

// PROTOCOL 5: the latest request supersedes earlier ones.
TEST(SotwStreamStateTest, LatestRequestSupersedes) {
  SotwStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, Request(kEndpointType, {"c1"}));
  auto first = state.NextResponse();
  ASSERT_TRUE(first.has_value());
  Ack(state, *first, {"c2"});
  auto second = state.NextResponse();
  ASSERT_TRUE(second.has_value());
  EXPECT_THAT(Names(*second), ElementsAre("c2"));
}

// PROTOCOL 6: a request that answers an older nonce is ignored.
TEST(SotwStreamStateTest, StaleNonceIsIgnored) {
  SotwStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, Request(kEndpointType, {"c1"}));
  auto first = state.NextResponse();
  Ack(state, *first, {"c1"});
  state.OnSnapshot(MakeSnapshot({{kEndpointType, "c1", "v2"}, {kEndpointType, "c2"}}));
  auto second = state.NextResponse();
  ASSERT_TRUE(second.has_value());
  // An answer to the first response (its nonce) arrives late, asking for c2: stale.
  auto outcome = Feed(state, Request(kEndpointType, {"c2"}, first->nonce));
  EXPECT_EQ(outcome.kind, SotwRequestOutcome::Kind::kStale);
  EXPECT_FALSE(state.NextResponse().has_value());
  EXPECT_EQ(Ack(state, *second, {"c1"}).kind, SotwRequestOutcome::Kind::kAck);
}

// PROTOCOL 7, 8: a NACK is recorded, its content never sent again, the next change is sent.
TEST(SotwStreamStateTest, NackedVersionIsNotResent) {
  SotwStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, Request(kClusterType, {"*"}));
  auto first = state.NextResponse();
  Ack(state, *first, {"*"});

  SnapshotPtr bad = MakeSnapshot({{kClusterType, "c1", "bad"}, {kClusterType, "c2"}});
  state.OnSnapshot(bad);
  auto rejected = state.NextResponse();
  ASSERT_TRUE(rejected.has_value());
  DiscoveryRequest nack = Request(kClusterType, {"*"}, rejected->nonce, first->version);
  nack.mutable_error_detail()->set_message("c1: invalid cluster");
  auto outcome = Feed(state, nack);
  EXPECT_EQ(outcome.kind, SotwRequestOutcome::Kind::kNack);
  EXPECT_EQ(outcome.version, bad->Version(kClusterType));
  EXPECT_EQ(outcome.error, "c1: invalid cluster");
  EXPECT_FALSE(state.NextResponse().has_value());

  // The same content published again (another snapshot object) is still not sent.
  state.OnSnapshot(MakeSnapshot({{kClusterType, "c1", "bad"}, {kClusterType, "c2"}}));
  EXPECT_FALSE(state.NextResponse().has_value());
  // A repeated request after the NACK does not bring it back either.
  Feed(state, Request(kClusterType, {"*"}, rejected->nonce, first->version));
  EXPECT_FALSE(state.NextResponse().has_value());

  SnapshotPtr fixed = MakeSnapshot({{kClusterType, "c1", "good"}, {kClusterType, "c2"}});
  state.OnSnapshot(fixed);
  auto next = state.NextResponse();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->version, fixed->Version(kClusterType));
}

// PROTOCOL 9: the version changes whenever any resource of the type changes.
TEST(SotwStreamStateTest, VersionChangesWithAnyResource) {
  SnapshotPtr a = MakeSnapshot({{kClusterType, "c1"}, {kClusterType, "c2"}});
  SnapshotPtr b = MakeSnapshot({{kClusterType, "c1"}, {kClusterType, "c2", "v2"}});
  SnapshotPtr c = MakeSnapshot({{kClusterType, "c1"}});
  EXPECT_NE(a->Version(kClusterType), b->Version(kClusterType));
  EXPECT_NE(a->Version(kClusterType), c->Version(kClusterType));
  EXPECT_EQ(a->Version(kClusterType),
            MakeSnapshot({{kClusterType, "c2"}, {kClusterType, "c1"}})->Version(kClusterType));
}

// PROTOCOL 10: nothing is sent without a real change.
TEST(SotwStreamStateTest, UnchangedStateIsNotEchoed) {
  SotwStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, Request(kClusterType, {"*"}));
  Feed(state, Request(kEndpointType, {"c1"}));
  auto clusters = state.NextResponse();
  auto endpoints = state.NextResponse();
  Ack(state, *clusters, {"*"});
  Ack(state, *endpoints, {"c1"});
  // A new snapshot where only an endpoint the client does not watch changed.
  state.OnSnapshot(MakeSnapshot({{kClusterType, "c1"},
                                 {kClusterType, "c2"},
                                 {kEndpointType, "c1"},
                                 {kEndpointType, "c2", "v2"}}));
  EXPECT_FALSE(state.NextResponse().has_value());
}

// PROTOCOL 11: names asked for anew are sent, even when they were sent before.
TEST(SotwStreamStateTest, NewlyRequestedNamesAreResent) {
  SotwStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, Request(kEndpointType, {"c1"}));
  auto first = state.NextResponse();
  Ack(state, *first, {"c1"});
  Feed(state, Request(kEndpointType, {}, first->nonce));  // unsubscribe everything
  EXPECT_FALSE(state.NextResponse().has_value());
  Feed(state, Request(kEndpointType, {"c1"}, first->nonce));  // and ask again
  auto again = state.NextResponse();
  ASSERT_TRUE(again.has_value());
  EXPECT_THAT(Names(*again), ElementsAre("c1"));
}

// PROTOCOL 13: a full-state type always carries the full set; a missing name is deleted.
TEST(SotwStreamStateTest, FullStateResponseOmitsDeleted) {
  SotwStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, Request(kClusterType, {"*"}));
  auto first = state.NextResponse();
  Ack(state, *first, {"*"});
  state.OnSnapshot(MakeSnapshot({{kClusterType, "c2"}}));
  auto second = state.NextResponse();
  ASSERT_TRUE(second.has_value());
  EXPECT_THAT(Names(*second), ElementsAre("c2"));
  Ack(state, *second, {"*"});
  state.OnSnapshot(MakeSnapshot({}));
  auto third = state.NextResponse();
  ASSERT_TRUE(third.has_value());
  EXPECT_THAT(Names(*third), IsEmpty());  // an empty response deletes all
}

// PROTOCOL 14, 15: endpoints carry the requested resources only, each once.
TEST(SotwStreamStateTest, EndpointsCarryRequestedNamesOnce) {
  SotwStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, Request(kEndpointType, {"c2", "c2", "missing"}));
  auto response = state.NextResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(Names(*response), ElementsAre("c2"));
}

// PROTOCOL 16: names requested before they exist are sent the moment they appear.
TEST(SotwStreamStateTest, NamesAreSentWhenTheyAppear) {
  SotwStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, Request(kRouteType, {"r2"}));
  EXPECT_FALSE(state.NextResponse().has_value());
  state.OnSnapshot(MakeSnapshot({{kRouteType, "r1"}, {kRouteType, "r2"}}));
  auto response = state.NextResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(Names(*response), ElementsAre("r2"));
}

TEST(SotwStreamStateTest, NothingIsSentBeforeASnapshot) {
  SotwStreamState state("");
  Feed(state, Request(kClusterType, {"*"}));
  EXPECT_FALSE(state.NextResponse().has_value());
  state.OnSnapshot(kBase);
  EXPECT_TRUE(state.NextResponse().has_value());
}

// PROTOCOL 17: the repeated endpoint request Envoy sends while warming a cluster is answered.
TEST(SotwStreamStateTest, WarmingRequestIsAnswered) {
  SotwStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, Request(kEndpointType, {"c1"}));
  auto first = state.NextResponse();
  Ack(state, *first, {"c1"});
  EXPECT_FALSE(state.NextResponse().has_value());
  Feed(state, Request(kEndpointType, {"c1"}, first->nonce, first->version));  // same again
  auto again = state.NextResponse();
  ASSERT_TRUE(again.has_value());
  EXPECT_THAT(Names(*again), ElementsAre("c1"));
  EXPECT_NE(again->nonce, first->nonce);
}

// PROTOCOL 18: on ADS, clusters then endpoints then listeners then routes.
TEST(SotwStreamStateTest, AdsSendsInMakeBeforeBreakOrder) {
  SotwStreamState state("");
  Feed(state, Request(kRouteType, {"r1"}));
  Feed(state, Request(kListenerType, {"*"}));
  Feed(state, Request(kEndpointType, {"c1"}));
  Feed(state, Request(kClusterType, {"*"}));
  state.OnSnapshot(kBase);
  std::vector<std::string> order;
  while (auto response = state.NextResponse()) order.push_back(response->type_url);
  EXPECT_THAT(order, ElementsAre(kClusterType, kEndpointType, kListenerType, kRouteType));
}

// PROTOCOL 18: a removed cluster stays until the routes that moved off it are answered.
TEST(SotwStreamStateTest, AdsRemovesClustersAfterRoutesMoveOff) {
  SotwStreamState state("");
  state.OnSnapshot(MakeSnapshot({{kClusterType, "old"}, {kRouteType, "r1", "to-old"}}));
  Feed(state, Request(kClusterType, {"*"}));
  Feed(state, Request(kRouteType, {"r1"}));
  auto clusters = state.NextResponse();
  auto routes = state.NextResponse();
  Ack(state, *clusters, {"*"});
  Ack(state, *routes, {"r1"});

  SnapshotPtr next = MakeSnapshot({{kClusterType, "new"}, {kRouteType, "r1", "to-new"}});
  state.OnSnapshot(next);
  auto make = state.NextResponse();
  ASSERT_TRUE(make.has_value());
  EXPECT_EQ(make->type_url, kClusterType);
  EXPECT_THAT(Names(*make), ElementsAre("new", "old"));
  auto moved = state.NextResponse();
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(moved->type_url, kRouteType);
  EXPECT_FALSE(state.NextResponse().has_value());  // the removal waits for the ACKs

  Ack(state, *make, {"*"});
  EXPECT_FALSE(state.NextResponse().has_value());
  Ack(state, *moved, {"r1"});
  auto brk = state.NextResponse();
  ASSERT_TRUE(brk.has_value());
  EXPECT_EQ(brk->type_url, kClusterType);
  EXPECT_EQ(brk->version, next->Version(kClusterType));
  EXPECT_THAT(Names(*brk), ElementsAre("new"));
}

TEST(SotwStreamStateTest, PerTypeStreamRemovesAtOnce) {
  SotwStreamState state(kClusterType);
  state.OnSnapshot(MakeSnapshot({{kClusterType, "old"}}));
  Feed(state, Request(kClusterType, {"*"}));
  auto first = state.NextResponse();
  Ack(state, *first, {"*"});
  state.OnSnapshot(MakeSnapshot({{kClusterType, "new"}}));
  auto second = state.NextResponse();
  ASSERT_TRUE(second.has_value());
  EXPECT_THAT(Names(*second), ElementsAre("new"));
}

// One response in flight per type: newer snapshots coalesce into the next response.
TEST(SotwStreamStateTest, SnapshotsCoalesceWhileAResponseIsInFlight) {
  SotwStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, Request(kClusterType, {"*"}));
  auto first = state.NextResponse();
  state.OnSnapshot(MakeSnapshot({{kClusterType, "c1", "v2"}}));
  SnapshotPtr latest = MakeSnapshot({{kClusterType, "c1", "v3"}});
  state.OnSnapshot(latest);
  EXPECT_FALSE(state.NextResponse().has_value());
  Ack(state, *first, {"*"});
  auto next = state.NextResponse();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->version, latest->Version(kClusterType));
  EXPECT_FALSE(state.NextResponse().has_value());
}

// PROTOCOL 19: no response waits until the client names every resource.
TEST(SotwStreamStateTest, EndpointsAreNotHeldForUnrequestedNames) {
  SotwStreamState state("");
  state.OnSnapshot(kBase);
  Feed(state, Request(kClusterType, {"*"}));
  auto clusters = state.NextResponse();
  Feed(state, Request(kEndpointType, {"c1"}));  // c2 exists but is not asked for (weight 0)
  auto endpoints = state.NextResponse();
  ASSERT_TRUE(endpoints.has_value());
  EXPECT_THAT(Names(*endpoints), ElementsAre("c1"));
}

// A client that reconnects with the version being served is sent nothing.
TEST(SotwStreamStateTest, ReconnectWithCurrentVersionSendsNothing) {
  SotwStreamState state("");
  state.OnSnapshot(kBase);
  auto clusters = Feed(state, Request(kClusterType, {"*"}, "17", kBase->Version(kClusterType)));
  EXPECT_EQ(clusters.holds_current_version, kBase->Version(kClusterType));
  Feed(state, Request(kEndpointType, {"c1"}, "18", kBase->Version(kEndpointType)));
  EXPECT_FALSE(state.NextResponse().has_value());
  auto listeners_request = Feed(state, Request(kListenerType, {"*"}, "19", "some-old-version"));
  EXPECT_EQ(listeners_request.holds_current_version, "");
  auto listeners = state.NextResponse();
  ASSERT_TRUE(listeners.has_value());
  EXPECT_EQ(listeners->type_url, kListenerType);
}

// PROTOCOL 29, 30: a gRPC client names its listener; one that does not exist is answered with
// an empty set (13), so the client does not wait for it.
TEST(SotwStreamStateTest, NamedListenerRequestOfGrpcClient) {
  SotwStreamState state("");
  state.OnSnapshot(MakeSnapshot({{kListenerType, "echo.test"}, {kListenerType, "other"}}));
  Feed(state, Request(kListenerType, {"echo.test"}));
  auto response = state.NextResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(Names(*response), ElementsAre("echo.test"));
  Ack(state, *response, {"missing.test"});
  auto missing = state.NextResponse();
  ASSERT_TRUE(missing.has_value());
  EXPECT_THAT(Names(*missing), IsEmpty());
}

}  // namespace
}  // namespace xdsd::server

namespace xdsd::server {
namespace {

SnapshotPtr TtlSnapshot(const std::string& body) {
  return *Snapshot::Create({Resource::FromBytes(kClusterType, "c1", body, std::chrono::seconds(2)),
                            Resource::FromBytes(kClusterType, "c2", "plain")});
}

// PROTOCOL 28: TTL resources are wrapped only for clients that support it; a heartbeat renews
// them with the same version, without their body.
TEST(SotwStreamStateTest, TtlHeartbeatsForClientsThatSupportThem) {
  SotwStreamState state("");
  state.set_ttl_supported(true);
  const absl::Time start = absl::FromUnixSeconds(1000);
  state.OnTick(start);
  SnapshotPtr snapshot = TtlSnapshot("v1");
  state.OnSnapshot(snapshot);
  Feed(state, Request(kClusterType, {"*"}));
  auto first = state.NextResponse();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->wrap_ttl);
  EXPECT_FALSE(first->heartbeat);
  Ack(state, *first, {"*"});

  state.OnTick(start + absl::Milliseconds(900));
  EXPECT_FALSE(state.NextResponse().has_value());  // not yet half the TTL
  state.OnTick(start + absl::Seconds(1));
  auto heartbeat = state.NextResponse();
  ASSERT_TRUE(heartbeat.has_value());
  EXPECT_TRUE(heartbeat->heartbeat);
  EXPECT_EQ(heartbeat->version, first->version);
  EXPECT_THAT(Names(*heartbeat), ElementsAre("c1", "c2"));  // the full set, as SotW needs
  EXPECT_FALSE(state.NextResponse().has_value());           // one in flight
  Ack(state, *heartbeat, {"*"});
  state.OnTick(start + absl::Milliseconds(1500));
  EXPECT_FALSE(state.NextResponse().has_value());  // renewed at 1 s
  state.OnTick(start + absl::Seconds(2));
  EXPECT_TRUE(state.NextResponse().has_value());
}

TEST(SotwStreamStateTest, NoTtlForClientsWithoutTheFeature) {
  SotwStreamState state("");
  state.OnTick(absl::FromUnixSeconds(1000));
  state.OnSnapshot(TtlSnapshot("v1"));
  Feed(state, Request(kClusterType, {"*"}));
  auto first = state.NextResponse();
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(first->wrap_ttl);
  Ack(state, *first, {"*"});
  state.OnTick(absl::FromUnixSeconds(1100));
  EXPECT_FALSE(state.NextResponse().has_value());
}

TEST(SotwStreamStateTest, ATtlIsPartOfTheVersion) {
  EXPECT_NE(Resource::FromBytes(kClusterType, "c", "b", std::chrono::seconds(2))->version(),
            Resource::FromBytes(kClusterType, "c", "b")->version());
}

}  // namespace
}  // namespace xdsd::server

namespace xdsd::server {
namespace {

TEST(SotwStreamStateLimitsTest, UnknownTypeOnAdsIsInvalidArgument) {
  SotwStreamState state("");
  absl::StatusOr<SotwRequestOutcome> outcome =
      state.OnRequest(Request("type.googleapis.com/made.Up", {}));
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SotwStreamStateLimitsTest, NamesOverAllTypesAreCapped) {
  SotwStreamState state("", /*max_names=*/3);
  Feed(state, Request(kClusterType, {"a", "b"}));
  Feed(state, Request(kClusterType, {"a", "b", "c"}));  // replaces the two: three in all
  absl::StatusOr<SotwRequestOutcome> outcome = state.OnRequest(Request(kEndpointType, {"a"}));
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace xdsd::server
