#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "config/config_loader.h"
#include "xdsd/resource.h"

namespace xdsd::config {

// The resources one load parsed, by a hash of their text (type, TTL and JSON), so that the next
// load takes an unchanged resource as it is instead of parsing and checking it again. Holds
// what the latest two loads used: a resource no load used since is forgotten.
//
// Thread-compatible.
class ParsedResourceCache {
 public:
  // The resource parsed from text of hash `key`, or null.
  ResourcePtr Find(uint64_t key);
  void Add(uint64_t key, ResourcePtr resource);
  // A load is done: what it did not use is forgotten at the end of the next one.
  void EndLoad();

  size_t hits() const { return hits_; }

 private:
  absl::flat_hash_map<uint64_t, ResourcePtr> previous_;
  absl::flat_hash_map<uint64_t, ResourcePtr> current_;
  size_t hits_ = 0;
};

// Loads a config file or directory (LoadConfigFile) again and again at the cost of what
// changed: files whose text is the same as at the previous successful load are not parsed at
// all (the previous Config is returned), and in a changed file only the resources whose text
// changed are parsed and checked; the rest of the config is built again from them.
//
// Thread-compatible.
class ConfigLoadCache {
 public:
  absl::StatusOr<std::shared_ptr<const Config>> Load(const std::string& path, size_t max_bytes);

  // Resources taken from the cache instead of parsed, over every load.
  size_t resource_hits() const { return resources_.hits(); }

 private:
  uint64_t digest_ = 0;  // of the files' names and texts behind last_
  std::shared_ptr<const Config> last_;
  ParsedResourceCache resources_;
};

}  // namespace xdsd::config
