#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "xdsd/resource.h"
#include "xdsd/resource_map.h"

namespace xdsd {
namespace server {
class SnapshotMemo;
}  // namespace server

// An immutable set of resources, grouped by type; each type has a version that is a content
// hash of its resources (names and bytes), so the same resources give the same version in any
// process. A snapshot is what a SnapshotCache serves to the nodes that map to it.
//
// Thread-safe: immutable after construction; share it as std::shared_ptr<const Snapshot>.
class Snapshot {
 public:
  using ResourceMap = xdsd::ResourceMap;

  // Groups `resources` by type. Fails with InvalidArgument when a type has a name twice or a
  // resource has an unknown type URL or an empty name.
  static absl::StatusOr<std::shared_ptr<const Snapshot>> Create(std::vector<ResourcePtr> resources);

  // A snapshot like `base` (null for an empty one) whose resources of `type_url` are
  // `resources`; the other types are shared with `base`, not copied. O(number of types).
  static std::shared_ptr<const Snapshot> WithType(const std::shared_ptr<const Snapshot>& base,
                                                  std::string_view type_url, ResourceMap resources);

  // The resources of one type, by name; an empty map for a type the snapshot has none of.
  const ResourceMap& Resources(std::string_view type_url) const;

  // The version of one type: a content hash of its resources (also defined for none).
  const std::string& Version(std::string_view type_url) const;

  // The resource of a type and name, or null.
  ResourcePtr Find(std::string_view type_url, std::string_view name) const;
  // The resource of a type that has `name` as its name or one of its aliases, or null.
  ResourcePtr FindByNameOrAlias(std::string_view type_url, std::string_view name) const;

  // The version of any set of resources: a content hash of their names and versions.
  static std::string VersionOf(const ResourceMap& resources);
  static std::string VersionOf(const std::map<std::string, ResourcePtr, std::less<>>& resources);

  // How many resources of all types.
  size_t size() const { return size_; }

 private:
  friend class server::SnapshotMemo;  // the memo below, for the server's shared encodings

  // A memo of this snapshot's for what every stream would otherwise derive alike from it (the
  // server keeps the encoded resources of its responses here, so that a thousand streams sent
  // the same resources share one buffer). Returns the value kept under `key`, made by `make`
  // the first time. Past kMaxMemos entries `make` runs every time and nothing is kept.
  // Thread-safe; the memo does not change what the snapshot holds.
  static constexpr size_t kMaxMemos = 256;
  std::shared_ptr<const std::string> Memoize(const std::string& key,
                                             const std::function<std::string()>& make) const;
  // The same for any shared object (the server keeps what streams hold of it here, so that
  // streams holding the same resources share one copy).
  std::shared_ptr<const void> MemoizeShared(
      const std::string& key, const std::function<std::shared_ptr<const void>()>& make) const;

  struct TypeResources {
    std::string version;
    ResourceMap resources;
    // alias → name, for the types whose resources have aliases (virtual hosts); else null.
    std::shared_ptr<const std::map<std::string, std::string, std::less<>>> aliases;
  };
  static TypeResources MakeTypeResources(ResourceMap resources);
  Snapshot() = default;
  const TypeResources& ForType(std::string_view type_url) const;

  std::map<std::string, TypeResources, std::less<>> types_;
  size_t size_ = 0;
  mutable absl::Mutex memo_mu_;
  mutable std::map<std::string, std::shared_ptr<const void>, std::less<>> memos_
      ABSL_GUARDED_BY(memo_mu_);
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

}  // namespace xdsd
