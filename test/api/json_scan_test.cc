// The check that decides which JSON the config loader reads in place, and the reader that walks
// it: what passes is strict JSON a reader can walk by position and line.

#include "api/json_scan.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace xdsd::api {
namespace {

bool Plain(std::string_view text) { return CheckPlainJson(text, 100).ok(); }

TEST(JsonScanTest, StrictJsonPasses) {
  EXPECT_TRUE(Plain(R"({"a": [1, -2.5e3, true, false, null, "x\"y\u00e9\ud83d\ude00"], "b": {}})"));
  EXPECT_TRUE(Plain(" \n[]\n"));
  EXPECT_TRUE(Plain("\"just a string\""));
}

TEST(JsonScanTest, WhatIsNotPlainJsonIsRefused) {
  EXPECT_FALSE(Plain(R"({"a": 1, "a": 2})"));   // a key written twice
  EXPECT_FALSE(Plain(R"({"\u0061": 1})"));      // a key with an escape
  EXPECT_FALSE(Plain(R"(["\ud800"])"));         // a lone surrogate
  EXPECT_FALSE(Plain(R"(["\udc00\ud800"])"));   // surrogates out of order
  EXPECT_FALSE(Plain("[\"tab\there\"]"));       // a control character in a string
  EXPECT_FALSE(Plain("[\"caf\xe9\"]"));         // not UTF-8
  EXPECT_FALSE(Plain("{a: 1}"));                // YAML, not JSON
  EXPECT_FALSE(Plain("{\"a\": 1} # comment"));  // text after the value
  EXPECT_FALSE(Plain("[01]"));                  // a leading zero
  EXPECT_FALSE(Plain("[1.]"));                  // no digits after the point
  EXPECT_FALSE(Plain("[1,]"));                  // a trailing comma
  EXPECT_FALSE(Plain("{\"a\": 1"));             // unterminated
  EXPECT_FALSE(Plain(""));
}

TEST(JsonScanTest, DuplicateKeysAreFoundInLargeObjects) {
  std::string object = "{";
  for (int i = 0; i < 1000; ++i) object += "\"k" + std::to_string(i) + "\": 1, ";
  EXPECT_TRUE(Plain(object + "\"last\": 1}"));
  EXPECT_FALSE(Plain(object + "\"k7\": 1}"));
  // The same key in sibling objects is fine.
  EXPECT_TRUE(Plain(R"([{"a": 1}, {"a": 2}, {"b": {"a": 3}, "a": 4}])"));
}

TEST(JsonScanTest, NestingPastTheLimitIsRefusedWithoutRecursingPastIt) {
  EXPECT_TRUE(Plain(std::string(100, '[') + std::string(100, ']')));
  EXPECT_FALSE(Plain(std::string(101, '[') + std::string(101, ']')));
  EXPECT_FALSE(Plain(std::string(1'000'000, '[')));
}

TEST(JsonScanTest, TheReaderGivesMembersElementsTextAndLines) {
  const std::string text =
      "{\"a\": [1,\n  {\"x\": \"a\\\"]}\"}],\n\"b\":\n  \"two\\nlines\", \"c\": 3}";
  ASSERT_TRUE(CheckPlainJson(text, 100).ok());
  JsonReader reader(text);
  std::vector<std::pair<std::string, int>> keys;
  std::vector<std::string> values;
  reader.ForEachMember(reader.Root(), [&](absl::string_view key, int line, const JsonValue& v) {
    keys.emplace_back(std::string(key), line);
    values.emplace_back(reader.Text(v));
    return true;
  });
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0], std::make_pair(std::string("a"), 1));
  EXPECT_EQ(keys[1], std::make_pair(std::string("b"), 3));
  EXPECT_EQ(keys[2], std::make_pair(std::string("c"), 4));
  EXPECT_EQ(values[0], "[1,\n  {\"x\": \"a\\\"]}\"}]");
  EXPECT_EQ(values[2], "3");

  std::vector<int> lines;
  JsonValue array;
  reader.ForEachMember(reader.Root(), [&](absl::string_view key, int, const JsonValue& v) {
    if (key == "a") array = v;
    if (key == "b") {
      EXPECT_EQ(reader.ScalarText(v), "two\nlines");
    }
    return true;
  });
  reader.ForEachElement(array, [&](size_t, const JsonValue& v) { lines.push_back(v.line); });
  EXPECT_EQ(lines, (std::vector<int>{1, 2}));
}

}  // namespace
}  // namespace xdsd::api
