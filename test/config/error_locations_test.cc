// Where the loader says a mistake is: the field's own path and line, inside an Any too; what a
// value should have been; the root cause only, not what refers to a resource that failed.

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "config/config_loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace xdsd::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

std::vector<std::string> ErrorLines(const absl::Status& status) {
  return absl::StrSplit(status.message(), '\n');
}

TEST(ErrorLocationsTest, UnknownFieldOfAConnectionManagerIsAtItsOwnLine) {
  absl::StatusOr<Config> config = ParseConfig(R"yaml(resources:
  listeners:
    - name: l
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefx: http
)yaml",
                                              "hcm.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre(HasSubstr("hcm.yaml:9: listeners[0].filter_chains[0].filters[0]."
                                    "typed_config.stat_prefx: unknown field \"stat_prefx\"")));
  EXPECT_THAT(Message(config.status()), HasSubstr("did you mean \"stat_prefix\"?"));
}

TEST(ErrorLocationsTest, UnknownTypeIsAtTheTypeLine) {
  absl::StatusOr<Config> config = ParseConfig(R"yaml(resources:
  listeners:
    - name: l
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                stat_prefix: http
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConectionManager
)yaml",
                                              "type.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre(HasSubstr("type.yaml:9: listeners[0].filter_chains[0].filters[0]."
                                    "typed_config.@type: unknown type")));
}

TEST(ErrorLocationsTest, BadEnumOfAClusterIsTheOnlyError) {
  absl::StatusOr<Config> config = ParseConfig(R"yaml(resources:
  routes:
    - name: r
      virtual_hosts:
        - name: all
          domains: ["*"]
          routes:
            - match: { prefix: "/" }
              route: { cluster: backend }
  clusters:
    - name: backend
      type: STATIK
      connect_timeout: 1s
)yaml",
                                              "enum.yaml");
  ASSERT_FALSE(config.ok());
  // The root cause only: the route to "backend" is not reported as well.
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre(HasSubstr("enum.yaml:12: clusters[0].type: invalid value \"STATIK\": "
                                    "expected one of STATIC, STRICT_DNS")));
}

}  // namespace
}  // namespace xdsd::config
