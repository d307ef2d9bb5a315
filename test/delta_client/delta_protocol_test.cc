// The delta lines of PROTOCOL.md (20–26) and the ADS order (18), observed from a delta xDS
// client that behaves as Envoy's, against the real xdsd daemon serving a config file that the
// tests rewrite while the client is connected.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "delta_client/delta_test_support.h"

namespace xdsd::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class DeltaProtocolTest : public XdsdFixture {
 protected:
  // PROTOCOL 20 and 4, checked after every test: every response has a nonce, unique in its
  // stream.
  static void ExpectNoncesUnique(const DeltaClientState& state) {
    std::map<int, std::set<std::string>> seen;
    for (const ReceivedResponse& response : state.responses) {
      EXPECT_FALSE(response.nonce.empty()) << "response " << response.index << " has no nonce";
      EXPECT_TRUE(seen[response.stream].insert(response.nonce).second)
          << "nonce " << response.nonce << " twice on stream " << response.stream;
    }
  }
};

ConfigText ThreeClusters(int port_a = 8001, int port_b = 8002, int port_c = 8003) {
  ConfigText config;
  config.clusters = {StaticCluster("a", port_a), StaticCluster("b", port_b),
                     StaticCluster("c", port_c)};
  return config;
}

// A listener → route → EDS cluster chain, plus static clusters.
ConfigText Chain(const std::string& route_cluster, int endpoint_port, const std::string& prefix,
                 const std::string& stat_prefix, const std::string& timeout,
                 std::vector<std::string> static_clusters) {
  ConfigText config;
  config.clusters = {EdsCluster("svc", timeout)};
  for (const std::string& name : static_clusters) {
    config.clusters.push_back(StaticCluster(name, 9000));
  }
  config.endpoints = {Endpoints("svc", endpoint_port)};
  config.listeners = {Listener("l0", 10000, "r0", stat_prefix)};
  config.routes = {Route("r0", route_cluster, prefix)};
  return config;
}

// 20: every response has a nonce (unique in its stream); system_version_info is only
// informational: the client never sends it back.
TEST_F(DeltaProtocolTest, Line20_EveryResponseHasANonce) {
  StartXdsd(Chain("svc", 8100, "/", "ingress", "1s", {"a"}).Yaml());
  auto client = NewClient("line20");
  ASSERT_TRUE(client->Subscribe(kClusterType, {"*"}).ok());
  ASSERT_TRUE(client->Subscribe(kEndpointType, {"svc"}).ok());
  ASSERT_TRUE(client->Subscribe(kListenerType, {"*"}).ok());
  ASSERT_TRUE(client->Subscribe(kRouteType, {"r0", "no-such-route"}).ok());
  ASSERT_TRUE(WaitHolds(*client, kClusterType, {"a", "svc"}));
  ASSERT_TRUE(WaitHolds(*client, kEndpointType, {"svc"}));
  ASSERT_TRUE(WaitHolds(*client, kListenerType, {"l0"}));
  ASSERT_TRUE(WaitHolds(*client, kRouteType, {"r0"}));

  const size_t before = client->ResponseCount();
  EditConfig(Chain("svc", 8101, "/v2", "edge", "2s", {"a"}).Yaml());
  ASSERT_TRUE(client->WaitUntil(
      [&](const DeltaClientState& state) {
        return state.ResponsesOf(kRouteType, before).size() >= 1;
      },
      kResponseTimeout));

  const DeltaClientState state = client->State();
  ExpectNoncesUnique(state);
  EXPECT_GE(state.responses.size(), 8u) << Describe(state);
  for (const SentRequest& sent : state.requests) {
    // The client ACKs with the nonce alone; nothing echoes system_version_info.
    EXPECT_FALSE(sent.request.has_error_detail());
  }
  std::cout << "line 20: " << state.responses.size() << " responses:\n" << Describe(state);
}

// 21: the server tracks what the client holds per resource: after an ACK, a change of one
// resource sends that one alone; a NACKed version is neither counted as held nor sent again.
TEST_F(DeltaProtocolTest, Line21_TracksPerResourceVersionsAckedAndNacked) {
  StartXdsd(ThreeClusters().Yaml());
  auto client = NewClient("line21");
  ASSERT_TRUE(client->Subscribe(kClusterType, {"*"}).ok());
  ASSERT_TRUE(WaitHolds(*client, kClusterType, {"a", "b", "c"}));
  const std::map<std::string, HeldResource> first = client->Held(kClusterType);

  // One change: only it goes out.
  size_t from = client->ResponseCount();
  EditConfig(ThreeClusters(8001, 8012).Yaml());
  std::optional<ReceivedResponse> response =
      client->WaitForResponse(kClusterType, from, kResponseTimeout);
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(response->names, ElementsAre("b"));
  EXPECT_THAT(response->removed, IsEmpty());

  // The client rejects the next version of b: it keeps the one it has.
  client->SetNackPolicy(kClusterType, [](const auto& r) -> std::optional<std::string> {
    for (const auto& resource : r.resources()) {
      if (resource.name() == "b") return "b: rejected by the test";
    }
    return std::nullopt;
  });
  const std::string b_acked = client->Held(kClusterType).at("b").version;
  from = client->ResponseCount();
  EditConfig(ThreeClusters(8001, 8022).Yaml());
  response = client->WaitForResponse(kClusterType, from, kResponseTimeout);
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(response->names, ElementsAre("b"));
  EXPECT_TRUE(response->nacked);
  EXPECT_EQ(client->Held(kClusterType).at("b").version, b_acked);

  // Then a changes (b stays at its rejected version): a alone goes out, b is not resent.
  client->SetNackPolicy(kClusterType, nullptr);
  from = client->ResponseCount();
  EditConfig(ThreeClusters(8031, 8022).Yaml());
  response = client->WaitForResponse(kClusterType, from, kResponseTimeout);
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(response->names, ElementsAre("a")) << Describe(client->State());
  EXPECT_THAT(response->removed, IsEmpty());
  // And a version of b the client never rejected goes out again.
  from = client->ResponseCount();
  EditConfig(ThreeClusters(8031, 8042).Yaml());
  response = client->WaitForResponse(kClusterType, from, kResponseTimeout);
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(response->names, ElementsAre("b"));
  EXPECT_EQ(client->Held(kClusterType).at("c").version, first.at("c").version);
  ExpectNoncesUnique(client->State());
}

// 21 + 23: a reconnect with initial_resource_versions gets only what differs, and the names
// that vanished in removed_resources.
TEST_F(DeltaProtocolTest, Line21_23_ReconnectSendsOnlyTheDifference) {
  StartXdsd(ThreeClusters().Yaml());
  auto client = NewClient("line23");
  ASSERT_TRUE(client->Subscribe(kClusterType, {"*"}).ok());
  ASSERT_TRUE(client->Subscribe(kEndpointType, {"e1", "e2"}).ok());
  ASSERT_TRUE(WaitHolds(*client, kClusterType, {"a", "b", "c"}));
  const std::map<std::string, HeldResource> before = client->Held(kClusterType);

  // While the client is away: a stays, b changes, c goes, d comes.
  client->Disconnect();
  ConfigText changed;
  changed.clusters = {StaticCluster("a", 8001), StaticCluster("b", 8012), StaticCluster("d", 8004)};
  EditConfig(changed.Yaml());

  const size_t from = client->ResponseCount();
  ASSERT_TRUE(client->Reconnect(kStartTimeout).ok());
  // The reconnect's first request carries the versions held.
  const DeltaClientState sent = client->State();
  const SentRequest* first_cds = nullptr;
  for (const SentRequest& request : sent.requests) {
    if (request.stream == 2 && request.request.type_url() == kClusterType) {
      first_cds = &request;
      break;
    }
  }
  ASSERT_NE(first_cds, nullptr);
  EXPECT_EQ(first_cds->request.initial_resource_versions().size(), 3u);
  EXPECT_TRUE(first_cds->request.has_node());

  std::optional<ReceivedResponse> response =
      client->WaitForResponse(kClusterType, from, kResponseTimeout);
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(Sorted(response->names), ElementsAre("b", "d"));
  EXPECT_THAT(response->removed, ElementsAre("c"));
  ASSERT_TRUE(WaitHolds(*client, kClusterType, {"a", "b", "d"}));
  EXPECT_EQ(client->Held(kClusterType).at("a").version, before.at("a").version);

  // A first request that declares a version the server never sent for b, and a name it
  // never had: b is sent, the unknown name removed, a (declared right) is not sent.
  auto raw = NewClient("line23-raw");
  envoy::service::discovery::v3::DeltaDiscoveryRequest request;
  request.set_type_url(kClusterType);
  request.add_resource_names_subscribe("*");
  (*request.mutable_initial_resource_versions())["a"] = before.at("a").version;
  (*request.mutable_initial_resource_versions())["b"] = "a-version-never-sent";
  (*request.mutable_initial_resource_versions())["zz"] = "1";
  ASSERT_TRUE(raw->SendRaw(request).ok());
  response = raw->WaitForResponse(kClusterType, 0, kResponseTimeout);
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(Sorted(response->names), ElementsAre("b", "d"));
  EXPECT_THAT(response->removed, ElementsAre("zz"));
  ExpectNoncesUnique(client->State());
}

// 22: a subscription change counts even when the request carries a stale nonce.
TEST_F(DeltaProtocolTest, Line22_SubscriptionChangeWithStaleNonceCounts) {
  StartXdsd(ThreeClusters().Yaml());
  auto client = NewClient("line22");
  ASSERT_TRUE(client->Subscribe(kClusterType, {"a"}).ok());
  std::optional<ReceivedResponse> first =
      client->WaitForResponse(kClusterType, 0, kResponseTimeout);
  ASSERT_TRUE(first.has_value());
  ASSERT_THAT(first->names, ElementsAre("a"));

  // The answer to b is held back: nonce 1 is stale from now on.
  client->HoldAcks(kClusterType, true);
  ASSERT_TRUE(client->Subscribe(kClusterType, {"b"}).ok());
  std::optional<ReceivedResponse> second =
      client->WaitForResponse(kClusterType, first->index + 1, kResponseTimeout);
  ASSERT_TRUE(second.has_value());
  ASSERT_THAT(second->names, ElementsAre("b"));

  // Subscribe c with the stale nonce of the first response.
  envoy::service::discovery::v3::DeltaDiscoveryRequest stale;
  stale.set_type_url(kClusterType);
  stale.set_response_nonce(first->nonce);
  stale.add_resource_names_subscribe("c");
  ASSERT_TRUE(client->SendRaw(stale).ok());
  client->HoldAcks(kClusterType, false);
  ASSERT_TRUE(client->Ack(second->nonce).ok());
  std::optional<ReceivedResponse> third =
      client->WaitForResponse(kClusterType, second->index + 1, kResponseTimeout);
  ASSERT_TRUE(third.has_value()) << "the subscription to c (stale nonce) was dropped:\n"
                                 << Describe(client->State());
  EXPECT_THAT(third->names, ElementsAre("c"));

  // Unsubscribe a with a nonce the server never sent: then a change of a and b sends b only.
  envoy::service::discovery::v3::DeltaDiscoveryRequest unknown_nonce;
  unknown_nonce.set_type_url(kClusterType);
  unknown_nonce.set_response_nonce("never-sent");
  unknown_nonce.add_resource_names_unsubscribe("a");
  ASSERT_TRUE(client->SendRaw(unknown_nonce).ok());
  // The raw request does not touch the client's own view; a barrier makes sure it is read.
  Barrier(*client, "barrier-22");
  const size_t from = client->ResponseCount();
  EditConfig(ThreeClusters(8011, 8012).Yaml());
  std::optional<ReceivedResponse> fourth =
      client->WaitForResponse(kClusterType, from, kResponseTimeout);
  ASSERT_TRUE(fourth.has_value());
  EXPECT_THAT(fourth->names, ElementsAre("b")) << Describe(client->State());
  ExpectNoncesUnique(client->State());
}

// 24: a subscribed name that does not exist is reported in removed_resources, once; it is
// sent the moment it appears.
TEST_F(DeltaProtocolTest, Line24_MissingNameReportedOnce) {
  StartXdsd(ThreeClusters().Yaml());
  auto client = NewClient("line24", kClusterType);  // a per-type stream (DeltaClusters)
  ASSERT_TRUE(client->Subscribe(kClusterType, {"nope"}).ok());
  std::optional<ReceivedResponse> response =
      client->WaitForResponse(kClusterType, 0, kResponseTimeout);
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(response->names, IsEmpty());
  EXPECT_THAT(response->removed, ElementsAre("nope"));

  // Further responses do not report it again.
  ASSERT_TRUE(client->Subscribe(kClusterType, {"a"}).ok());
  response = client->WaitForResponse(kClusterType, 1, kResponseTimeout);
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(response->names, ElementsAre("a"));
  EXPECT_THAT(response->removed, IsEmpty());
  EditConfig(ThreeClusters(8011).Yaml());
  response = client->WaitForResponse(kClusterType, 2, kResponseTimeout);
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(response->names, ElementsAre("a"));
  EXPECT_THAT(response->removed, IsEmpty());

  // It appears: it is sent.
  ConfigText with_nope = ThreeClusters(8011);
  with_nope.clusters.push_back(StaticCluster("nope", 8099));
  EditConfig(with_nope.Yaml());
  response = client->WaitForResponse(kClusterType, 3, kResponseTimeout);
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(response->names, ElementsAre("nope"));

  const DeltaClientState state = client->State();
  int reported = 0;
  for (const ReceivedResponse& r : state.responses) {
    reported += std::count(r.removed.begin(), r.removed.end(), "nope");
  }
  EXPECT_EQ(reported, 1) << Describe(state);
  ExpectNoncesUnique(state);
}

// 25: subscribing again to a name resends it, whether it was unsubscribed in between or not.
TEST_F(DeltaProtocolTest, Line25_ResubscribingResends) {
  StartXdsd(ThreeClusters().Yaml());
  auto client = NewClient("line25");
  ASSERT_TRUE(client->Subscribe(kClusterType, {"a"}).ok());
  std::optional<ReceivedResponse> first =
      client->WaitForResponse(kClusterType, 0, kResponseTimeout);
  ASSERT_TRUE(first.has_value());
  ASSERT_THAT(first->names, ElementsAre("a"));
  const std::string version = client->Held(kClusterType).at("a").version;

  // Again, while subscribed.
  ASSERT_TRUE(client->Subscribe(kClusterType, {"a"}).ok());
  std::optional<ReceivedResponse> second =
      client->WaitForResponse(kClusterType, first->index + 1, kResponseTimeout);
  ASSERT_TRUE(second.has_value()) << "re-subscribing to a sent nothing";
  EXPECT_THAT(second->names, ElementsAre("a"));

  // Unsubscribed (the client drops it), then subscribed again.
  ASSERT_TRUE(client->Unsubscribe(kClusterType, {"a"}).ok());
  EXPECT_TRUE(client->Held(kClusterType).empty());
  ASSERT_TRUE(client->Subscribe(kClusterType, {"a"}).ok());
  std::optional<ReceivedResponse> third =
      client->WaitForResponse(kClusterType, second->index + 1, kResponseTimeout);
  ASSERT_TRUE(third.has_value()) << "subscribing to a after unsubscribing sent nothing";
  EXPECT_THAT(third->names, ElementsAre("a"));
  EXPECT_THAT(third->removed, IsEmpty());
  EXPECT_EQ(client->Held(kClusterType).at("a").version, version);
  EXPECT_EQ(client->State().ResponsesOf(kClusterType).size(), 3u) << Describe(client->State());
  ExpectNoncesUnique(client->State());
}

// 26: the wildcard by "*".
TEST_F(DeltaProtocolTest, Line26_WildcardByStar) {
  StartXdsd(ThreeClusters().Yaml());
  auto client = NewClient("line26-star");
  ASSERT_TRUE(client->Subscribe(kClusterType, {"*"}).ok());
  std::optional<ReceivedResponse> response =
      client->WaitForResponse(kClusterType, 0, kResponseTimeout);
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(Sorted(response->names), ElementsAre("a", "b", "c"));

  // A new cluster comes to a wildcard subscriber unasked; a deleted one is removed.
  ConfigText changed;
  changed.clusters = {StaticCluster("a", 8001), StaticCluster("b", 8002),
                      StaticCluster("new", 8005)};
  EditConfig(changed.Yaml());
  ASSERT_TRUE(WaitHolds(*client, kClusterType, {"a", "b", "new"})) << Describe(client->State());
  ExpectNoncesUnique(client->State());
}

// 26: the legacy wildcard: empty subscribe and unsubscribe lists on the first request, on a
// per-type stream and on ADS.
TEST_F(DeltaProtocolTest, Line26_LegacyWildcardByEmptyFirstRequest) {
  ConfigText config = Chain("svc", 8100, "/", "ingress", "1s", {"a", "b"});
  StartXdsd(config.Yaml());

  auto per_type = NewClient("line26-legacy-cds", kClusterType);
  ASSERT_TRUE(per_type->SubscribeLegacyWildcard(kClusterType).ok());
  ASSERT_TRUE(WaitHolds(*per_type, kClusterType, {"a", "b", "svc"})) << Describe(per_type->State());

  auto ads = NewClient("line26-legacy-ads");
  ASSERT_TRUE(ads->SubscribeLegacyWildcard(kClusterType).ok());
  ASSERT_TRUE(ads->SubscribeLegacyWildcard(kListenerType).ok());
  ASSERT_TRUE(WaitHolds(*ads, kClusterType, {"a", "b", "svc"})) << Describe(ads->State());
  ASSERT_TRUE(WaitHolds(*ads, kListenerType, {"l0"})) << Describe(ads->State());

  // Still a wildcard afterwards: a new cluster comes unasked.
  config.clusters.push_back(StaticCluster("later", 8009));
  EditConfig(config.Yaml());
  EXPECT_TRUE(WaitHolds(*per_type, kClusterType, {"a", "b", "later", "svc"}))
      << Describe(per_type->State());
  EXPECT_TRUE(WaitHolds(*ads, kClusterType, {"a", "b", "later", "svc"})) << Describe(ads->State());
  ExpectNoncesUnique(per_type->State());
  ExpectNoncesUnique(ads->State());
}

// 26: unsubscribing "*" ends the wildcard; names subscribed explicitly stay.
TEST_F(DeltaProtocolTest, Line26_UnsubscribingStarEndsTheWildcard) {
  StartXdsd(ThreeClusters().Yaml());
  auto client = NewClient("line26-end");
  ASSERT_TRUE(client->Subscribe(kClusterType, {"*", "a"}).ok());
  ASSERT_TRUE(WaitHolds(*client, kClusterType, {"a", "b", "c"}));
  ASSERT_TRUE(client->Unsubscribe(kClusterType, {"*"}).ok());
  EXPECT_EQ(client->Held(kClusterType).size(), 1u);  // the client keeps a only

  // a changes, b changes and a cluster is added: only a comes.
  ConfigText changed = ThreeClusters(8011, 8012);
  changed.clusters.push_back(StaticCluster("new", 8005));
  const size_t from = client->ResponseCount();
  EditConfig(changed.Yaml());
  std::optional<ReceivedResponse> response =
      client->WaitForResponse(kClusterType, from, kResponseTimeout);
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(response->names, ElementsAre("a")) << Describe(client->State());
  EXPECT_THAT(response->removed, IsEmpty());
  Barrier(*client, "barrier-26");
  EXPECT_EQ(client->State().ResponsesOf(kClusterType, from).size(), 1u)
      << Describe(client->State(), from);
  ExpectNoncesUnique(client->State());
}

// 18: on ADS, when every type changes at once, clusters go before endpoints, endpoints before
// listeners, listeners before routes.
TEST_F(DeltaProtocolTest, Line18_AdsOrderWhenEverythingChanges) {
  StartXdsd(Chain("svc", 8100, "/", "ingress", "1s", {}).Yaml());
  auto client = NewClient("line18-order");
  ASSERT_TRUE(client->Subscribe(kClusterType, {"*"}).ok());
  ASSERT_TRUE(client->Subscribe(kEndpointType, {"svc"}).ok());
  ASSERT_TRUE(client->Subscribe(kListenerType, {"*"}).ok());
  ASSERT_TRUE(client->Subscribe(kRouteType, {"r0"}).ok());
  ASSERT_TRUE(WaitHolds(*client, kRouteType, {"r0"}));
  ASSERT_TRUE(WaitHolds(*client, kListenerType, {"l0"}));
  ASSERT_TRUE(WaitHolds(*client, kEndpointType, {"svc"}));
  ASSERT_TRUE(WaitHolds(*client, kClusterType, {"svc"}));
  Barrier(*client, "barrier-18");  // every ACK has been read: nothing is in flight

  const size_t from = client->ResponseCount();
  EditConfig(Chain("svc", 8101, "/v2", "edge", "2s", {}).Yaml());
  ASSERT_TRUE(client->WaitUntil(
      [&](const DeltaClientState& state) { return state.ResponsesOf("", from).size() >= 4; },
      kResponseTimeout))
      << Describe(client->State(), from);
  const DeltaClientState state = client->State();
  std::vector<std::string> order;
  for (const ReceivedResponse* r : state.ResponsesOf("", from)) order.push_back(r->type_url);
  EXPECT_THAT(order, ElementsAre(kClusterType, kEndpointType, kListenerType, kRouteType))
      << Describe(state, from);
  ExpectNoncesUnique(state);
}

// 18: a cluster the route moves off is removed only after the route moved (make before
// break): the new cluster first, then the route, then the removal of the old cluster.
TEST_F(DeltaProtocolTest, Line18_ClusterRemovedAfterRoutesMoveOff) {
  StartXdsd(Chain("old", 8100, "/", "ingress", "1s", {"old"}).Yaml());
  auto client = NewClient("line18-removal");
  ASSERT_TRUE(client->Subscribe(kClusterType, {"*"}).ok());
  ASSERT_TRUE(client->Subscribe(kListenerType, {"*"}).ok());
  ASSERT_TRUE(client->Subscribe(kRouteType, {"r0"}).ok());
  ASSERT_TRUE(WaitHolds(*client, kRouteType, {"r0"}));
  ASSERT_TRUE(WaitHolds(*client, kClusterType, {"old", "svc"}));
  Barrier(*client, "barrier-18");

  const size_t from = client->ResponseCount();
  EditConfig(Chain("new", 8100, "/", "ingress", "1s", {"new"}).Yaml());
  ASSERT_TRUE(WaitHolds(*client, kClusterType, {"new", "svc"})) << Describe(client->State(), from);
  const DeltaClientState state = client->State();
  int added_new = -1, route_moved = -1, removed_old = -1;
  for (const ReceivedResponse* r : state.ResponsesOf("", from)) {
    const int at = static_cast<int>(r->index);
    if (r->type_url == kClusterType &&
        std::find(r->names.begin(), r->names.end(), "new") != r->names.end()) {
      added_new = at;
    }
    if (r->type_url == kRouteType &&
        std::find(r->names.begin(), r->names.end(), "r0") != r->names.end()) {
      route_moved = at;
    }
    if (r->type_url == kClusterType &&
        std::find(r->removed.begin(), r->removed.end(), "old") != r->removed.end()) {
      removed_old = at;
    }
  }
  ASSERT_GE(added_new, 0) << Describe(state, from);
  ASSERT_GE(route_moved, 0) << Describe(state, from);
  ASSERT_GE(removed_old, 0) << Describe(state, from);
  EXPECT_LT(added_new, route_moved) << Describe(state, from);
  EXPECT_LT(route_moved, removed_old) << Describe(state, from);
  std::cout << "line 18 removal:\n" << Describe(state, from);
  ExpectNoncesUnique(state);
}

}  // namespace
}  // namespace xdsd::testing
