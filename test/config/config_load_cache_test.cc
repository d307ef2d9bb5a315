#include "config/config_load_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "xdsd/resource_types.h"

namespace xdsd::config {
namespace {

namespace fs = std::filesystem;

// Three STATIC clusters; cluster `changed` connects after `timeout`.
std::string ClustersJson(const std::string& changed = "", const std::string& timeout = "1s") {
  std::string text = R"({"resources": {"clusters": [)";
  for (const std::string name : {"a", "b", "c"}) {
    if (name != "a") text += ",";
    text += R"({"name": ")" + name + R"(", "type": "STATIC", "connect_timeout": ")" +
            (name == changed ? timeout : std::string("1s")) + R"("})";
  }
  return text + "]}}\n";
}

class ConfigLoadCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("xdsd-load-cache-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::trunc) << text;
    return path;
  }
  fs::path dir_;
};

TEST_F(ConfigLoadCacheTest, AnUnchangedConfigReturnsTheSameConfigWithoutParsing) {
  const std::string path = Write("config.json", ClustersJson());
  ConfigLoadCache cache;
  absl::StatusOr<std::shared_ptr<const Config>> first = cache.Load(path, 1 << 20);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::shared_ptr<const Config>> again = cache.Load(path, 1 << 20);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(first->get(), again->get());
  EXPECT_EQ(cache.resource_hits(), 0u);  // not even looked up: nothing was parsed
}

TEST_F(ConfigLoadCacheTest, OnlyTheResourceWhoseTextChangedIsParsedAgain) {
  const std::string path = Write("config.json", ClustersJson());
  ConfigLoadCache cache;
  absl::StatusOr<std::shared_ptr<const Config>> first = cache.Load(path, 1 << 20);
  ASSERT_TRUE(first.ok()) << first.status();
  Write("config.json", ClustersJson("b", "2s"));
  absl::StatusOr<std::shared_ptr<const Config>> second = cache.Load(path, 1 << 20);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(cache.resource_hits(), 2u);  // a and c
  const auto& before = (*first)->default_snapshot->Resources(kClusterType);
  const auto& after = (*second)->default_snapshot->Resources(kClusterType);
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(before.find("a")->second, after.find("a")->second);  // the same parsed resource
  EXPECT_NE(before.find("b")->second->version(), after.find("b")->second->version());
  // A reload of the same text parses to the same versions as a load from scratch.
  ConfigLoadCache fresh;
  absl::StatusOr<std::shared_ptr<const Config>> cold = fresh.Load(path, 1 << 20);
  ASSERT_TRUE(cold.ok()) << cold.status();
  EXPECT_EQ((*cold)->default_snapshot->Version(kClusterType),
            (*second)->default_snapshot->Version(kClusterType));
}

TEST_F(ConfigLoadCacheTest, ABrokenChangeIsStillReportedAndTheNextGoodOneLoads) {
  const std::string path = Write("config.json", ClustersJson());
  ConfigLoadCache cache;
  ASSERT_TRUE(cache.Load(path, 1 << 20).ok());
  Write("config.json", ClustersJson("c", "forever"));
  absl::StatusOr<std::shared_ptr<const Config>> broken = cache.Load(path, 1 << 20);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("config.json:1:"), std::string::npos) << broken.status();
  EXPECT_NE(broken.status().message().find("clusters[2]"), std::string::npos) << broken.status();
  Write("config.json", ClustersJson("c", "3s"));
  absl::StatusOr<std::shared_ptr<const Config>> fixed = cache.Load(path, 1 << 20);
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  EXPECT_EQ((*fixed)->default_snapshot->Resources(kClusterType).size(), 3u);
}

TEST_F(ConfigLoadCacheTest, ADirectoryReloadsWhenAnyFileChanges) {
  Write("a.json", ClustersJson());
  Write("b.yaml", "resources: {listeners: []}\n");
  ConfigLoadCache cache;
  absl::StatusOr<std::shared_ptr<const Config>> first = cache.Load(dir_.string(), 1 << 20);
  ASSERT_TRUE(first.ok()) << first.status();
  Write("b.yaml", "resources: {}\n");
  absl::StatusOr<std::shared_ptr<const Config>> second = cache.Load(dir_.string(), 1 << 20);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(first->get(), second->get());
  EXPECT_EQ(cache.resource_hits(), 3u);
}

}  // namespace
}  // namespace xdsd::config
