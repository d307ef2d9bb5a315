// PROTOCOL 32: state-of-the-world responses of types other than listeners and clusters carry
// only what changed; the cases that still carry the whole subscription.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/sotw_stream_state.h"
#include "server/test_snapshots.h"

namespace xdsd::server {
namespace {

using envoy::service::discovery::v3::DiscoveryRequest;
using ::testing::ElementsAre;
using testing::MakeSnapshot;
using testing::Names;

using testing::Request;

// Feeds `request`, which must be accepted, and returns the response due then (if any).
std::optional<SotwResponse> Answer(SotwStreamState& state, const DiscoveryRequest& request) {
  EXPECT_TRUE(state.OnRequest(request).ok());
  return state.NextResponse();
}

// A snapshot of three clusters and their endpoints; `c1` at `c1_body`, `c2` at `c2_body`.
SnapshotPtr Fleet(std::string c1_body, std::string c2_body = "v1") {
  return MakeSnapshot({{kClusterType, "c1"},
                       {kClusterType, "c2"},
                       {kClusterType, "c3"},
                       {kEndpointType, "c1", c1_body},
                       {kEndpointType, "c2", c2_body},
                       {kEndpointType, "c3"},
                       {kRouteType, "r1"},
                       {kRouteType, "r2"}});
}

const std::vector<std::string> kAll = {"c1", "c2", "c3"};

// A stream subscribed to every cluster's endpoints that ACKed the first response of `snapshot`.
SotwResponse SyncedEndpoints(SotwStreamState& state, const SnapshotPtr& snapshot) {
  state.OnSnapshot(snapshot);
  std::optional<SotwResponse> first = Answer(state, Request(kEndpointType, kAll));
  EXPECT_TRUE(first.has_value());
  EXPECT_THAT(Names(*first), ElementsAre("c1", "c2", "c3"));
  EXPECT_FALSE(Answer(state, Request(kEndpointType, kAll, first->nonce, first->version)));
  return *first;
}

// On a synced stream (`first`), c1's endpoints change to "bad": the partial response carries c1
// alone and the client rejects it. Returns the rejected response's nonce.
std::string RejectChangedC1(SotwStreamState& state, const SotwResponse& first) {
  state.OnSnapshot(Fleet("bad"));
  std::optional<SotwResponse> rejected = state.NextResponse();
  EXPECT_TRUE(rejected.has_value());
  if (!rejected.has_value()) return "";
  EXPECT_THAT(Names(*rejected), ElementsAre("c1"));
  DiscoveryRequest nack = Request(kEndpointType, kAll, rejected->nonce, first.version);
  nack.mutable_error_detail()->set_message("c1: invalid endpoint");
  EXPECT_FALSE(Answer(state, nack).has_value());
  return rejected->nonce;
}

TEST(SotwPartialResponseTest, EndpointChangeCarriesOnlyTheChangedAssignment) {
  SotwStreamState state("");
  SyncedEndpoints(state, Fleet("v1"));
  SnapshotPtr changed = Fleet("v2");
  state.OnSnapshot(changed);
  std::optional<SotwResponse> update = state.NextResponse();
  ASSERT_TRUE(update.has_value());
  EXPECT_THAT(Names(*update), ElementsAre("c1"));
  // The version is the type's, as for a whole response: the client ACKs the new state.
  EXPECT_EQ(update->version, changed->Version(kEndpointType));
  EXPECT_FALSE(Answer(state, Request(kEndpointType, kAll, update->nonce, update->version)));

  // The next change is again measured against everything the client holds by now.
  state.OnSnapshot(Fleet("v2", "v2"));
  update = state.NextResponse();
  ASSERT_TRUE(update.has_value());
  EXPECT_THAT(Names(*update), ElementsAre("c2"));
}

// An ACK that repeats its names is recognised by a digest of them; names that join into the same
// text but split differently are another subscription, and get their resources.
TEST(SotwPartialResponseTest, AnAckNamingOtherResourcesOfTheSameTextIsAChange) {
  SotwStreamState state("");
  state.OnSnapshot(MakeSnapshot(
      {{kEndpointType, "a"}, {kEndpointType, "ab"}, {kEndpointType, "bc"}, {kEndpointType, "c"}}));
  std::optional<SotwResponse> first = Answer(state, Request(kEndpointType, {"ab", "c"}));
  ASSERT_TRUE(first.has_value());
  EXPECT_THAT(Names(*first), ElementsAre("ab", "c"));
  EXPECT_FALSE(Answer(state, Request(kEndpointType, {"ab", "c"}, first->nonce, first->version)));
  std::optional<SotwResponse> other =
      Answer(state, Request(kEndpointType, {"a", "bc"}, first->nonce, first->version));
  ASSERT_TRUE(other.has_value());
  EXPECT_THAT(Names(*other), ElementsAre("a", "bc"));
}

TEST(SotwPartialResponseTest, ClustersStillGoOutWhole) {
  SotwStreamState state("");
  state.OnSnapshot(Fleet("v1"));
  std::optional<SotwResponse> first = Answer(state, Request(kClusterType, {"*"}));
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(Answer(state, Request(kClusterType, {"*"}, first->nonce, first->version)));
  state.OnSnapshot(
      MakeSnapshot({{kClusterType, "c1", "v2"}, {kClusterType, "c2"}, {kClusterType, "c3"}}));
  std::optional<SotwResponse> update = state.NextResponse();
  ASSERT_TRUE(update.has_value());
  EXPECT_THAT(Names(*update), ElementsAre("c1", "c2", "c3"));
}

TEST(SotwPartialResponseTest, ANewNameGetsTheWholeSubscription) {
  SotwStreamState state("");
  state.OnSnapshot(Fleet("v1"));
  std::optional<SotwResponse> first = Answer(state, Request(kEndpointType, {"c1", "c2"}));
  ASSERT_TRUE(first.has_value());
  std::optional<SotwResponse> grown =
      Answer(state, Request(kEndpointType, kAll, first->nonce, first->version));
  ASSERT_TRUE(grown.has_value());
  EXPECT_THAT(Names(*grown), ElementsAre("c1", "c2", "c3"));
}

// On a synced stream (`first`), Envoy asks again for what it holds, as it does while it warms a
// changed cluster (PROTOCOL 17). Returns the answer.
std::optional<SotwResponse> AskAgain(SotwStreamState& state, const SotwResponse& first) {
  return Answer(state, Request(kEndpointType, kAll, first.nonce, first.version));
}

TEST(SotwPartialResponseTest, ARepeatedRequestGetsTheWholeSubscription) {
  SotwStreamState state("");
  std::optional<SotwResponse> again = AskAgain(state, SyncedEndpoints(state, Fleet("v1")));
  ASSERT_TRUE(again.has_value());
  EXPECT_THAT(Names(*again), ElementsAre("c1", "c2", "c3"));
}

TEST(SotwPartialResponseTest, NackRecoveryGetsTheWholeSubscription) {
  SotwStreamState state("");
  SotwResponse first = SyncedEndpoints(state, Fleet("v1"));
  RejectChangedC1(state, first);

  SnapshotPtr next = Fleet("bad", "v2");
  state.OnSnapshot(next);
  std::optional<SotwResponse> recovery = state.NextResponse();
  ASSERT_TRUE(recovery.has_value());
  EXPECT_THAT(Names(*recovery), ElementsAre("c1", "c2", "c3"));
  // PROTOCOL 8: c1 goes as the client runs it, never as it rejected it.
  EXPECT_EQ(recovery->resources[0]->version(), first.resources[0]->version());
  EXPECT_EQ(recovery->resources[1]->version(), next->Find(kEndpointType, "c2")->version());
  EXPECT_NE(recovery->version, next->Version(kEndpointType));
  // Accepted: partial again from then on.
  EXPECT_FALSE(Answer(state, Request(kEndpointType, kAll, recovery->nonce, recovery->version)));
  state.OnSnapshot(Fleet("good", "v2"));
  std::optional<SotwResponse> update = state.NextResponse();
  ASSERT_TRUE(update.has_value());
  EXPECT_THAT(Names(*update), ElementsAre("c1"));
}

TEST(SotwPartialResponseTest, ANarrowedSubscriptionDoesNotResendARejectedResource) {
  SotwStreamState state("");
  SotwResponse first = SyncedEndpoints(state, Fleet("v1"));
  const std::string rejected_nonce = RejectChangedC1(state, first);

  // The client now asks for c1 alone (so it asks again, PROTOCOL 17): it gets c1 as it runs
  // it, not as it rejected it.
  std::optional<SotwResponse> narrowed =
      Answer(state, Request(kEndpointType, {"c1"}, rejected_nonce, first.version));
  ASSERT_TRUE(narrowed.has_value());
  EXPECT_THAT(Names(*narrowed), ElementsAre("c1"));
  EXPECT_EQ(narrowed->resources[0]->version(), first.resources[0]->version());
  EXPECT_FALSE(Answer(state, Request(kEndpointType, {"c1"}, narrowed->nonce, narrowed->version)));
  // A name added is answered, with c1 still as the client runs it.
  std::optional<SotwResponse> grown =
      Answer(state, Request(kEndpointType, {"c1", "c3"}, narrowed->nonce, narrowed->version));
  ASSERT_TRUE(grown.has_value());
  EXPECT_THAT(Names(*grown), ElementsAre("c1", "c3"));
  EXPECT_EQ(grown->resources[0]->version(), first.resources[0]->version());
  EXPECT_FALSE(Answer(state, Request(kEndpointType, {"c1", "c3"}, grown->nonce, grown->version)));

  // Once the config changes c1, it goes out again.
  state.OnSnapshot(Fleet("fixed"));
  std::optional<SotwResponse> fixed = state.NextResponse();
  ASSERT_TRUE(fixed.has_value());
  EXPECT_THAT(Names(*fixed), ElementsAre("c1"));
  EXPECT_NE(fixed->resources[0]->version(), first.resources[0]->version());
}

TEST(SotwPartialResponseTest, ARejectedResponseOfHeldResourcesIsNotRepeated) {
  SotwStreamState state("");
  SotwResponse first = SyncedEndpoints(state, Fleet("v1"));
  // The client rejects the answer to a repeated request, though it holds what it carries.
  std::optional<SotwResponse> again = AskAgain(state, first);
  ASSERT_TRUE(again.has_value());
  DiscoveryRequest nack = Request(kEndpointType, kAll, again->nonce, first.version);
  nack.mutable_error_detail()->set_message("rejected");
  EXPECT_FALSE(Answer(state, nack).has_value());
  // Asking for every name (the same three) would send the same content again: it is not sent.
  EXPECT_FALSE(Answer(state, Request(kEndpointType, {"*"}, again->nonce, first.version)));
  // A change is.
  state.OnSnapshot(Fleet("v2"));
  std::optional<SotwResponse> changed = state.NextResponse();
  ASSERT_TRUE(changed.has_value());
  EXPECT_THAT(Names(*changed), ElementsAre("c1", "c2", "c3"));
}

TEST(SotwPartialResponseTest, AReconnectGetsTheWholeSubscription) {
  SotwStreamState before("");
  SotwResponse held = SyncedEndpoints(before, Fleet("v1"));
  SotwStreamState after("");
  after.OnSnapshot(Fleet("v2"));
  std::optional<SotwResponse> first = Answer(after, Request(kEndpointType, kAll, "", held.version));
  ASSERT_TRUE(first.has_value());
  EXPECT_THAT(Names(*first), ElementsAre("c1", "c2", "c3"));
}

TEST(SotwPartialResponseTest, FullResponsesOptionKeepsWholeSets) {
  SotwStreamState state("");
  state.set_full_responses(true);
  SyncedEndpoints(state, Fleet("v1"));
  state.OnSnapshot(Fleet("v2"));
  std::optional<SotwResponse> update = state.NextResponse();
  ASSERT_TRUE(update.has_value());
  EXPECT_THAT(Names(*update), ElementsAre("c1", "c2", "c3"));
}

TEST(SotwPartialResponseTest, StreamsHoldingTheSameVersionShareTheChangedPart) {
  SotwStreamState a("");
  SotwStreamState b("");
  SyncedEndpoints(a, Fleet("v1"));
  SyncedEndpoints(b, Fleet("v1"));
  SnapshotPtr changed = Fleet("v2");
  a.OnSnapshot(changed);
  b.OnSnapshot(changed);
  std::optional<SotwResponse> to_a = a.NextResponse();
  std::optional<SotwResponse> to_b = b.NextResponse();
  ASSERT_TRUE(to_a.has_value() && to_b.has_value());
  EXPECT_THAT(Names(*to_a), ElementsAre("c1"));
  EXPECT_THAT(Names(*to_b), ElementsAre("c1"));
  EXPECT_EQ(to_a->resources[0], to_b->resources[0]);
}

TEST(SotwPartialResponseTest, RoutesCarryOnlyWhatChangedToo) {
  SotwStreamState state("");
  state.OnSnapshot(Fleet("v1"));
  std::optional<SotwResponse> first = Answer(state, Request(kRouteType, {"r1", "r2"}));
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(Answer(state, Request(kRouteType, {"r1", "r2"}, first->nonce, first->version)));
  state.OnSnapshot(MakeSnapshot({{kRouteType, "r1"}, {kRouteType, "r2", "v2"}}));
  std::optional<SotwResponse> update = state.NextResponse();
  ASSERT_TRUE(update.has_value());
  EXPECT_THAT(Names(*update), ElementsAre("r2"));
}

}  // namespace
}  // namespace xdsd::server
