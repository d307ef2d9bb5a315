#include "config/fleet_overlay.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "api/envoy_api.h"
#include "api/input_limits.h"
#include "api/resource_parser.h"
#include "config/parsed_resource.h"
#include "config/reference_checks.h"
#include "nlohmann/json.hpp"
#include "xdsd/resource_types.h"

namespace xdsd::config {
namespace {

constexpr std::string_view kTypeUrlPrefix = "type.googleapis.com/";

SnapshotPtr Overlaid(SnapshotPtr snapshot, const FleetOverlay& overlay) {
  for (const auto& [type_url, resources] : overlay) {
    ResourceMap merged = snapshot == nullptr ? ResourceMap() : snapshot->Resources(type_url);
    for (const auto& [name, resource] : resources) merged = merged.With(resource);
    snapshot = Snapshot::WithType(snapshot, type_url, std::move(merged));
  }
  return snapshot;
}

// One set's resources as the reference checks read them, decoded from their bytes. `label`
// stands where a file name would.
void CheckSnapshot(const std::string& label, const Snapshot& snapshot, LoadErrors* errors) {
  ResourceSet set;
  for (const ResourceType& kind : kResourceTypes) {
    for (const auto& [name, resource] : snapshot.Resources(kind.type_url)) {
      ParsedResource parsed;
      parsed.kind = &kind;
      parsed.resource = resource;
      parsed.file = label;
      parsed.path = absl::StrCat(AbslView(kind.name), "[\"", name, "\"]");
      if (std::unique_ptr<google::protobuf::Message> message = NewCheckedMessage(kind.type_url)) {
        const std::string_view bytes = resource->bytes();
        if (!message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
          errors->AddLine(absl::StrCat(label, ": ", parsed.path, ": does not decode"));
          continue;
        }
        parsed.message = std::move(message);
      }
      set.resources.push_back(std::move(parsed));
    }
  }
  CheckResourceSet(set, errors);
}

absl::Status ErrnoError(const std::string& what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

}  // namespace

absl::Status ChangeFleetOverlay(FleetOverlay* overlay, std::string_view type_url,
                                const std::vector<ResourcePtr>& upserts,
                                const std::vector<std::string>& removals) {
  auto found = overlay->find(type_url);
  ResourceMap resources = found == overlay->end() ? ResourceMap() : found->second;
  for (const std::string& name : removals) {
    if (!resources.contains(name)) {
      return absl::NotFoundError(
          absl::StrCat("the fleet overlay has no ", AbslView(FindResourceType(type_url)->noun),
                       " \"", name, "\" (only resources set over the fleet API can be removed)"));
    }
    resources = resources.Without(name);
  }
  for (const ResourcePtr& resource : upserts) resources = resources.With(resource);
  if (resources.empty()) {
    if (found != overlay->end()) overlay->erase(found);
  } else {
    (*overlay)[std::string(type_url)] = std::move(resources);
  }
  return absl::OkStatus();
}

Config ApplyOverlay(const Config& config, const FleetOverlay& overlay) {
  Config overlaid = config;
  if (overlay.empty()) return overlaid;
  overlaid.default_snapshot = Overlaid(config.default_snapshot, overlay);
  for (NodeGroup& group : overlaid.groups) group.snapshot = Overlaid(group.snapshot, overlay);
  return overlaid;
}

absl::Status CheckOverlaidConfig(const Config& overlaid) {
  LoadErrors errors;
  if (overlaid.default_snapshot != nullptr) {
    CheckSnapshot("default resources", *overlaid.default_snapshot, &errors);
  }
  for (const NodeGroup& group : overlaid.groups) {
    if (group.snapshot != nullptr) {
      CheckSnapshot(absl::StrCat("group \"", group.name, "\""), *group.snapshot, &errors);
    }
  }
  if (errors.empty()) return absl::OkStatus();
  // The resources have no line: drop the ":0" a file's errors carry.
  return absl::InvalidArgumentError(
      absl::StrReplaceAll(errors.ToStatus().message(), {{":0: ", ": "}}));
}

absl::StatusOr<std::string> OverlayResourceJson(std::string_view type_url,
                                                const Resource& resource) {
  return api::EnvoyApi::Get().BinaryToJson(type_url.substr(kTypeUrlPrefix.size()),
                                           resource.bytes());
}

absl::StatusOr<std::string> OverlayToJson(const FleetOverlay& overlay) {
  nlohmann::ordered_json types = nlohmann::ordered_json::object();
  for (const auto& [type_url, resources] : overlay) {
    const ResourceType* kind = FindResourceType(type_url);
    if (kind == nullptr) return absl::InternalError(absl::StrCat("unknown type ", type_url));
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& [name, resource] : resources) {
      absl::StatusOr<std::string> json = OverlayResourceJson(type_url, *resource);
      if (!json.ok()) return json.status();
      list.push_back(nlohmann::ordered_json::parse(*json));
    }
    types[std::string(kind->name)] = std::move(list);
  }
  nlohmann::ordered_json document = {{"fleet_overlay", std::move(types)}};
  return document.dump(2) + "\n";
}

absl::StatusOr<FleetOverlay> OverlayFromJson(std::string_view json, std::string_view file) {
  auto error = [&](absl::string_view message) {
    return absl::InvalidArgumentError(absl::StrCat(AbslView(file), ": ", message));
  };
  if (absl::Status depth = api::CheckJsonNesting(json); !depth.ok()) return error(depth.message());
  nlohmann::json document = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!document.is_object() || document.size() != 1 || !document.contains("fleet_overlay") ||
      !document["fleet_overlay"].is_object()) {
    return error("not a fleet overlay: expected {\"fleet_overlay\": {TYPE: [RESOURCE, ...]}}");
  }
  FleetOverlay overlay;
  for (const auto& [type, list] : document["fleet_overlay"].items()) {
    const ResourceType* kind = FindResourceTypeByName(type);
    if (kind == nullptr) return error(absl::StrCat("unknown type \"", type, "\""));
    if (!list.is_array()) return error(absl::StrCat("\"", type, "\" must be a list"));
    std::vector<ResourcePtr> resources;
    for (size_t i = 0; i < list.size(); ++i) {
      absl::StatusOr<ResourcePtr> resource = api::ParseResource(*kind, list[i].dump());
      if (!resource.ok()) {
        return error(absl::StrCat(type, "[", i, "]: ", resource.status().message()));
      }
      resources.push_back(*std::move(resource));
    }
    ResourceMap map;
    for (const ResourcePtr& resource : resources) {
      if (map.contains(resource->name())) {
        return error(absl::StrCat(type, ": \"", resource->name(), "\" is listed twice"));
      }
      map = map.With(resource);
    }
    if (!map.empty()) overlay.emplace(std::string(kind->type_url), std::move(map));
  }
  return overlay;
}

absl::Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError("cannot create", temporary);
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status status = ErrnoError("cannot write", temporary);
      ::close(fd);
      return status;
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    absl::Status status = ErrnoError("cannot fsync", temporary);
    ::close(fd);
    return status;
  }
  if (::close(fd) != 0) return ErrnoError("cannot close", temporary);
  if (::rename(temporary.c_str(), path.c_str()) != 0) return ErrnoError("cannot rename to", path);
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return ErrnoError("cannot open", dir);
  const int synced = ::fsync(dir_fd);
  ::close(dir_fd);
  if (synced != 0) return ErrnoError("cannot fsync", dir);
  return absl::OkStatus();
}

}  // namespace xdsd::config
