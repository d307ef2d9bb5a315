// The xDS port over mutual TLS, end to end: a private CA, a server certificate and client
// certificates with SPIFFE URI SANs are made with the openssl command at test time; the real
// xdsd serves with --xds-tls-cert/--xds-tls-key/--xds-client-ca and an authorization section,
// and ADS clients with gRPC's TLS channel credentials connect to it.

#include <sys/wait.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "envoy/service/status/v3/csds.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "gtest/gtest.h"
#include "integration/subprocess.h"
#include "integration/test_ca.h"
#include "integration/xdsd_process.h"
#include "nlohmann/json.hpp"
#include "support/poll.h"

namespace xdsd::testing {
namespace {

using envoy::service::discovery::v3::AggregatedDiscoveryService;
using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;

constexpr char kClusterType[] = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
constexpr char kEdgeIdentity[] = "spiffe://example.org/ns/edge/sa/envoy";
constexpr absl::Duration kStartTimeout = absl::Seconds(20);
constexpr absl::Duration kCallTimeout = absl::Seconds(10);
// xdsd reads its certificate files every second (--xds-tls-refresh=1s); a new connection sees a
// rotated certificate well within this.
constexpr absl::Duration kRotationTimeout = absl::Seconds(20);

constexpr char kConfig[] = R"yaml(resources:
  clusters:
  - name: backend
    type: STATIC
    load_assignment:
      cluster_name: backend
      endpoints:
      - lb_endpoints:
        - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 8080}}}
authorization:
  - identity: "spiffe://example.org/ns/edge/*"
    nodes: ["edge-*"]
    clusters: [edge]
csds_identities: ["spiffe://example.org/ns/ops/*"]
)yaml";

// What one ADS call saw: its end status (OK when a response came), the response's resources
// and the common name of the server certificate of its connection.
struct AdsOutcome {
  grpc::Status status;
  int resources = 0;
  std::string server_common_name;
};

// A channel of its own (a fresh connection: no subchannel shared with earlier channels).
std::shared_ptr<grpc::Channel> Channel(int port,
                                       const std::shared_ptr<grpc::ChannelCredentials>& creds) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetSslTargetNameOverride("localhost");  // the server certificate's DNS SAN
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port), creds, args);
}

// TLS credentials trusting the test CA, presenting `client` (a name given to TestCa::Issue)
// unless it is empty.
std::shared_ptr<grpc::ChannelCredentials> TlsCreds(const TestCa& ca, const std::string& client) {
  std::vector<grpc::experimental::IdentityKeyCertPair> identity;
  if (!client.empty()) identity.push_back({ca.Read(client + ".key"), ca.Read(client + ".pem")});
  auto provider = std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
      ca.Read("ca.pem"), identity);
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(provider);
  options.watch_root_certs();
  if (!client.empty()) options.watch_identity_key_cert_pairs();
  return grpc::experimental::TlsCredentials(options);
}

// Opens an ADS stream as node `id` of `cluster`, asks for clusters and reads one response.
AdsOutcome AskClusters(const std::shared_ptr<grpc::Channel>& channel, const std::string& id,
                       const std::string& cluster) {
  auto stub = AggregatedDiscoveryService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kCallTimeout));
  auto stream = stub->StreamAggregatedResources(&context);
  DiscoveryRequest request;
  request.mutable_node()->set_id(id);
  request.mutable_node()->set_cluster(cluster);
  request.set_type_url(kClusterType);
  AdsOutcome outcome;
  DiscoveryResponse response;
  if (stream->Write(request) && stream->Read(&response)) {
    outcome.resources = response.resources_size();
    context.TryCancel();
  } else {
    outcome.status = stream->Finish();
  }
  if (std::shared_ptr<const grpc::AuthContext> auth = context.auth_context()) {
    for (const grpc::string_ref& name : auth->FindPropertyValues("x509_common_name")) {
      outcome.server_common_name.assign(name.data(), name.size());
    }
  }
  return outcome;
}

class MutualTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ca_.Create().ok()) << ca_.Create();
    ASSERT_TRUE(ca_.Issue("server", "xdsd-server-1", "DNS:localhost,IP:127.0.0.1", 1).ok());
    ASSERT_TRUE(ca_.Issue("edge", "edge", absl::StrCat("URI:", kEdgeIdentity), 2).ok());
    ASSERT_TRUE(ca_.Issue("ops", "ops", "URI:spiffe://example.org/ns/ops/sa/admin", 3).ok());
    ASSERT_TRUE(WriteFile(ca_.Path("config.yaml"), kConfig).ok());
    absl::StatusOr<std::unique_ptr<XdsdProcess>> xdsd =
        XdsdProcess::Start({"--config", ca_.Path("config.yaml"), "--xds-tls-cert",
                            ca_.Path("server.pem"), "--xds-tls-key", ca_.Path("server.key"),
                            "--xds-client-ca", ca_.Path("ca.pem"), "--xds-tls-refresh=1s"},
                           dir_.path(), kStartTimeout);
    ASSERT_TRUE(xdsd.ok()) << xdsd.status();
    xdsd_ = *std::move(xdsd);
  }

  TempDir dir_;
  TestCa ca_{dir_.path()};
  std::unique_ptr<XdsdProcess> xdsd_;
};

TEST_F(MutualTlsTest, AnAuthorizedIdentityIsServedAndShownOnItsNode) {
  const AdsOutcome outcome =
      AskClusters(Channel(xdsd_->xds_port(), TlsCreds(ca_, "edge")), "edge-1", "edge");
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message() << "\n" << xdsd_->Log();
  EXPECT_EQ(outcome.resources, 1);
  EXPECT_EQ(outcome.server_common_name, "xdsd-server-1");

  absl::StatusOr<std::string> node = xdsd_->HttpGet("/v1/nodes/edge-1");
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ(nlohmann::json::parse(*node)["identities"], nlohmann::json::array({kEdgeIdentity}))
      << *node;
}

TEST_F(MutualTlsTest, AnIdentityClaimingAnotherNodeIsDeniedAndLeavesNoNodeStatus) {
  const AdsOutcome outcome =
      AskClusters(Channel(xdsd_->xds_port(), TlsCreds(ca_, "edge")), "billing-1", "billing");
  EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << outcome.status.error_message();
  EXPECT_NE(outcome.status.error_message().find("billing-1"), std::string::npos);
  EXPECT_EQ(outcome.resources, 0);
  EXPECT_FALSE(xdsd_->HttpGet("/v1/nodes/billing-1").ok());
  absl::StatusOr<std::string> metrics = xdsd_->HttpGet("/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->find("xdsd_refused_total{reason=\"node_not_authorized\"} 1"),
            std::string::npos);
}

TEST_F(MutualTlsTest, PlaintextAndCertificatelessClientsAreRefusedInTheHandshake) {
  const AdsOutcome plaintext =
      AskClusters(Channel(xdsd_->xds_port(), grpc::InsecureChannelCredentials()), "edge-1", "edge");
  EXPECT_EQ(plaintext.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << plaintext.status.error_message();
  const AdsOutcome no_certificate =
      AskClusters(Channel(xdsd_->xds_port(), TlsCreds(ca_, "")), "edge-1", "edge");
  EXPECT_EQ(no_certificate.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << no_certificate.status.error_message();
  EXPECT_EQ(no_certificate.resources, 0);
  EXPECT_FALSE(xdsd_->HttpGet("/v1/nodes/edge-1").ok());
}

TEST_F(MutualTlsTest, ARotatedServerCertificateServesNewConnections) {
  ASSERT_EQ(AskClusters(Channel(xdsd_->xds_port(), TlsCreds(ca_, "edge")), "edge-1", "edge")
                .server_common_name,
            "xdsd-server-1");
  ASSERT_TRUE(ca_.Issue("server", "xdsd-server-2", "DNS:localhost,IP:127.0.0.1", 3).ok());
  std::string seen;
  const absl::Time rotated = absl::Now();
  EXPECT_TRUE(PollUntil(
      kRotationTimeout,
      [&] {
        const AdsOutcome outcome =
            AskClusters(Channel(xdsd_->xds_port(), TlsCreds(ca_, "edge")), "edge-1", "edge");
        seen = outcome.server_common_name;
        return outcome.status.ok() && seen == "xdsd-server-2";
      },
      kIntegrationPollInterval))
      << "last seen: " << seen;
  std::cout << "rotation seen by a new connection after " << absl::Now() - rotated << "\n";
}

// CSDS shows what every node runs: under mutual TLS only the identities csds_identities: lists
// may read it.
TEST_F(MutualTlsTest, CsdsAnswersOnlyTheIdentitiesListedForIt) {
  auto fetch = [&](const std::string& client) {
    auto stub = envoy::service::status::v3::ClientStatusDiscoveryService::NewStub(
        Channel(xdsd_->xds_port(), TlsCreds(ca_, client)));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kCallTimeout));
    envoy::service::status::v3::ClientStatusRequest request;
    envoy::service::status::v3::ClientStatusResponse response;
    return stub->FetchClientStatus(&context, request, &response);
  };
  EXPECT_TRUE(fetch("ops").ok()) << fetch("ops").error_message();
  const grpc::Status edge = fetch("edge");
  EXPECT_EQ(edge.error_code(), grpc::StatusCode::PERMISSION_DENIED) << edge.error_message();
}

}  // namespace
}  // namespace xdsd::testing
