#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace xdsd::config {

// The resource lists of a YAML config file (`resources: {clusters: [...]}`, and a group's),
// found in one streaming pass of yaml-cpp's parser that builds no tree, so that the loader can
// parse one resource at a time and drop it once converted, instead of holding the whole file as
// one yaml-cpp document (about 20 nodes, over 10 KB of memory, per cluster).
//
// Pure function: thread-safe.

// One item of a resource list: whole lines of the file, from the line of its "- " to the line
// before what follows it. Parsed alone, these lines are a list of that one item, with the file's
// columns.
struct YamlListItem {
  size_t begin = 0;  // the first byte of the item's first line
  size_t end = 0;    // the first byte of the line after its last
  int line = 0;      // 1-based, of its first line
  // The item as JSON, converted from the same events as api::YamlToJson converts a node, when
  // it is a map without a "ttl" key that converts without error; empty otherwise (the item is
  // then parsed alone, and any error reported from there).
  std::string json;
  // With `json`: the item's name (its type's name field, snake_case or lowerCamelCase, the first
  // written) when that is a scalar, to know it by even if it does not load.
  std::optional<std::string> name;
};

struct YamlResourceLists {
  // By the 1-based line of the list's key ("clusters:"), the list's items in order.
  absl::flat_hash_map<int, std::vector<YamlListItem>> items_by_key_line;
  // The file with the lines of every item blank (newlines kept): the rest of the file, on its
  // own lines, where each list is empty.
  std::string skeleton;
};

// The resource lists of `text`, or nullopt when the file is not split that way and is to be read
// whole: a file with anchors or aliases (an item could refer to another), a resource list written
// in flow style ("[...]") or an item that shares a line with what surrounds it, or any error
// (which reading the file whole reports, with its line).
std::optional<YamlResourceLists> SplitYamlResourceLists(std::string_view text);

}  // namespace xdsd::config
