#include "config/config_history.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/config_publisher.h"

namespace xdsd::config {
namespace {

namespace fs = std::filesystem;

// A config with clusters named `clusters` (STATIC, one endpoint each, `timeout` as their
// connect_timeout) and a secret `key` holding `private_key`.
std::shared_ptr<const Config> MakeConfig(const std::vector<std::string>& clusters,
                                         const std::string& timeout = "1s",
                                         const std::string& private_key = "first") {
  std::string yaml = "resources:\n  clusters:\n";
  for (const std::string& name : clusters) {
    yaml += "  - {name: " + name + ", connect_timeout: " + timeout + ", type: STATIC}\n";
  }
  yaml += "  secrets:\n  - name: key\n    tls_certificate:\n      private_key: {inline_string: " +
          private_key + "}\n";
  absl::StatusOr<Config> config = ParseConfig(yaml, "test.yaml");
  EXPECT_TRUE(config.ok()) << config.status();
  return std::make_shared<const Config>(*std::move(config));
}

class ConfigHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("xdsd-history-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static RevisionPtr Add(ConfigHistory& history, std::shared_ptr<const Config> config,
                         const std::string& source = "file x.yaml") {
    const std::string version = ConfigVersion(*config);
    absl::StatusOr<RevisionPtr> added =
        history.Add(std::move(config), source, "token", version, absl::Now());
    EXPECT_TRUE(added.ok()) << added.status();
    return added.ok() ? *added : nullptr;
  }

  fs::path dir_;
};

TEST_F(ConfigHistoryTest, RevisionsAreNumberedAndSayWhatChanged) {
  ConfigHistory history;
  RevisionPtr first = Add(history, MakeConfig({"a", "b"}));
  RevisionPtr second = Add(history, MakeConfig({"b", "c"}, "2s"));
  EXPECT_EQ(first->number, 1);
  EXPECT_EQ(second->number, 2);
  EXPECT_EQ(first->changes.at("clusters").added, (std::vector<std::string>{"a", "b"}));
  const TypeChanges& clusters = second->changes.at("clusters");
  EXPECT_EQ(clusters.added, std::vector<std::string>{"c"});
  EXPECT_EQ(clusters.removed, std::vector<std::string>{"a"});
  EXPECT_EQ(clusters.changed, std::vector<std::string>{"b"});
  EXPECT_FALSE(second->changes.contains("secrets"));
  EXPECT_EQ(history.Latest(), second);
}

TEST_F(ConfigHistoryTest, KeepsTheLastRevisionsAcrossARestart) {
  {
    ConfigHistory history(2);
    ASSERT_TRUE(history.KeepIn(dir_.string()).ok());
    for (const char* name : {"a", "b", "c"}) Add(history, MakeConfig({name}));
    EXPECT_EQ(history.All().size(), 2u);
    EXPECT_EQ(history.Get(1), nullptr);
  }
  ConfigHistory again(2);
  ASSERT_TRUE(again.KeepIn(dir_.string()).ok());
  std::vector<RevisionPtr> kept = again.All();
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0]->number, 2);
  EXPECT_EQ(kept[1]->number, 3);
  EXPECT_EQ(kept[1]->version, ConfigVersion(*MakeConfig({"c"})));
  EXPECT_EQ(kept[1]->who, "token");
  EXPECT_EQ(kept[1]->changes.at("clusters").removed, std::vector<std::string>{"b"});
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 2);
  EXPECT_EQ(Add(again, MakeConfig({"d"}))->number, 4);
}

TEST_F(ConfigHistoryTest, ACorruptFileIsAnErrorThatNamesIt) {
  fs::create_directories(dir_);
  const fs::path bad = dir_ / "r0000000001.json";
  std::ofstream(bad) << "{\"revision\": 1}";
  ConfigHistory history;
  absl::Status kept = history.KeepIn(dir_.string());
  EXPECT_FALSE(kept.ok());
  EXPECT_NE(kept.message().find(bad.string()), absl::string_view::npos) << kept;
}

TEST_F(ConfigHistoryTest, DiffShowsChangedFieldsAndNeverASecret) {
  nlohmann::json diff =
      DiffConfigs(*MakeConfig({"a", "b"}), *MakeConfig({"b", "c"}, "2s", "second"));
  EXPECT_EQ(diff["clusters"]["added"], nlohmann::json::array({"c"}));
  EXPECT_EQ(diff["clusters"]["removed"], nlohmann::json::array({"a"}));
  const nlohmann::json& changed = diff["clusters"]["changed"];
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0]["name"], "b");
  EXPECT_EQ(changed[0]["fields"],
            nlohmann::json::parse(R"([{"path": "connect_timeout", "from": "1s", "to": "2s"}])"));
  const std::string text = diff.dump();
  EXPECT_NE(text.find("\"key\""), std::string::npos) << "the changed secret is listed";
  EXPECT_EQ(text.find("first"), std::string::npos) << text;
  EXPECT_EQ(text.find("second"), std::string::npos) << text;
}

}  // namespace
}  // namespace xdsd::config
