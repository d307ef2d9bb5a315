#include "integration/grpc_xds_client_support.h"

#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <utility>

#include "absl/strings/str_replace.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "integration/subprocess.h"
#include "integration/xdsd_process.h"

namespace xdsd::testing {

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return "";
  std::string text;
  for (const grpc::Slice& slice : slices) {
    text.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return text;
}

grpc::ByteBuffer ToByteBuffer(const std::string& text) {
  grpc::Slice slice(text);
  return grpc::ByteBuffer(&slice, 1);
}

absl::StatusOr<std::string> CallWho(grpc::GenericStub& stub, absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  const grpc::ByteBuffer request = ToByteBuffer("who?");
  grpc::ByteBuffer response;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&context, kWhoMethod, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status result) {
                   status = std::move(result);
                   done.Notify();
                 });
  // The deadline ends the call; the extra margin only guards against a lost callback.
  if (!done.WaitForNotificationWithTimeout(timeout + absl::Seconds(5))) {
    context.TryCancel();
    done.WaitForNotification();
    return absl::DeadlineExceededError("the call did not complete");
  }
  if (!status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("grpc error ", status.error_code(), ": ", status.error_message()));
  }
  return ToString(response);
}

std::string EchoConfigYaml(const std::vector<EchoCluster>& clusters,
                           const std::string& route_action) {
  constexpr char kHead[] = R"yaml(
resources:
  listeners:
  - name: echo.test
    api_listener:
      api_listener:
        "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
        stat_prefix: echo
        rds:
          route_config_name: echo-route
          config_source: {ads: {}, resource_api_version: V3}
        http_filters:
        - name: envoy.filters.http.router
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  routes:
  - name: echo-route
    virtual_hosts:
    - name: echo
      domains: ["*"]
      routes:
      - match: {prefix: ""}
        route: ROUTE_ACTION
  clusters:
)yaml";
  constexpr char kCluster[] = R"yaml(  - name: NAME
    type: EDS
    eds_cluster_config:
      eds_config: {ads: {}, resource_api_version: V3}
    lb_policy: ROUND_ROBIN
)yaml";
  constexpr char kEndpoints[] = R"yaml(  - cluster_name: NAME
    endpoints:
    - locality: {region: test}
      load_balancing_weight: 1
      lb_endpoints:
      - endpoint:
          address:
            socket_address: {address: 127.0.0.1, port_value: PORT}
)yaml";
  std::string text = absl::StrReplaceAll(kHead, {{"ROUTE_ACTION", route_action}});
  for (const EchoCluster& cluster : clusters) {
    absl::StrAppend(&text, absl::StrReplaceAll(kCluster, {{"NAME", cluster.name}}));
  }
  absl::StrAppend(&text, "  endpoints:\n");
  for (const EchoCluster& cluster : clusters) {
    absl::StrAppend(&text, absl::StrReplaceAll(kEndpoints, {{"NAME", cluster.name},
                                                            {"PORT", absl::StrCat(cluster.port)}}));
  }
  return text;
}

std::string EchoConfigYaml(int backend_port) {
  return EchoConfigYaml({{"echo-cluster", backend_port}}, "{cluster: echo-cluster}");
}

std::string UseBootstrapFileIn(const std::string& dir) {
  const std::string path = dir + "/bootstrap.json";
  setenv("GRPC_XDS_BOOTSTRAP", path.c_str(), /*overwrite=*/1);
  return path;
}

int64_t MillisecondsSince(absl::Time start) {
  return absl::ToInt64Milliseconds(absl::Now() - start);
}

std::string BootstrapJson(const std::string& server_uri, const std::string& node_id) {
  return nlohmann::json{
      {"xds_servers",
       {{{"server_uri", server_uri},
         {"channel_creds", {{{"type", "insecure"}}}},
         {"server_features", {"xds_v3"}}}}},
      {"node", {{"id", node_id}, {"cluster", "test"}, {"locality", nlohmann::json::object()}}},
  }
      .dump(2);
}

bool FirstXdsClientUserOfThisProcess() {
  static bool used = false;
  return !std::exchange(used, true);
}
void RunThisCaseInAChildProcess() {
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  TempDir scratch;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  absl::StatusOr<CommandResult> child = RunCommand(
      {self, absl::StrCat("--gtest_filter=", test->test_suite_name(), ".", test->name())},
      scratch.path(), absl::Seconds(240));
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_TRUE(WIFEXITED(child->wait_status) && WEXITSTATUS(child->wait_status) == 0)
      << "the case failed in its own process:\n"
      << child->stdout_text << child->stderr_text;
}

const std::vector<std::string>& GrpcClientTypes() {
  static const std::vector<std::string> kTypes = {
      "type.googleapis.com/envoy.config.listener.v3.Listener",
      "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
      "type.googleapis.com/envoy.config.cluster.v3.Cluster",
      "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
  };
  return kTypes;
}

std::map<std::string, nlohmann::json> NodeTypes(const std::string& nodes_json,
                                                const std::string& node_id) {
  std::map<std::string, nlohmann::json> types;
  const nlohmann::json nodes =
      nlohmann::json::parse(nodes_json, nullptr, /*allow_exceptions=*/false);
  if (!nodes.is_array()) return types;
  for (const nlohmann::json& node : nodes) {
    if (node.value("id", "") != node_id || !node.contains("types")) continue;
    for (const nlohmann::json& type : node["types"]) types[type.value("type_url", "")] = type;
  }
  return types;
}

bool AllTypesSynced(const std::map<std::string, nlohmann::json>& types) {
  for (const std::string& type_url : GrpcClientTypes()) {
    auto it = types.find(type_url);
    if (it == types.end() || it->second.value("state", "") != "SYNCED") return false;
  }
  return true;
}

std::string Describe(const ContinuousCaller::Tally& tally) {
  std::string text = absl::StrCat(tally.calls, " calls, ", tally.failures, " failed; answers:");
  for (const auto& [name, count] : tally.answers) absl::StrAppend(&text, " ", name, "=", count);
  for (const std::string& error : tally.errors) absl::StrAppend(&text, "\n  ", error);
  return text;
}

}  // namespace xdsd::testing
