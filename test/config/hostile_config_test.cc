// Configs that used to crash or exhaust the process: each is refused with a located error.

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/input_limits.h"
#include "config/config_loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "xdsd/refusals.h"

namespace xdsd::config {
namespace {

using ::testing::HasSubstr;

uint64_t Refused(std::string_view reason) {
  for (const auto& [name, count] : RefusalCounts()) {
    if (name == reason) return count;
  }
  return 0;
}

class HostileConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ =
        std::filesystem::path(::testing::TempDir()) / absl::StrCat("xdsd_hostile_", info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, std::string_view text) {
    std::ofstream out(dir_ / name, std::ios::binary);
    out << text;
    return (dir_ / name).string();
  }

  std::filesystem::path dir_;
};

constexpr absl::string_view kCluster =
    "resources:\n  clusters:\n    - name: c\n      connect_timeout: 1s\n";

TEST_F(HostileConfigTest, NonUtf8StringIsAnErrorWithItsLine) {
  const std::string path =
      Write("bad.yaml", absl::StrCat(kCluster, "      alt_stat_name: x\xff\n"));
  absl::StatusOr<Config> config = LoadConfigFile(path);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr(path + ":5: clusters[0]: not valid UTF-8"));
}

TEST_F(HostileConfigTest, NestingDeeperThanTheLimitIsRefused) {
  std::string deep(150, '[');
  deep += std::string(150, ']');
  const uint64_t before = Refused("yaml_too_deep");
  absl::StatusOr<Config> config =
      LoadConfigFile(Write("deep.yaml", absl::StrCat(kCluster, "      metadata: ", deep, "\n")));
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("nest more than 100 deep"));
  EXPECT_EQ(Refused("yaml_too_deep"), before + 1);
}

TEST_F(HostileConfigTest, BillionLaughsIsRefusedQuickly) {
  // Nine levels of ten aliases: 10^9 values once expanded.
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level <= 9; ++level) {
    const std::string previous = absl::StrCat("*a", level - 1);
    absl::StrAppend(&text, "a", level, ": &a", level, " [");
    for (int i = 0; i < 10; ++i) absl::StrAppend(&text, i == 0 ? "" : ", ", previous);
    absl::StrAppend(&text, "]\n");
  }
  absl::StrAppend(&text, kCluster, "      metadata: { filter_metadata: { m: { v: *a9 } } }\n");
  // The anchors are outside `resources`: a file with unknown keys, but the resource is still
  // converted, which is what expands the aliases.
  const uint64_t before = Refused("yaml_too_many_nodes");
  absl::StatusOr<Config> config = LoadConfigFile(Write("laughs.yaml", text));
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("expands to too many values"));
  EXPECT_EQ(Refused("yaml_too_many_nodes"), before + 1);
}

TEST_F(HostileConfigTest, ConfigLargerThanTheCapIsRefused) {
  const std::string path = Write("big.yaml", absl::StrCat(kCluster, std::string(2000, '#')));
  absl::StatusOr<Config> config = LoadConfigFile(path, /*max_bytes=*/1000);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(config.status().message(), HasSubstr("--max-config-bytes"));
  EXPECT_TRUE(LoadConfigFile(path).ok());
}

TEST_F(HostileConfigTest, CapCountsEveryFileOfADirectory) {
  Write("a.yaml", std::string(kCluster));
  Write("b.yaml", std::string(600, '#'));
  EXPECT_TRUE(LoadConfigFile(dir_.string(), 1000).ok());
  Write("c.yaml", std::string(600, '#'));
  EXPECT_EQ(LoadConfigFile(dir_.string(), 1000).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(HostileConfigTest, SymlinkToADeviceIsNotRead) {
  std::filesystem::create_symlink("/dev/zero", dir_ / "zero.yaml");
  absl::StatusOr<Config> config = LoadConfigFile(dir_.string());
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("zero.yaml: not a regular file"));
}

TEST_F(HostileConfigTest, FifoIsRefusedWithoutBlocking) {
  const std::string fifo = (dir_ / "x.yaml").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // No writer ever opens it: a blocking open or read would hang the test until its timeout.
  absl::StatusOr<Config> config = LoadConfigFile(fifo);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("not a regular file"));
}

TEST_F(HostileConfigTest, SymlinkToARegularFileIsFollowed) {
  const std::string target = Write("real.yaml.txt", std::string(kCluster));
  std::filesystem::create_symlink(target, dir_ / "link.yaml");
  EXPECT_TRUE(LoadConfigFile(dir_.string()).ok());
}

TEST(JsonNestingTest, CountsBracketsOutsideStrings) {
  EXPECT_TRUE(api::CheckJsonNesting(R"({"a": "[[[[[[", "b": [[1]]})", 3).ok());
  EXPECT_FALSE(api::CheckJsonNesting(R"({"a": [[[1]]]})", 3).ok());
  EXPECT_TRUE(api::CheckJsonNesting(R"({"a\"[[[[": 1})", 1).ok());
  EXPECT_FALSE(api::CheckJsonNesting(std::string(100'000, '['), 100).ok());
}

TEST(Utf8Test, FindsTheFirstInvalidByte) {
  EXPECT_EQ(api::FirstInvalidUtf8("plain"), std::string_view::npos);
  EXPECT_EQ(api::FirstInvalidUtf8("\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80"), std::string_view::npos);
  EXPECT_EQ(api::FirstInvalidUtf8("ab\xff"), 2u);
  EXPECT_EQ(api::FirstInvalidUtf8("\xc0\xaf"), 0u);          // overlong '/'
  EXPECT_EQ(api::FirstInvalidUtf8("x\xed\xa0\x80"), 1u);     // a surrogate
  EXPECT_EQ(api::FirstInvalidUtf8("\xf4\x90\x80\x80"), 0u);  // past U+10FFFF
  EXPECT_EQ(api::FirstInvalidUtf8("\xe2\x82"), 0u);          // cut short
}

}  // namespace
}  // namespace xdsd::config
