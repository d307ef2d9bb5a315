#include "xdsd/snapshot.h"

#include <xxhash.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace xdsd {
// A hash over each name and content hash, in name order.
std::string Snapshot::VersionOf(const ResourceMap& resources) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  for (const auto& [name, resource] : resources) {
    // Length-prefix the name so that no two different sets hash the same input.
    const uint64_t size = name.size();
    XXH3_64bits_update(state, &size, sizeof(size));
    XXH3_64bits_update(state, name.data(), name.size());
    XXH3_64bits_update(state, resource->version().data(), resource->version().size());
  }
  const uint64_t digest = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return absl::StrFormat("%016x", digest);
}

absl::StatusOr<std::shared_ptr<const Snapshot>> Snapshot::Create(
    std::vector<ResourcePtr> resources) {
  std::shared_ptr<Snapshot> snapshot(new Snapshot());
  for (ResourcePtr& resource : resources) {
    if (resource == nullptr) return absl::InvalidArgumentError("null resource");
    if (!IsKnownType(resource->type_url())) {
      return absl::InvalidArgumentError(
          absl::StrCat("resource \"", resource->name(), "\" has unknown type ", resource->type_url()));
    }
    if (resource->name().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("a resource of ", std::string(TypeShortName(resource->type_url())), " has no name"));
    }
    TypeResources& type = snapshot->types_[resource->type_url()];
    const std::string name = resource->name();
    const std::string type_url = resource->type_url();
    if (!type.resources.emplace(name, std::move(resource)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(TypeShortName(type_url)), ": the name \"", name, "\" is defined twice"));
    }
  }
  for (auto& [type_url, type] : snapshot->types_) {
    type.version = VersionOf(type.resources);
    snapshot->size_ += type.resources.size();
  }
  return std::shared_ptr<const Snapshot>(std::move(snapshot));
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
