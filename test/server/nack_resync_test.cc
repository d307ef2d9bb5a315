// PROTOCOL 33: a client that NACKed, and whose rejected config is then withdrawn so that it is
// served exactly what it holds, is sent that content once to ACK; both state machines.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "server/delta_stream_state.h"
#include "server/sotw_stream_state.h"
#include "server/test_snapshots.h"
#include "xdsd/resource.h"

namespace xdsd::server {
namespace {

using envoy::service::discovery::v3::DeltaDiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryRequest;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::MakeSnapshot;
using testing::Names;
using testing::Request;
using Kind = RequestOutcome::Kind;

// Good content C, then bad content B of the same clusters and endpoints.
SnapshotPtr Good() {
  return MakeSnapshot(
      {{kClusterType, "c1"}, {kClusterType, "c2"}, {kEndpointType, "c1"}, {kEndpointType, "c2"}});
}
SnapshotPtr Bad(std::string body = "bad") {
  return MakeSnapshot({{kClusterType, "c1", body},
                       {kClusterType, "c2"},
                       {kEndpointType, "c1", body},
                       {kEndpointType, "c2"}});
}

// A state-of-the-world client of one type on ADS that ACKs or NACKs what it is sent.
class SotwClient {
 public:
  SotwClient(std::string_view type_url, std::vector<std::string> names)
      : type_url_(type_url), names_(std::move(names)) {}

  SotwStreamState& state() { return state_; }

  // Subscribes, takes the first response and ACKs it.
  void Start() {
    Answer(Request(type_url_, names_));
    std::optional<SotwResponse> first = state_.NextResponse();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(Ack(*first).kind, Kind::kAck);
  }
  RequestOutcome Ack(const SotwResponse& response) {
    held_version_ = response.version;
    return Answer(Request(type_url_, names_, response.nonce, response.version));
  }
  RequestOutcome Nack(const SotwResponse& response) {
    DiscoveryRequest nack = Request(type_url_, names_, response.nonce, held_version_);
    nack.mutable_error_detail()->set_message("rejected");
    return Answer(nack);
  }
  // Sends a new bad snapshot and NACKs the response it brings.
  void Reject(SnapshotPtr bad) {
    state_.OnSnapshot(std::move(bad));
    std::optional<SotwResponse> rejected = state_.NextResponse();
    ASSERT_TRUE(rejected.has_value());
    EXPECT_EQ(Nack(*rejected).kind, Kind::kNack);
    EXPECT_FALSE(state_.NextResponse().has_value());
  }
  // ACKs Good(), rejects Bad(), then is served Good() again: what is sent then.
  std::optional<SotwResponse> RejectAndWithdraw() {
    state_.OnSnapshot(Good());
    Start();
    Reject(Bad());
    state_.OnSnapshot(Good());
    return state_.NextResponse();
  }
  const std::string& held_version() const { return held_version_; }

 private:
  RequestOutcome Answer(const DiscoveryRequest& request) {
    absl::StatusOr<RequestOutcome> outcome = state_.OnRequest(request);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    return outcome.ok() ? *outcome : RequestOutcome{};
  }

  SotwStreamState state_{""};
  std::string type_url_;
  std::vector<std::string> names_;
  std::string held_version_;
};

TEST(SotwNackResyncTest, WithdrawnClustersAreSentOnceAndAcked) {
  SotwClient client(kClusterType, {"*"});
  client.state().OnSnapshot(Good());
  client.Start();
  const std::string good_version = client.held_version();
  client.Reject(Bad());

  // The same bad content again, as another snapshot: still nothing (no NACK loop).
  client.state().OnSnapshot(Bad());
  EXPECT_FALSE(client.state().NextResponse().has_value());

  SnapshotPtr withdrawn = Good();
  client.state().OnSnapshot(withdrawn);
  std::optional<SotwResponse> resync = client.state().NextResponse();
  ASSERT_TRUE(resync.has_value());
  EXPECT_EQ(resync->type_url, kClusterType);
  EXPECT_EQ(resync->version, good_version);
  EXPECT_THAT(Names(*resync), ElementsAre("c1", "c2"));
  EXPECT_FALSE(client.state().NextResponse().has_value());  // one response in flight
  RequestOutcome ack = client.Ack(*resync);
  EXPECT_EQ(ack.kind, Kind::kAck);
  EXPECT_EQ(ack.version, good_version);
  EXPECT_FALSE(client.state().NextResponse().has_value());
  client.state().OnSnapshot(Good());
  EXPECT_FALSE(client.state().NextResponse().has_value());
}

TEST(SotwNackResyncTest, WithdrawnWhileTheRejectedResponseWasInFlight) {
  SotwClient client(kClusterType, {"*"});
  client.state().OnSnapshot(Good());
  client.Start();
  client.state().OnSnapshot(Bad());
  std::optional<SotwResponse> rejected = client.state().NextResponse();
  ASSERT_TRUE(rejected.has_value());
  client.state().OnSnapshot(Good());  // before the NACK arrives
  EXPECT_EQ(client.Nack(*rejected).kind, Kind::kNack);
  std::optional<SotwResponse> resync = client.state().NextResponse();
  ASSERT_TRUE(resync.has_value());
  EXPECT_EQ(resync->version, Good()->Version(kClusterType));
  EXPECT_EQ(client.Ack(*resync).kind, Kind::kAck);
  EXPECT_FALSE(client.state().NextResponse().has_value());
}

TEST(SotwNackResyncTest, APartialResponseRejectedIsResyncedWhole) {
  for (bool full_responses : {false, true}) {
    SCOPED_TRACE(full_responses);
    SotwClient client(kEndpointType, {"c1", "c2"});
    client.state().set_full_responses(full_responses);
    std::optional<SotwResponse> resync = client.RejectAndWithdraw();
    ASSERT_TRUE(resync.has_value());
    EXPECT_THAT(Names(*resync), ElementsAre("c1", "c2"));
    EXPECT_EQ(resync->version, Good()->Version(kEndpointType));
    EXPECT_EQ(client.Ack(*resync).kind, Kind::kAck);
    EXPECT_FALSE(client.state().NextResponse().has_value());
  }
}

TEST(SotwNackResyncTest, NothingWhileTheRejectedResourceIsStillServed) {
  for (std::string_view type_url : {kClusterType, kEndpointType}) {
    SCOPED_TRACE(type_url);
    SotwClient client(type_url, {"c1"});
    client.state().OnSnapshot(Good());
    client.Start();
    client.Reject(Bad());
    // Another version of the type, with the rejected c1 still in it: c2 is not subscribed.
    client.state().OnSnapshot(MakeSnapshot({{kClusterType, "c1", "bad"},
                                            {kClusterType, "c2", "other"},
                                            {kEndpointType, "c1", "bad"},
                                            {kEndpointType, "c2", "other"}}));
    EXPECT_FALSE(client.state().NextResponse().has_value());
  }
}

TEST(SotwNackResyncTest, AnotherBadConfigIsSentThenItsWithdrawalResyncs) {
  SotwClient client(kClusterType, {"*"});
  client.state().OnSnapshot(Good());
  client.Start();
  client.Reject(Bad());
  client.Reject(Bad("worse"));  // B2 is sent (and rejected) as any change is
  client.state().OnSnapshot(Good());
  std::optional<SotwResponse> resync = client.state().NextResponse();
  ASSERT_TRUE(resync.has_value());
  EXPECT_EQ(client.Ack(*resync).kind, Kind::kAck);
}

TEST(SotwNackResyncTest, ARejectedResyncIsNotRepeated) {
  SotwClient client(kClusterType, {"*"});
  std::optional<SotwResponse> resync = client.RejectAndWithdraw();
  ASSERT_TRUE(resync.has_value());
  EXPECT_EQ(client.Nack(*resync).kind, Kind::kNack);
  // The same content again, as another snapshot: the client rejected it, it is not repeated.
  client.state().OnSnapshot(Good());
  EXPECT_FALSE(client.state().NextResponse().has_value());
}

// Delta.

DeltaDiscoveryRequest DeltaRequest(std::string_view type_url, std::vector<std::string> subscribe,
                                   std::string nonce = "", std::string error = "") {
  DeltaDiscoveryRequest request;
  request.set_type_url(std::string(type_url));
  for (const std::string& name : subscribe) request.add_resource_names_subscribe(name);
  request.set_response_nonce(std::move(nonce));
  if (!error.empty()) request.mutable_error_detail()->set_message(error);
  return request;
}

RequestOutcome Feed(DeltaStreamState& state, const DeltaDiscoveryRequest& request) {
  absl::StatusOr<RequestOutcome> outcome = state.OnRequest(request);
  EXPECT_TRUE(outcome.ok()) << outcome.status();
  return outcome.ok() ? *outcome : RequestOutcome{};
}

// A delta stream of clusters (wildcard) that ACKed Good() and then rejected `bad`.
void StartAndReject(DeltaStreamState& state, SnapshotPtr bad) {
  state.OnSnapshot(Good());
  Feed(state, DeltaRequest(kClusterType, {"*"}));
  std::optional<DeltaResponse> first = state.NextResponse();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(Feed(state, DeltaRequest(kClusterType, {}, first->nonce)).kind, Kind::kAck);
  state.OnSnapshot(std::move(bad));
  std::optional<DeltaResponse> rejected = state.NextResponse();
  ASSERT_TRUE(rejected.has_value());
  EXPECT_EQ(Feed(state, DeltaRequest(kClusterType, {}, rejected->nonce, "rejected")).kind,
            Kind::kNack);
  EXPECT_FALSE(state.NextResponse().has_value());
}

TEST(DeltaNackResyncTest, WithdrawnChangeIsSentAtTheHeldVersionOnceAndAcked) {
  DeltaStreamState state("");
  StartAndReject(state, Bad());
  state.OnSnapshot(Bad());  // unchanged: nothing (no NACK loop)
  EXPECT_FALSE(state.NextResponse().has_value());

  SnapshotPtr withdrawn = Good();
  state.OnSnapshot(withdrawn);
  std::optional<DeltaResponse> resync = state.NextResponse();
  ASSERT_TRUE(resync.has_value());
  EXPECT_EQ(resync->system_version, withdrawn->Version(kClusterType));
  ASSERT_THAT(Names(*resync), ElementsAre("c1"));
  EXPECT_EQ(resync->resources[0]->version(), withdrawn->Find(kClusterType, "c1")->version());
  EXPECT_THAT(resync->removed, IsEmpty());
  EXPECT_FALSE(state.NextResponse().has_value());
  RequestOutcome ack = Feed(state, DeltaRequest(kClusterType, {}, resync->nonce));
  EXPECT_EQ(ack.kind, Kind::kAck);
  EXPECT_EQ(ack.version, withdrawn->Version(kClusterType));
  EXPECT_FALSE(state.NextResponse().has_value());
  state.OnSnapshot(Good());
  EXPECT_FALSE(state.NextResponse().has_value());

  // Synced again: the next change is sent as usual.
  state.OnSnapshot(MakeSnapshot({{kClusterType, "c1", "new"}, {kClusterType, "c2"}}));
  std::optional<DeltaResponse> next = state.NextResponse();
  ASSERT_TRUE(next.has_value());
  EXPECT_THAT(Names(*next), ElementsAre("c1"));
}

TEST(DeltaNackResyncTest, AWithdrawnAdditionGetsAnEmptyResponseToAck) {
  DeltaStreamState state("");
  StartAndReject(
      state,
      MakeSnapshot({{kClusterType, "c1"}, {kClusterType, "c2"}, {kClusterType, "c3", "bad"}}));
  state.OnSnapshot(Good());
  std::optional<DeltaResponse> resync = state.NextResponse();
  ASSERT_TRUE(resync.has_value());
  EXPECT_THAT(Names(*resync), IsEmpty());
  EXPECT_THAT(resync->removed, IsEmpty());  // the client never held c3
  EXPECT_EQ(Feed(state, DeltaRequest(kClusterType, {}, resync->nonce)).kind, Kind::kAck);
  EXPECT_FALSE(state.NextResponse().has_value());
}

TEST(DeltaNackResyncTest, AnotherBadVersionIsSentAndTheRejectedOneIsHeldBack) {
  DeltaStreamState state("");
  StartAndReject(state, Bad());
  // c2 changes, the rejected c1 stays: c2 alone is sent, as before this rule.
  state.OnSnapshot(MakeSnapshot({{kClusterType, "c1", "bad"}, {kClusterType, "c2", "worse"}}));
  std::optional<DeltaResponse> next = state.NextResponse();
  ASSERT_TRUE(next.has_value());
  EXPECT_THAT(Names(*next), ElementsAre("c2"));
  EXPECT_EQ(Feed(state, DeltaRequest(kClusterType, {}, next->nonce, "rejected")).kind, Kind::kNack);
  // c2 back to what the client holds, c1 still rejected: not withdrawn, nothing sent.
  state.OnSnapshot(MakeSnapshot({{kClusterType, "c1", "bad"}, {kClusterType, "c2"}}));
  EXPECT_FALSE(state.NextResponse().has_value());
  state.OnSnapshot(Good());
  std::optional<DeltaResponse> resync = state.NextResponse();
  ASSERT_TRUE(resync.has_value());
  EXPECT_EQ(Feed(state, DeltaRequest(kClusterType, {}, resync->nonce)).kind, Kind::kAck);
}

}  // namespace
}  // namespace xdsd::server
