#include "xdsd/snapshot.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace xdsd {
namespace {

std::string HexVersion(uint64_t hash) { return absl::StrFormat("%016x", hash); }

}  // namespace

std::string Snapshot::VersionOf(const ResourceMap& resources) {
  return HexVersion(resources.content_hash());
}

std::string Snapshot::VersionOf(const std::map<std::string, ResourcePtr, std::less<>>& resources) {
  uint64_t hash = 0;
  for (const auto& [name, resource] : resources) {
    hash += ResourceMap::EntryHash(name, resource->version());
  }
  return HexVersion(hash);
}

absl::StatusOr<std::shared_ptr<const Snapshot>> Snapshot::Create(
    std::vector<ResourcePtr> resources) {
  std::map<std::string, std::vector<ResourcePtr>, std::less<>> by_type;
  for (ResourcePtr& resource : resources) {
    if (resource == nullptr) return absl::InvalidArgumentError("null resource");
    if (!IsKnownType(resource->type_url())) {
      return absl::InvalidArgumentError(absl::StrCat("resource \"", resource->name(),
                                                     "\" has unknown type ", resource->type_url()));
    }
    if (resource->name().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "a resource of ", std::string(TypeShortName(resource->type_url())), " has no name"));
    }
    by_type[resource->type_url()].push_back(std::move(resource));
  }
  std::shared_ptr<Snapshot> snapshot(new Snapshot());
  for (auto& [type_url, list] : by_type) {
    auto by_name = [](const ResourcePtr& a, const ResourcePtr& b) { return a->name() < b->name(); };
    if (!std::is_sorted(list.begin(), list.end(), by_name)) {
      std::sort(list.begin(), list.end(), by_name);
    }
    auto twice = std::adjacent_find(list.begin(), list.end(), [](const auto& a, const auto& b) {
      return a->name() == b->name();
    });
    if (twice != list.end()) {
      return absl::InvalidArgumentError(absl::StrCat(std::string(TypeShortName(type_url)),
                                                     ": the name \"", (*twice)->name(),
                                                     "\" is defined twice"));
    }
    ResourceMap map(std::move(list));
    snapshot->size_ += map.size();
    snapshot->types_[type_url] = MakeTypeResources(std::move(map));
  }
  return std::shared_ptr<const Snapshot>(std::move(snapshot));
}

Snapshot::TypeResources Snapshot::MakeTypeResources(ResourceMap resources) {
  TypeResources type{VersionOf(resources), std::move(resources), nullptr};
  std::map<std::string, std::string, std::less<>> aliases;
  for (const auto& [name, resource] : type.resources) {
    for (const std::string& alias : resource->aliases()) aliases.emplace(alias, name);
  }
  if (!aliases.empty()) {
    type.aliases =
        std::make_shared<const std::map<std::string, std::string, std::less<>>>(std::move(aliases));
  }
  return type;
}

std::shared_ptr<const void> Snapshot::MemoizeShared(
    const std::string& key, const std::function<std::shared_ptr<const void>()>& make) const {
  {
    absl::MutexLock lock(&memo_mu_);
    auto it = memos_.find(key);
    if (it != memos_.end()) return it->second;
  }
  // Made outside the lock: two streams may both make it once; the first kept wins.
  std::shared_ptr<const void> made = make();
  absl::MutexLock lock(&memo_mu_);
  if (memos_.size() >= kMaxMemos) return made;
  return memos_.emplace(key, std::move(made)).first->second;
}

std::shared_ptr<const std::string> Snapshot::Memoize(
    const std::string& key, const std::function<std::string()>& make) const {
  return std::static_pointer_cast<const std::string>(MemoizeShared(key, [&make] {
    return std::static_pointer_cast<const void>(std::make_shared<const std::string>(make()));
  }));
}

ResourcePtr Snapshot::FindByNameOrAlias(std::string_view type_url, std::string_view name) const {
  const TypeResources& type = ForType(type_url);
  if (ResourcePtr resource = type.resources.Get(name)) return resource;
  if (type.aliases == nullptr) return nullptr;
  auto it = type.aliases->find(name);
  return it == type.aliases->end() ? nullptr : type.resources.Get(it->second);
}

std::shared_ptr<const Snapshot> Snapshot::WithType(const std::shared_ptr<const Snapshot>& base,
                                                   std::string_view type_url,
                                                   ResourceMap resources) {
  std::shared_ptr<Snapshot> snapshot(new Snapshot());
  if (base != nullptr) {
    snapshot->types_ = base->types_;
    snapshot->size_ = base->size_ - base->Resources(type_url).size();
  }
  snapshot->size_ += resources.size();
  snapshot->types_[std::string(type_url)] = MakeTypeResources(std::move(resources));
  return snapshot;
}

const Snapshot::TypeResources& Snapshot::ForType(std::string_view type_url) const {
  static const TypeResources* const kEmpty = [] {
    auto* empty = new TypeResources();
    empty->version = VersionOf(empty->resources);
    return empty;
  }();
  auto it = types_.find(type_url);
  return it == types_.end() ? *kEmpty : it->second;
}

const Snapshot::ResourceMap& Snapshot::Resources(std::string_view type_url) const {
  return ForType(type_url).resources;
}

const std::string& Snapshot::Version(std::string_view type_url) const {
  return ForType(type_url).version;
}

ResourcePtr Snapshot::Find(std::string_view type_url, std::string_view name) const {
  const ResourceMap& resources = Resources(type_url);
  auto it = resources.find(name);
  return it == resources.end() ? nullptr : it->second;
}

}  // namespace xdsd
