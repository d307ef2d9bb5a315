// What the admin HTTP server lets an unauthenticated caller do and see: changes need the token,
// secrets are never shown.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "admin/admin_server.h"
#include "api/redaction.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "rest/fleet_api.h"
#include "rest/rest_gateway.h"
#include "xdsd/secret_text.h"
#include "xdsd/snapshot.h"

namespace xdsd::admin {
namespace {

constexpr char kToken[] = "0123456789abcdef-test-token";
constexpr char kKeyPem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIKnownTestKeyMaterialThatMustNeverLeak0000\n"
    "-----END PRIVATE KEY-----\n";

constexpr char kCluster[] = R"({"name": "backend", "connect_timeout": "1s", "type": "STATIC"})";

class AdminSecurityTest : public ::testing::Test {
 protected:
  void Start(std::string token) { Start(AdminAuth(std::move(token))); }
  void Start(std::vector<AdminToken> tokens) { Start(AdminAuth(std::move(tokens))); }
  void Start(AdminAuth auth) {
    ASSERT_TRUE(publisher_.Load().ok());
    publisher_.PublishTo(&cache_);
    admin_ = std::make_unique<AdminServer>(&cache_, HttpServerOptions{}, std::move(auth));
    admin_->SetFleetApi(&fleet_);
    admin_->SetRestGateway(&gateway_);
    admin_->SetChangeLog([this](const std::string& who, const std::string& what) {
      changes_.push_back(who + ": " + what);
    });
    absl::StatusOr<int> port = admin_->Start("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.status();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", *port);
  }

  SnapshotCache cache_;
  config::ConfigPublisher publisher_{""};  // the built-in demo
  rest::FleetApi fleet_{&publisher_};
  rest::RestGateway gateway_{&cache_, nullptr};
  std::unique_ptr<AdminServer> admin_;
  std::unique_ptr<httplib::Client> client_;
  std::vector<std::string> changes_;
};

TEST_F(AdminSecurityTest, FleetChangesAreForbiddenWithoutATokenFile) {
  Start("");
  httplib::Result put = client_->Put("/v1/fleet/clusters/backend", kCluster, "application/json");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 403);
  EXPECT_NE(put->body.find("--admin-token-file"), std::string::npos) << put->body;
  EXPECT_TRUE(changes_.empty());
}

TEST_F(AdminSecurityTest, FleetChangesNeedTheRightBearerToken) {
  Start(kToken);
  httplib::Result missing =
      client_->Put("/v1/fleet/clusters/backend", kCluster, "application/json");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  httplib::Result wrong = client_->Put("/v1/fleet/clusters/backend",
                                       {{"Authorization", "Bearer 0123456789abcdef-wrong-token"}},
                                       kCluster, "application/json");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  httplib::Result deleted = client_->Delete("/v1/fleet/clusters/backend");
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, 401);
  EXPECT_TRUE(changes_.empty());

  httplib::Result right = client_->Put("/v1/fleet/clusters/backend",
                                       {{"Authorization", std::string("Bearer ") + kToken}},
                                       kCluster, "application/json");
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200) << right->body;
  ASSERT_EQ(changes_.size(), 1u);
  EXPECT_EQ(changes_[0].rfind("token", 0), 0u) << changes_[0];
  EXPECT_NE(changes_[0].find("PUT /v1/fleet/clusters/backend"), std::string::npos);

  // Reading stays open; a config dump needs the token once there is one.
  httplib::Result get = client_->Get("/v1/fleet/clusters");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  httplib::Result dump = client_->Get("/v1/config_dump?node=n");
  ASSERT_TRUE(dump);
  EXPECT_EQ(dump->status, 401);
}

// A secret and a cluster with the key inline; no answer may hold the key, as text or base64.
TEST_F(AdminSecurityTest, NoAnswerHoldsPrivateKeyMaterial) {
  Start("");
  envoy::extensions::transport_sockets::tls::v3::Secret secret;
  secret.set_name("server-cert");
  secret.mutable_tls_certificate()->mutable_private_key()->set_inline_string(kKeyPem);
  secret.mutable_tls_certificate()->mutable_certificate_chain()->set_inline_string("CERT");
  envoy::config::cluster::v3::Cluster cluster;
  cluster.set_name("backend");
  envoy::extensions::transport_sockets::tls::v3::UpstreamTlsContext tls;
  tls.mutable_common_tls_context()->add_tls_certificates()->mutable_private_key()->set_inline_bytes(
      kKeyPem);
  cluster.mutable_transport_socket()->set_name("envoy.transport_sockets.tls");
  cluster.mutable_transport_socket()->mutable_typed_config()->PackFrom(tls);
  cache_.SetSnapshot(
      "n", *Snapshot::Create({*Resource::FromMessage(secret), *Resource::FromMessage(cluster)}));
  envoy::config::core::v3::Node node;
  node.set_id("n");
  StreamInfo stream;
  stream.id = 1;
  ASSERT_TRUE(cache_.StreamObserver()->OnStreamNode(stream, node).ok());

  const std::string key_base64 = absl::Base64Escape(kKeyPem);
  auto expect_no_key = [&](const std::string& where, const std::string& bytes) {
    EXPECT_EQ(bytes.find("KnownTestKeyMaterial"), std::string::npos) << where << ":\n" << bytes;
    EXPECT_EQ(bytes.find(key_base64.substr(0, 40)), std::string::npos) << where;
  };
  httplib::Result dump = client_->Get("/v1/config_dump?node=n");
  ASSERT_TRUE(dump);
  ASSERT_EQ(dump->status, 200) << dump->body;
  expect_no_key("config dump", dump->body);
  EXPECT_NE(dump->body.find("[redacted]"), std::string::npos) << dump->body;
  EXPECT_NE(dump->body.find("CERT"), std::string::npos) << "certificates are not secret";
  for (const std::string path : {"/v1/nodes", "/v1/nodes/n", "/v1/fleet/secrets", "/"}) {
    httplib::Result answer = client_->Get(path);
    ASSERT_TRUE(answer) << path;
    expect_no_key(path, answer->body);
  }
  const std::string request = R"({"node": {"id": "n"}})";
  httplib::Result secrets = client_->Post("/v3/discovery:secrets", request, "application/json");
  ASSERT_TRUE(secrets);
  EXPECT_EQ(secrets->status, 403);
  expect_no_key("REST secrets", secrets->body);
  httplib::Result clusters = client_->Post("/v3/discovery:clusters", request, "application/json");
  ASSERT_TRUE(clusters);
  EXPECT_EQ(clusters->status, 200) << clusters->body;
  expect_no_key("REST clusters", clusters->body);
}

TEST(RedactionTest, TheSensitiveAnnotationMarksTheKnownSecrets) {
  envoy::extensions::transport_sockets::tls::v3::Secret secret;
  secret.mutable_generic_secret()->mutable_secret()->set_inline_string("hunter2");
  api::RedactSecrets(&secret);
  EXPECT_EQ(secret.generic_secret().secret().inline_string(), "[redacted]");
  envoy::extensions::transport_sockets::tls::v3::TlsCertificate certificate;
  certificate.mutable_password()->set_inline_string("hunter2");
  certificate.mutable_certificate_chain()->set_inline_string("CERT");
  api::RedactSecrets(&certificate);
  EXPECT_EQ(certificate.password().inline_string(), "[redacted]");
  EXPECT_EQ(certificate.certificate_chain().inline_string(), "CERT");
}

// Per-person tokens: each change is logged with the name of the token that made it.
TEST_F(AdminSecurityTest, EachChangeIsLoggedWithTheNameOfItsToken) {
  const std::string alice = "alice-token-0123456789abcdef";
  const std::string bob = "bob-token-0123456789abcdef";
  Start(std::vector<AdminToken>{{"alice", alice}, {"bob@example.org", bob}});
  httplib::Headers as_bob = {{"Authorization", "Bearer " + bob}};
  httplib::Result put =
      client_->Put("/v1/fleet/clusters/backend", as_bob, kCluster, "application/json");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status / 100, 2) << put->body;
  httplib::Result wrong =
      client_->Delete("/v1/fleet/clusters/backend", {{"Authorization", "Bearer " + alice + "x"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  httplib::Result deleted =
      client_->Delete("/v1/fleet/clusters/backend", {{"Authorization", "Bearer " + alice}});
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status / 100, 2) << deleted->body;
  ASSERT_EQ(changes_.size(), 2u);
  EXPECT_TRUE(absl::StartsWith(changes_[0], "bob@example.org (from 127.0.0.1:")) << changes_[0];
  EXPECT_TRUE(absl::StartsWith(changes_[1], "alice (from 127.0.0.1:")) << changes_[1];
}

// The token file: one token alone, or NAME TOKEN lines; errors name the line, never a token.
TEST(AdminTokenFileTest, OneTokenOrNamedTokensPerLine) {
  char dir_template[] = "/tmp/xdsd_token_test_XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string path = std::string(dir_template) + "/tokens";
  auto read = [&](const std::string& text) {
    std::ofstream(path) << text;
    return AdminAuth::ReadTokenFile(path);
  };
  absl::StatusOr<std::vector<AdminToken>> alone = read("  0123456789abcdef-alone\n");
  ASSERT_TRUE(alone.ok()) << alone.status();
  ASSERT_EQ(alone->size(), 1u);
  EXPECT_EQ((*alone)[0].name, "token");
  EXPECT_EQ((*alone)[0].token, "0123456789abcdef-alone");

  absl::StatusOr<std::vector<AdminToken>> named =
      read("# operators\nalice 0123456789abcdef-alice\n\nci-deploy\t0123456789abcdef-ci\n");
  ASSERT_TRUE(named.ok()) << named.status();
  ASSERT_EQ(named->size(), 2u);
  EXPECT_EQ((*named)[1].name, "ci-deploy");
  EXPECT_EQ((*named)[1].token, "0123456789abcdef-ci");

  for (const std::string& bad :
       {std::string("alice short-secret\n"),
        std::string("alice 0123456789abcdef-a\nalice "
                    "0123456789abcdef-b\n"),
        std::string("alice 0123456789abcdef-a\nbob 0123456789abcdef-a\n"),
        std::string("alice 0123456789abcdef-a extra\n"), std::string("al/ce 0123456789abcdef-a\n"),
        std::string("# nothing\n")}) {
    absl::StatusOr<std::vector<AdminToken>> refused = read(bad);
    EXPECT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.status().message().find("0123456789abcdef"), absl::string_view::npos)
        << refused.status();
  }
  std::filesystem::remove_all(dir_template);
}

// Free text (a NACK's error_detail, a load error) that quotes a secret.
TEST(RedactionTest, PrivateKeyBlocksAreRedactedFromText) {
  EXPECT_EQ(RedactPrivateKeyBlocks(absl::StrCat("before ", kKeyPem, "after")),
            "before [redacted]\nafter");
  // Cut short, as a long error text is: the rest goes.
  EXPECT_EQ(RedactPrivateKeyBlocks("x -----BEGIN EC PRIVATE KEY-----\nMHcCAQEE"), "x [redacted]");
  const std::string certificate = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
  EXPECT_EQ(RedactPrivateKeyBlocks(certificate), certificate);
}

TEST(RedactionTest, QuotedValuesAreRedactedFromTextThatNamesASecretField) {
  EXPECT_EQ(api::RedactSecretText(R"(tls_certificate.password.inline_string: bad value "hunter2")"),
            R"(tls_certificate.password.inline_string: bad value "[redacted]")");
  EXPECT_EQ(api::RedactSecretText(R"(private_key { inline_string: "MC4CAQAw" })"),
            R"(private_key { inline_string: "[redacted]" })");
  // A field name that is secret in one message and plain in hundreds says nothing.
  const std::string plain = R"(typed_config.rds.route_config_name: no route named "mian")";
  EXPECT_EQ(api::RedactSecretText(plain), plain);
}

}  // namespace
}  // namespace xdsd::admin
