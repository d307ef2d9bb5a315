// A YAML config is read one resource at a time when its resource lists can be cut into whole
// lines per item; otherwise whole. Either way a user sees the same config and the same errors.

#include "config/yaml_resource_lists.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "config/config_loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "xdsd/resource_types.h"

namespace xdsd::config {
namespace {

using ::testing::HasSubstr;

std::vector<int> ItemLines(const YamlResourceLists& lists, int key_line) {
  std::vector<int> lines;
  auto it = lists.items_by_key_line.find(key_line);
  if (it == lists.items_by_key_line.end()) return lines;
  for (const YamlListItem& item : it->second) lines.push_back(item.line);
  return lines;
}

constexpr char kConfig[] = R"yaml(resources:
  clusters:
  - name: a        # line 3
    connect_timeout: 1s
# a comment between items
  - name: b
    connect_timeout: 2s
    ttl: 30s
  listeners:
    - name: l      # line 10
      address: {socket_address: {address: 0.0.0.0, port_value: 1}}
groups:
- name: edge
  match: {cluster: "edge-*"}
  resources:
    clusters:
    - {name: e, connect_timeout: 1s}
authorization: [{identity: "*", nodes: ["*"]}]
)yaml";

TEST(YamlResourceListsTest, EachItemIsItsOwnLines) {
  std::optional<YamlResourceLists> lists = SplitYamlResourceLists(kConfig);
  ASSERT_TRUE(lists.has_value());
  EXPECT_EQ(ItemLines(*lists, 2), (std::vector<int>{3, 6}));
  EXPECT_EQ(ItemLines(*lists, 9), (std::vector<int>{10}));
  EXPECT_EQ(ItemLines(*lists, 16), (std::vector<int>{17}));
  const YamlListItem& b = lists->items_by_key_line.at(2)[1];
  EXPECT_EQ(std::string(kConfig).substr(b.begin, b.end - b.begin),
            "  - name: b\n    connect_timeout: 2s\n    ttl: 30s\n");
  // What is left keeps its lines, with empty lists.
  EXPECT_EQ(std::count(lists->skeleton.begin(), lists->skeleton.end(), '\n'), 18);
  EXPECT_THAT(lists->skeleton, HasSubstr("authorization: [{identity: \"*\", nodes: [\"*\"]}]"));
  EXPECT_EQ(lists->skeleton.find("name: a"), std::string::npos);
}

TEST(YamlResourceListsTest, FilesThatCannotBeCutAreReadWhole) {
  // Flow lists, items sharing a line, anchors and aliases, YAML errors.
  EXPECT_FALSE(SplitYamlResourceLists("resources:\n  clusters: [{name: a}]\n").has_value());
  EXPECT_FALSE(
      SplitYamlResourceLists("resources:\n  clusters:\n  - &x {name: a}\n  - *x\n").has_value());
  EXPECT_FALSE(SplitYamlResourceLists("resources:\n  clusters:\n  - name: [\n").has_value());
  EXPECT_FALSE(SplitYamlResourceLists("").has_value());
  EXPECT_FALSE(SplitYamlResourceLists("groups: []\n").has_value());
}

TEST(YamlResourceListsTest, AConfigReadByItemsIsTheConfigReadWhole) {
  // An anchor that changes nothing makes the loader read the file whole.
  const std::string whole = absl::StrReplaceAll(kConfig, {{"name: a ", "name: &n a "}});
  ASSERT_FALSE(SplitYamlResourceLists(whole).has_value());
  absl::StatusOr<Config> by_items = ParseConfig(kConfig, "c.yaml");
  absl::StatusOr<Config> read_whole = ParseConfig(whole, "c.yaml");
  ASSERT_TRUE(by_items.ok()) << by_items.status();
  ASSERT_TRUE(read_whole.ok()) << read_whole.status();
  for (const ResourceType& type : kResourceTypes) {
    EXPECT_EQ(by_items->default_snapshot->Version(type.type_url),
              read_whole->default_snapshot->Version(type.type_url));
  }
  EXPECT_EQ(by_items->default_snapshot->Find(kClusterType, "b")->ttl(), std::chrono::seconds(30));
  ASSERT_EQ(by_items->groups.size(), 1u);
  EXPECT_NE(by_items->groups[0].snapshot->Find(kClusterType, "e"), nullptr);
}

TEST(YamlResourceListsTest, ErrorsReadByItemsAreOnTheFilesLines) {
  const std::string mistakes =
      absl::StrReplaceAll(kConfig, {{"connect_timeout: 2s", "connect_timout: 2s"},
                                    {"ttl: 30s", "ttl: soon"},
                                    {"port_value: 1}", "port_value: 70000}"},
                                    {"connect_timeout: 1s}", "connect_timeout: x}"}});
  const std::string whole = absl::StrReplaceAll(mistakes, {{"name: a ", "name: &n a "}});
  absl::StatusOr<Config> by_items = ParseConfig(mistakes, "m.yaml");
  absl::StatusOr<Config> read_whole = ParseConfig(whole, "m.yaml");
  ASSERT_FALSE(by_items.ok());
  ASSERT_FALSE(read_whole.ok());
  EXPECT_EQ(by_items.status().message(), read_whole.status().message());
  EXPECT_THAT(std::string(by_items.status().message()),
              HasSubstr("m.yaml:8: clusters[1].ttl: must be a positive duration"));
  EXPECT_THAT(std::string(by_items.status().message()),
              HasSubstr("m.yaml:11: listeners[0].address.socket_address.port_value"));
  EXPECT_THAT(std::string(by_items.status().message()),
              HasSubstr("m.yaml:17: groups[0].resources.clusters[0]"));
}

}  // namespace
}  // namespace xdsd::config
