#include "api/envoy_api.h"

#include <string>

#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace xdsd::api {
namespace {

using ::testing::HasSubstr;

// A Listener as Envoy's docs write it: an HTTP connection manager in an Any, itself holding
// the router filter in an Any.
constexpr std::string_view kListenerJson = R"json({
  "name": "listener_0",
  "address": {"socket_address": {"address": "0.0.0.0", "port_value": 10000}},
  "filter_chains": [{
    "filters": [{
      "name": "envoy.filters.network.http_connection_manager",
      "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": "ingress_http",
        "stream_idle_timeout": "1.5s",
        "rds": {"route_config_name": "local_route",
                "config_source": {"ads": {}, "resource_api_version": "V3"}},
        "http_filters": [{
          "name": "envoy.filters.http.router",
          "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
            "suppress_envoy_headers": true
          }
        }]
      }
    }]
  }]
})json";

TEST(EnvoyApiTest, ParsesListenerWithNestedTypedConfigs) {
  absl::StatusOr<std::string> bytes =
      EnvoyApi::Get().JsonToBinary("envoy.config.listener.v3.Listener", kListenerJson);
  ASSERT_TRUE(bytes.ok()) << bytes.status();

  envoy::config::listener::v3::Listener listener;
  ASSERT_TRUE(listener.ParseFromString(*bytes));
  EXPECT_EQ(listener.name(), "listener_0");
  EXPECT_EQ(listener.address().socket_address().port_value(), 10000u);
  ASSERT_EQ(listener.filter_chains_size(), 1);
  ASSERT_EQ(listener.filter_chains(0).filters_size(), 1);

  envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager hcm;
  ASSERT_TRUE(listener.filter_chains(0).filters(0).typed_config().UnpackTo(&hcm));
  EXPECT_EQ(hcm.stat_prefix(), "ingress_http");
  EXPECT_EQ(hcm.rds().route_config_name(), "local_route");
  EXPECT_EQ(hcm.stream_idle_timeout().seconds(), 1);
  EXPECT_EQ(hcm.stream_idle_timeout().nanos(), 500'000'000);
  ASSERT_EQ(hcm.http_filters_size(), 1);

  envoy::extensions::filters::http::router::v3::Router router;
  ASSERT_TRUE(hcm.http_filters(0).typed_config().UnpackTo(&router));
  EXPECT_TRUE(router.suppress_envoy_headers());
}

TEST(EnvoyApiTest, RejectsUnknownFieldByName) {
  absl::StatusOr<std::string> bytes = EnvoyApi::Get().JsonToBinary(
      "envoy.config.listener.v3.Listener",
      R"({"name": "l", "address": {"socket_address": {"adress": "0.0.0.0"}}})");
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bytes.status().message(), HasSubstr("adress"));
}

TEST(EnvoyApiTest, RejectsUnknownFieldInsideAny) {
  absl::StatusOr<std::string> bytes = EnvoyApi::Get().JsonToBinary(
      "envoy.config.listener.v3.Listener", R"({"name": "l", "filter_chains": [{"filters": [{
        "name": "hcm",
        "typed_config": {
          "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
          "stat_prefx": "x"}}]}]})");
  ASSERT_FALSE(bytes.ok());
  EXPECT_THAT(bytes.status().message(), HasSubstr("stat_prefx"));
}

TEST(EnvoyApiTest, ParsesExtensionTypesWithoutGeneratedCode) {
  // The CORS filter is in the embedded descriptor set but not in the generated library.
  absl::StatusOr<std::string> bytes = EnvoyApi::Get().JsonToBinary(
      "envoy.config.listener.v3.Listener", R"({"name": "l", "filter_chains": [{"filters": [{
        "name": "hcm",
        "typed_config": {
          "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
          "stat_prefix": "x",
          "http_filters": [{"name": "cors", "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors"}}]}}]}]})");
  EXPECT_TRUE(bytes.ok()) << bytes.status();
}

TEST(EnvoyApiTest, BinaryToJsonUsesProtoFieldNames) {
  absl::StatusOr<std::string> bytes =
      EnvoyApi::Get().JsonToBinary("envoy.config.listener.v3.Listener", kListenerJson);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<std::string> json =
      EnvoyApi::Get().BinaryToJson("envoy.config.listener.v3.Listener", *bytes);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, HasSubstr(R"("stat_prefix":"ingress_http")"));
  EXPECT_THAT(*json, HasSubstr(R"("port_value":10000)"));
  EXPECT_THAT(*json, HasSubstr("envoy.extensions.filters.http.router.v3.Router"));
}

TEST(EnvoyApiTest, UnknownTypeIsNotFound) {
  EXPECT_EQ(EnvoyApi::Get().FindType("envoy.config.listener.v3.Listenr"), nullptr);
  // (Compared as bool: gtest's printer of a Message trips a GCC 12 -Wrestrict false positive.)
  EXPECT_TRUE(EnvoyApi::Get().NewMessage("envoy.config.listener.v3.Listenr") == nullptr);
  EXPECT_EQ(EnvoyApi::Get().JsonToBinary("envoy.config.listener.v3.Listenr", "{}").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(EnvoyApiTest, NewMessageIsDynamicMessageOfTheEmbeddedPool) {
  std::unique_ptr<google::protobuf::Message> message =
      EnvoyApi::Get().NewMessage("envoy.extensions.filters.http.cors.v3.Cors");
  ASSERT_TRUE(message != nullptr);
  EXPECT_EQ(message->GetDescriptor()->file()->pool(), &EnvoyApi::Get().pool());
  EXPECT_EQ(message->GetDescriptor(),
            EnvoyApi::Get().FindType("envoy.extensions.filters.http.cors.v3.Cors"));
}

TEST(EnvoyApiTest, RejectsDescriptorSetThatDoesNotParse) {
  EXPECT_EQ(EnvoyApi::FromDescriptorSet("\xff\xff not a descriptor set").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace xdsd::api
