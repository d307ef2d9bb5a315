// The README's deploy walk-through ("Deploying a change"), step by step as a deploy script runs
// it, against a real `xdsd serve` and an ADS client that ACKs what it is sent: validate prints
// the version, a save is waited for with `xdsd status --wait --version`, `xdsd reload` loads
// at once, a typo and an empty save are refused with exit 1 while the fleet keeps its config.

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "integration/subprocess.h"
#include "integration/xdsd_process.h"
#include "support/poll.h"

namespace xdsd::cli {
namespace {

using ::envoy::service::discovery::v3::AggregatedDiscoveryService;
using ::envoy::service::discovery::v3::DiscoveryRequest;
using ::envoy::service::discovery::v3::DiscoveryResponse;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using xdsd::testing::PollUntil;
using xdsd::testing::ReplaceFile;
using xdsd::testing::TempDir;
using xdsd::testing::WriteFile;
using xdsd::testing::XdsdBinary;
using xdsd::testing::XdsdProcess;

constexpr char kClusterType[] = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
constexpr char kListenerType[] = "type.googleapis.com/envoy.config.listener.v3.Listener";
constexpr absl::Duration kTimeout = absl::Seconds(30);

// my.yaml of the walk-through: a listener whose route sends to `cluster`, at `port`.
std::string MyYaml(const std::string& cluster, int backend_port) {
  return absl::StrCat(R"(resources:
  listeners:
    - name: my_listener
      address: { socket_address: { address: 0.0.0.0, port_value: 10000 } }
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: my_http
                rds: { route_config_name: my_route, config_source: { ads: {}, resource_api_version: V3 } }
                http_filters:
                  - name: envoy.filters.http.router
                    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  routes:
    - name: my_route
      virtual_hosts:
        - name: all
          domains: ["*"]
          routes:
            - match: { prefix: "/" }
              route: { cluster: )",
                      cluster, R"( }
  clusters:
    - name: my_backend
      type: STATIC
      connect_timeout: 1s
      load_assignment:
        cluster_name: my_backend
        endpoints:
          - lb_endpoints:
              - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: )",
                      backend_port, R"( } } }
)");
}

using CommandRun = xdsd::testing::XdsdRun;

CommandRun Xdsd(const std::string& scratch, const std::vector<std::string>& args) {
  return xdsd::testing::RunXdsd(scratch, args);
}

// The version `xdsd validate` prints on its "version V" line; "" when none.
std::string VersionOf(const CommandRun& validate) {
  const size_t at = validate.out.find("\nversion ");
  if (at == std::string::npos) return "";
  const size_t start = at + 9;
  return validate.out.substr(start, validate.out.find('\n', start) - start);
}

// Envoy's part: an ADS stream for clusters and listeners that ACKs every response, on its own
// thread. Knows the versions it ACKed last.
class AckingClient {
 public:
  explicit AckingClient(int port)
      : stub_(AggregatedDiscoveryService::NewStub(grpc::CreateChannel(
            absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()))) {
    context_.set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(5)));
    stream_ = stub_->StreamAggregatedResources(&context_);
    Send(kClusterType, "", "");
    Send(kListenerType, "", "");
    reader_ = std::thread([this] {
      DiscoveryResponse response;
      while (stream_->Read(&response)) {
        Send(response.type_url(), response.version_info(), response.nonce());
        absl::MutexLock lock(&mu_);
        acked_[response.type_url()] = response.version_info();
      }
    });
  }
  ~AckingClient() {
    context_.TryCancel();
    reader_.join();
    stream_->Finish().ok();
  }
  std::string Acked(const std::string& type_url) {
    absl::MutexLock lock(&mu_);
    return acked_[type_url];
  }

 private:
  void Send(const std::string& type_url, const std::string& version, const std::string& nonce) {
    DiscoveryRequest request;
    request.mutable_node()->set_id("envoy-0");
    request.mutable_node()->set_cluster("xdsd");
    request.set_type_url(type_url);
    request.set_version_info(version);
    request.set_response_nonce(nonce);
    absl::MutexLock lock(&write_mu_);
    stream_->Write(request);
  }

  std::unique_ptr<AggregatedDiscoveryService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<DiscoveryRequest, DiscoveryResponse>> stream_;
  absl::Mutex write_mu_;
  absl::Mutex mu_;
  std::map<std::string, std::string> acked_ ABSL_GUARDED_BY(mu_);
  std::thread reader_;
};

TEST(DeployWalkthroughTest, ValidateServeEditWaitTypoAndEmptySave) {
  TempDir dir;
  const std::string my_yaml = dir.path() + "/my.yaml";
  const std::string token = dir.path() + "/token";
  ASSERT_TRUE(WriteFile(my_yaml, MyYaml("my_backend", 8080)).ok());
  // One `NAME TOKEN` line: the daemon logs the name, `xdsd reload` sends the token.
  ASSERT_TRUE(WriteFile(token, "deployer walkthrough-token-0123456789\n").ok());

  // validate prints the version the config will be served as.
  CommandRun validate = Xdsd(dir.path(), {"validate", my_yaml});
  ASSERT_EQ(validate.exit_code, 0) << validate.err;
  EXPECT_THAT(validate.out, HasSubstr("my.yaml: valid (3 resources"));
  const std::string first = VersionOf(validate);
  ASSERT_THAT(first, MatchesRegex("[0-9a-f]{16}")) << validate.out;

  // serve (the config as a positional argument), and a client that ACKs.
  absl::StatusOr<std::unique_ptr<XdsdProcess>> xdsd = XdsdProcess::Start(
      {my_yaml, absl::StrCat("--admin-token-file=", token)}, dir.path(), kTimeout);
  ASSERT_TRUE(xdsd.ok()) << xdsd.status();
  const std::string http = absl::StrCat("--http=http://127.0.0.1:", (*xdsd)->http_port());
  AckingClient envoy((*xdsd)->xds_port());
  CommandRun status = Xdsd(dir.path(), {"status", http, "--wait=30s", "--version", first});
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_THAT(status.out, HasSubstr(absl::StrCat("version ", first)));

  // Edit and save; wait for exactly the new version, started right after the save (before
  // xdsd has noticed it): it must not answer for the old one.
  const std::string edited = MyYaml("my_backend", 8081);
  ASSERT_TRUE(WriteFile(dir.path() + "/next.yaml", edited).ok());
  validate = Xdsd(dir.path(), {"validate", dir.path() + "/next.yaml"});
  const std::string second = VersionOf(validate);
  ASSERT_FALSE(second.empty()) << validate.out << validate.err;
  ASSERT_NE(second, first);
  ASSERT_TRUE(ReplaceFile(my_yaml, edited).ok());
  const std::string clusters_before = envoy.Acked(kClusterType);
  status = Xdsd(dir.path(), {"status", http, "--wait=30s", "--version", second});
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_THAT(status.out, HasSubstr(absl::StrCat("version ", second)));
  EXPECT_NE(envoy.Acked(kClusterType), clusters_before);  // the node has the new cluster

  // xdsd reload: loads now and says the version; without the token it is refused.
  CommandRun reload = Xdsd(dir.path(), {"reload", http, "--admin-token-file", token});
  EXPECT_EQ(reload.exit_code, 0) << reload.err;
  EXPECT_EQ(reload.out, absl::StrCat(my_yaml, ": version ", second, "\n"));
  EXPECT_THAT((*xdsd)->Log(), HasSubstr("admin change by deployer"));
  reload = Xdsd(dir.path(), {"reload", http});
  EXPECT_EQ(reload.exit_code, 1) << reload.out;

  // A typo: validate says where; the daemon refuses it and keeps serving `second`.
  const std::string typo = MyYaml("my_backnd", 8081);
  ASSERT_TRUE(WriteFile(dir.path() + "/typo.yaml", typo).ok());
  validate = Xdsd(dir.path(), {"validate", dir.path() + "/typo.yaml"});
  EXPECT_EQ(validate.exit_code, 1);
  EXPECT_THAT(validate.err, HasSubstr("typo.yaml:22: routes[0].virtual_hosts[0].routes[0].route."
                                      "cluster: no cluster named \"my_backnd\""));
  ASSERT_TRUE(ReplaceFile(my_yaml, typo).ok());
  reload = Xdsd(dir.path(), {"reload", http, "--admin-token-file", token});
  EXPECT_EQ(reload.exit_code, 1);
  EXPECT_THAT(reload.err, HasSubstr(absl::StrCat("still serving version ", second)));
  EXPECT_THAT(reload.err, HasSubstr("no cluster named \"my_backnd\""));
  // A wait for a version other than the one served fails at once, saying why.
  status = Xdsd(dir.path(), {"status", http, "--wait=30s", "--version", first});
  EXPECT_EQ(status.exit_code, 1);
  EXPECT_THAT(status.err, HasSubstr("xdsd refused the configuration"));

  // An empty save: validate against the running xdsd reports the refusal; the daemon refuses
  // it, and a wait for its version fails at once.
  ASSERT_TRUE(WriteFile(dir.path() + "/empty.yaml", "").ok());
  validate = Xdsd(dir.path(), {"validate", dir.path() + "/empty.yaml", "--against",
                               absl::StrCat("127.0.0.1:", (*xdsd)->http_port())});
  EXPECT_EQ(validate.exit_code, 1);
  EXPECT_THAT(validate.err, HasSubstr("mass removal refused"));
  const std::string empty_version =
      VersionOf(Xdsd(dir.path(), {"validate", dir.path() + "/empty.yaml"}));
  ASSERT_FALSE(empty_version.empty());
  ASSERT_TRUE(ReplaceFile(my_yaml, "").ok());
  const absl::Time start = absl::Now();
  status = Xdsd(dir.path(), {"status", http, "--wait=30s", "--version", empty_version});
  EXPECT_EQ(status.exit_code, 1);
  EXPECT_THAT(status.err, HasSubstr("mass removal refused"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_THAT(status.out, HasSubstr(absl::StrCat("version ", second)));  // still served
  absl::StatusOr<std::string> metrics = (*xdsd)->HttpGet("/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(*metrics, HasSubstr("xdsd_refused_total{reason=\"mass_removal\"}"));
}

}  // namespace
}  // namespace xdsd::cli
