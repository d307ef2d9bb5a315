#include "config/config_watcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "support/poll.h"

namespace xdsd::config {
namespace {

namespace fs = std::filesystem;
using xdsd::testing::PollUntil;

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

class ConfigWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("xdsd-watch-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ConfigWatcherTest, SeesAWrite) {
  const fs::path file = dir_ / "xdsd.yaml";
  WriteFile(file, "resources: {}\n");
  std::atomic<int> calls{0};
  ConfigWatcher watcher(file.string(), {}, [&] { ++calls; });
  ASSERT_TRUE(watcher.Start().ok());
  WriteFile(file, "resources: {clusters: []}\n");
  EXPECT_TRUE(PollUntil(absl::Seconds(5), [&] { return calls.load() == 1; }));
}

TEST_F(ConfigWatcherTest, SeesAFileReplacedByRename) {
  const fs::path file = dir_ / "xdsd.yaml";
  WriteFile(file, "resources: {}\n");
  std::atomic<int> calls{0};
  ConfigWatcher watcher(file.string(), {}, [&] { ++calls; });
  ASSERT_TRUE(watcher.Start().ok());
  WriteFile(dir_ / ".xdsd.yaml.swp", "resources: {routes: []}\n");
  fs::rename(dir_ / ".xdsd.yaml.swp", file);
  EXPECT_TRUE(PollUntil(absl::Seconds(5), [&] { return calls.load() == 1; }));
}

TEST_F(ConfigWatcherTest, ABurstOfWritesMakesOneCall) {
  const fs::path file = dir_ / "xdsd.yaml";
  WriteFile(file, "resources: {}\n");
  std::atomic<int> calls{0};
  ConfigWatcher::Options options;
  options.quiet = absl::Milliseconds(300);
  ConfigWatcher watcher(file.string(), options, [&] { ++calls; });
  ASSERT_TRUE(watcher.Start().ok());
  for (int i = 0; i < 5; ++i) WriteFile(file, "resources: {} # " + std::to_string(i) + "\n");
  ASSERT_TRUE(PollUntil(absl::Seconds(5), [&] { return calls.load() >= 1; }));
  // A later, separate change makes exactly one more call: the burst made one.
  WriteFile(file, "resources: {clusters: []}\n");
  ASSERT_TRUE(PollUntil(absl::Seconds(5), [&] { return calls.load() >= 2; }));
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(ConfigWatcherTest, WatchesEveryConfigFileOfADirectory) {
  WriteFile(dir_ / "a.yaml", "resources: {}\n");
  std::atomic<int> calls{0};
  ConfigWatcher watcher(dir_.string(), {}, [&] { ++calls; });
  ASSERT_TRUE(watcher.Start().ok());
  WriteFile(dir_ / "b.json", "{}\n");
  ASSERT_TRUE(PollUntil(absl::Seconds(5), [&] { return calls.load() == 1; }));
  fs::remove(dir_ / "a.yaml");
  EXPECT_TRUE(PollUntil(absl::Seconds(5), [&] { return calls.load() == 2; }));
}

TEST_F(ConfigWatcherTest, MissingPathIsAnError) {
  ConfigWatcher watcher((dir_ / "nope.yaml").string(), {}, [] {});
  absl::Status status = watcher.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(status.message().find("nope.yaml"), std::string::npos);
}

}  // namespace
}  // namespace xdsd::config
