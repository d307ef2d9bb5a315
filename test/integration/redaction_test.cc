// Secrets quoted back at xdsd never come out again: a client's NACK that echoes a private key
// and a password, and a config error that quotes a private key, against the real daemon. Every
// answer of the admin API, CSDS and the REST gateway, and the daemon's log, is searched for the
// secrets' bytes.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "envoy/service/status/v3/csds.grpc.pb.h"
#include "integration/xdsd_process.h"

namespace xdsd::testing {
namespace {

using envoy::service::discovery::v3::AggregatedDiscoveryService;
using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;

constexpr char kToken[] = "redaction-test-token-0123456789";
// What must never be seen again: the body of the key, and a password.
constexpr char kKeyBody[] = "MC4CAQAwBQYDK2VwBCIEIRedactionTestKeyMaterialNeverShown00";
constexpr char kPassword[] = "Hunter2-RedactionTestPassword";
constexpr char kClustersType[] = "type.googleapis.com/envoy.config.cluster.v3.Cluster";

std::string KeyPem() {
  return absl::StrCat("-----BEGIN PRIVATE KEY-----\n", kKeyBody, "\n-----END PRIVATE KEY-----\n");
}

// A cluster, and the secret `server-cert` whose TlsCertificate is `certificate` (YAML lines).
std::string Config(const std::string& certificate) {
  return absl::StrCat(R"(resources:
  clusters:
    - name: backend
      connect_timeout: 1s
      type: STATIC
  secrets:
    - name: server-cert
      tls_certificate:
)",
                      certificate);
}

// The key and the password, as a config holds them.
std::string GoodConfig() {
  return Config(absl::StrCat("        private_key: { inline_string: \"", kKeyBody,
                             "\" }\n        password: { inline_string: \"", kPassword, "\" }\n"));
}

// The key given as bytes that are not base64: the load error quotes the value.
std::string ConfigWithBadKey() {
  return Config(absl::StrCat("        private_key: { inline_bytes: \"",
                             absl::StrReplaceAll(KeyPem(), {{"\n", "\\n"}}), "\" }\n"));
}

class RedactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.path() + "/config.yaml";
    ASSERT_TRUE(WriteFile(config_, GoodConfig()).ok());
    ASSERT_TRUE(WriteFile(dir_.path() + "/token", kToken).ok());
    absl::StatusOr<std::unique_ptr<XdsdProcess>> started =
        XdsdProcess::Start({"--config=" + config_, "--admin-token-file=" + dir_.path() + "/token"},
                           dir_.path(), absl::Seconds(20));
    ASSERT_TRUE(started.ok()) << started.status();
    xdsd_ = *std::move(started);
  }

  httplib::Client Admin() const {
    httplib::Client client("127.0.0.1", xdsd_->http_port());
    client.set_bearer_token_auth(kToken);
    client.set_read_timeout(std::chrono::seconds(5));
    return client;
  }

  // Every answer an operator or a client can get, by what was asked.
  std::vector<std::pair<std::string, std::string>> EveryAnswer() const {
    std::vector<std::pair<std::string, std::string>> answers;
    httplib::Client admin = Admin();
    for (const char* path : {"/", "/v1/nodes", "/v1/nodes?metadata=1", "/v1/config",
                             "/v1/config_dump?node=victim", "/metrics", "/v1/fleet/secrets"}) {
      httplib::Result result = admin.Get(path);
      EXPECT_TRUE(result) << path;
      if (result) answers.emplace_back(path, result->body);
    }
    const std::string request = R"({"node": {"id": "victim"}})";
    for (const char* path : {"/v3/discovery:clusters", "/v3/discovery:secrets"}) {
      httplib::Result result = admin.Post(path, request, "application/json");
      EXPECT_TRUE(result) << path;
      if (result) answers.emplace_back(path, result->body);
    }
    auto csds =
        envoy::service::status::v3::ClientStatusDiscoveryService::NewStub(grpc::CreateChannel(
            absl::StrCat("127.0.0.1:", xdsd_->xds_port()), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    envoy::service::status::v3::ClientStatusRequest status_request;
    envoy::service::status::v3::ClientStatusResponse status_response;
    EXPECT_TRUE(csds->FetchClientStatus(&context, status_request, &status_response).ok());
    answers.emplace_back("CSDS", status_response.DebugString());
    answers.emplace_back("the log", xdsd_->Log());
    return answers;
  }

  void ExpectNoSecretIn(const std::vector<std::pair<std::string, std::string>>& answers) {
    for (const auto& [what, answer] : answers) {
      EXPECT_FALSE(absl::StrContains(answer, kKeyBody)) << what << " shows the key:\n" << answer;
      EXPECT_FALSE(absl::StrContains(answer, kPassword)) << what << " shows the password";
    }
  }

  TempDir dir_;
  std::string config_;
  std::unique_ptr<XdsdProcess> xdsd_;
};

TEST_F(RedactionTest, ANackThatQuotesTheKeyShowsItNowhere) {
  auto ads = AggregatedDiscoveryService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", xdsd_->xds_port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  auto stream = ads->StreamAggregatedResources(&context);
  DiscoveryRequest request;
  request.mutable_node()->set_id("victim");
  request.set_type_url(kClustersType);
  ASSERT_TRUE(stream->Write(request));
  DiscoveryResponse response;
  ASSERT_TRUE(stream->Read(&response));
  // As Envoy echoes a rejected resource: the key's PEM, and a password quoted in a field.
  DiscoveryRequest nack = request;
  nack.set_response_nonce(response.nonce());
  nack.mutable_error_detail()->set_message(
      absl::StrCat("rejected: tls_certificates { private_key { inline_string: \"", KeyPem(),
                   "\" } password { inline_string: \"", kPassword, "\" } }"));
  ASSERT_TRUE(stream->Write(nack));
  ASSERT_TRUE(PollUntil(
      absl::Seconds(10),
      [&] {
        absl::StatusOr<std::string> nodes = xdsd_->HttpGet("/v1/nodes");
        return nodes.ok() && absl::StrContains(*nodes, "[redacted]");
      },
      kIntegrationPollInterval))
      << "the NACK never reached /v1/nodes: " << xdsd_->HttpGet("/v1/nodes").value_or("");
  ExpectNoSecretIn(EveryAnswer());
  context.TryCancel();
  stream->Finish();
}

TEST_F(RedactionTest, AConfigErrorThatQuotesTheKeyShowsItNowhere) {
  ASSERT_TRUE(ReplaceFile(config_, ConfigWithBadKey()).ok());
  ASSERT_TRUE(PollUntil(
      absl::Seconds(10),
      [&] {
        absl::StatusOr<std::string> config = xdsd_->HttpGet("/v1/config");
        return config.ok() && absl::StrContains(*config, "private_key");
      },
      kIntegrationPollInterval))
      << "the load error never reached /v1/config: " << xdsd_->HttpGet("/v1/config").value_or("");
  ExpectNoSecretIn(EveryAnswer());
}

}  // namespace
}  // namespace xdsd::testing
