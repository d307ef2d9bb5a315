#include "xdsd/resource_map.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "xdsd/snapshot.h"

namespace xdsd {
namespace {

ResourcePtr R(const std::string& name, const std::string& body = "v1") {
  return Resource::FromBytes(kEndpointType, name, body);
}

std::string Name(int i) {
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "ep-%06d", i);
  return buffer;
}

std::vector<std::string> NamesOf(const ResourceMap& map) {
  std::vector<std::string> names;
  for (const auto& [name, resource] : map) names.push_back(name);
  return names;
}

TEST(ResourceMapTest, SortedFindAndSize) {
  ResourceMap map({R("b"), R("c"), R("a")});
  EXPECT_EQ(map.size(), 3u);
  EXPECT_EQ(NamesOf(map), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(map.contains("b"));
  EXPECT_FALSE(map.contains("d"));
  EXPECT_EQ(map.Get("c")->name(), "c");
  EXPECT_EQ(map.Get("zz"), nullptr);
  EXPECT_TRUE(ResourceMap().empty());
  EXPECT_EQ(ResourceMap().begin(), ResourceMap().end());
}

TEST(ResourceMapTest, UpdatesArePersistent) {
  ResourceMap before({R("a"), R("b")});
  ResourceMap after = before.With(R("b", "v2")).With(R("c")).Without("a");
  EXPECT_EQ(NamesOf(before), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(before.Get("b")->bytes(), "v1");
  EXPECT_EQ(NamesOf(after), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(after.Get("b")->bytes(), "v2");
  EXPECT_EQ(after.Without("missing").size(), after.size());
}

TEST(ResourceMapTest, ContentHashIsTheSameHoweverTheMapWasBuilt) {
  ResourceMap bulk({R("a"), R("b", "v2"), R("c")});
  ResourceMap stepwise = ResourceMap().With(R("c")).With(R("a")).With(R("b")).With(R("b", "v2"));
  EXPECT_EQ(bulk.content_hash(), stepwise.content_hash());
  EXPECT_NE(bulk.content_hash(), bulk.Without("a").content_hash());
  EXPECT_NE(bulk.content_hash(), bulk.With(R("a", "v9")).content_hash());
  EXPECT_EQ(bulk.Without("a").With(R("a")).content_hash(), bulk.content_hash());
  EXPECT_EQ(ResourceMap().content_hash(), 0u);
}

// Against std::map as the model, through enough inserts and erases to split and empty chunks.
TEST(ResourceMapTest, MatchesAReferenceModelThroughManyChanges) {
  std::mt19937 random(42);
  std::map<std::string, std::string> model;
  ResourceMap map;
  for (int step = 0; step < 20000; ++step) {
    const std::string name = Name(static_cast<int>(random() % 3000));
    if (random() % 4 == 0) {
      model.erase(name);
      map = map.Without(name);
    } else {
      const std::string body = "v" + std::to_string(step);
      model[name] = body;
      map = map.With(R(name, body));
    }
  }
  ASSERT_EQ(map.size(), model.size());
  auto it = map.begin();
  for (const auto& [name, body] : model) {
    ASSERT_EQ(it->first, name);
    ASSERT_EQ(it->second->bytes(), body);
    ++it;
  }
  EXPECT_EQ(it, map.end());
  std::vector<ResourcePtr> rebuilt;
  for (const auto& [name, body] : model) rebuilt.push_back(R(name, body));
  EXPECT_EQ(ResourceMap(rebuilt).content_hash(), map.content_hash());
}

// One change in a large set shares every chunk but one with the map it came from.
TEST(ResourceMapTest, AChangeSharesTheRestOfTheSet) {
  std::vector<ResourcePtr> resources;
  for (int i = 0; i < 100000; ++i) resources.push_back(R(Name(i)));
  ResourceMap large(resources);
  ResourceMap changed = large.With(R(Name(500), "v2"));
  size_t shared = 0, total = 0;
  for (auto a = large.begin(), b = changed.begin(); a != large.end(); ++a, ++b, ++total) {
    if (&*a == &*b) ++shared;
  }
  EXPECT_EQ(total, 100000u);
  EXPECT_GE(shared, total - ResourceMap::kMaxChunk);
}

TEST(SnapshotTest, WithTypeReplacesOneTypeAndSharesTheOthers) {
  auto base = *Snapshot::Create({Resource::FromBytes(kClusterType, "c", "1"), R("c")});
  SnapshotPtr next = Snapshot::WithType(base, kEndpointType, ResourceMap({R("c", "2"), R("d")}));
  EXPECT_EQ(next->Resources(kEndpointType).size(), 2u);
  EXPECT_EQ(next->size(), 3u);
  EXPECT_EQ(next->Version(kClusterType), base->Version(kClusterType));
  EXPECT_NE(next->Version(kEndpointType), base->Version(kEndpointType));
  EXPECT_EQ(next->Find(kClusterType, "c").get(), base->Find(kClusterType, "c").get());
}

}  // namespace
}  // namespace xdsd
