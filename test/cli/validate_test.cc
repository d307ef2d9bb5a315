#include "cli/validate.h"

#include <fstream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_split.h"
#include "config/config_loader.h"
#include "config/config_publisher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace xdsd::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;

// A file of `text` under the test's temporary directory, named after the test.
std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = testing::TempDir() + "/" +
                           testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
                           name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

absl::StatusOr<std::string> Validate(const std::string& path) {
  ValidateOptions options;
  options.config_path = path;
  return ValidateConfig(options);
}

TEST(ValidateTest, DemoIsValidWithItsResourceCounts) {
  const std::string path = XDSD_EXAMPLES_DIR "/demo.yaml";
  absl::StatusOr<std::string> report = Validate(path);
  ASSERT_TRUE(report.ok()) << report.status();
  // The second line is the version xdsd serves it as (what `xdsd status --version` waits for).
  absl::StatusOr<config::Config> config = config::LoadConfigFile(path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(*report, path +
                         ": valid (3 resources: clusters: 1, listeners: 1, routes: 1)\nversion " +
                         config::ConfigVersion(*config));
}

TEST(ValidateTest, SummaryUsesTheConfigKeys) {
  absl::StatusOr<std::string> report = Validate(XDSD_EXAMPLES_DIR "/on-demand.yaml");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(*report, HasSubstr("scoped_routes: "));
  EXPECT_THAT(*report, ::testing::Not(HasSubstr("scoped-routes")));
}

TEST(ValidateTest, DirectoryWithGroupsNamesTheGroups) {
  absl::StatusOr<std::string> report = Validate(XDSD_EXAMPLES_DIR "/groups");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(*report, HasSubstr(": valid ("));
  EXPECT_THAT(*report, HasSubstr("; groups: "));
}

TEST(ValidateTest, EmptyConfigIsValidWithNoResources) {
  const std::string path = WriteFile("empty.yaml", "resources: {}\n");
  absl::StatusOr<std::string> report = Validate(path);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(*report, StartsWith(path + ": valid (0 resources)\nversion "));
}

TEST(ValidateTest, EveryErrorIsALineNamingFileAndLine) {
  const std::string path = WriteFile("broken.yaml",
                                     "resources:\n"
                                     "  clusters:\n"
                                     "    - name: a\n"
                                     "      connect_timeout: 1s\n"
                                     "      bogus_field: 1\n"
                                     "  routes:\n"
                                     "    - name: r\n"
                                     "      virtual_hosts:\n"
                                     "        - name: vh\n"
                                     "          domains: [\"*\"]\n"
                                     "          routes:\n"
                                     "            - match: { prefix: \"/\" }\n"
                                     "              route: { cluster: missing }\n");
  absl::StatusOr<std::string> report = Validate(path);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument);
  const std::vector<std::string> lines = absl::StrSplit(report.status().message(), '\n');
  ASSERT_THAT(lines, SizeIs(2)) << report.status();
  EXPECT_THAT(lines[0], StartsWith(path + ":5: "));
  EXPECT_THAT(lines[0], HasSubstr("bogus_field"));
  EXPECT_THAT(lines[1], StartsWith(path + ":13: "));
  EXPECT_THAT(lines[1], HasSubstr("no cluster named \"missing\""));
}

TEST(ValidateTest, MissingPathIsNotFound) {
  absl::StatusOr<std::string> report = Validate(testing::TempDir() + "/no/such/xdsd.yaml");
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(report.status().message()),
              HasSubstr("xdsd.yaml: no such file or directory"));
}

}  // namespace
}  // namespace xdsd::cli
