#include "rest/fleet_api.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "api/input_limits.h"
#include "api/resource_parser.h"
#include "rest/json_reply.h"
#include "xdsd/resource.h"
#include "xdsd/status_codes.h"

namespace xdsd::rest {

HttpReply FleetApi::Get(std::string_view type) const {
  const std::string_view type_url = TypeUrlFromShortName(type);
  if (type_url.empty())
    return ErrorReply(404, absl::StrCat("unknown type \"", std::string(type), "\""));
  nlohmann::json resources = nlohmann::json::object();
  for (const auto& [name, resource] : publisher_->OverlayResources(type_url)) {
    resources[name] = resource->version();
  }
  return JsonReply(200, {{"type_url", std::string(type_url)},
                         {"resources", resources},
                         {"note",
                          "the fleet overlay: served to every node, in place of the config's "
                          "resources of the same names"}});
}

HttpReply FleetApi::Change(std::string_view type_url, const std::vector<ResourcePtr>& upserts,
                           const std::vector<std::string>& removals, nlohmann::json ok,
                           std::string_view who) const {
  if (writer_) {
    absl::StatusOr<int64_t> revision = writer_(type_url, upserts, removals, who);
    if (!revision.ok()) return ErrorReply(revision.status());
    ok["etcd_revision"] = *revision;
    return JsonReply(200, ok);
  }
  absl::Status changed = publisher_->ChangeOverlay(type_url, upserts, removals, std::string(who));
  if (!changed.ok()) return ErrorReply(changed);
  return JsonReply(200, ok);
}

HttpReply FleetApi::Put(std::string_view type, std::string_view name, std::string_view body,
                        std::string_view who) const {
  const std::string_view type_url = TypeUrlFromShortName(type);
  if (type_url.empty())
    return ErrorReply(404, absl::StrCat("unknown type \"", std::string(type), "\""));
  absl::StatusOr<ResourcePtr> resource = api::ParseResource(*FindResourceType(type_url), body);
  if (!resource.ok()) return ErrorReply(400, std::string(resource.status().message()));
  if ((*resource)->name() != name) {
    return ErrorReply(400, absl::StrCat("the resource is named \"", (*resource)->name(),
                                        "\", the path \"", std::string(name), "\""));
  }
  return Change(type_url, {*resource}, {},
                {{"name", (*resource)->name()}, {"version", (*resource)->version()}}, who);
}

HttpReply FleetApi::Delete(std::string_view type, std::string_view name,
                           std::string_view who) const {
  const std::string_view type_url = TypeUrlFromShortName(type);
  if (type_url.empty())
    return ErrorReply(404, absl::StrCat("unknown type \"", std::string(type), "\""));
  return Change(type_url, {}, {std::string(name)}, {{"removed", std::string(name)}}, who);
}

HttpReply FleetApi::Post(std::string_view type, std::string_view body, std::string_view who) const {
  const std::string_view type_url = TypeUrlFromShortName(type);
  if (type_url.empty())
    return ErrorReply(404, absl::StrCat("unknown type \"", std::string(type), "\""));
  // Checked before parsing: the library's dump() and destructor recurse once per level.
  if (absl::Status depth = api::CheckJsonNesting(body); !depth.ok()) {
    return ErrorReply(400, std::string(depth.message()));
  }
  nlohmann::json request = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!request.is_object()) return ErrorReply(400, "the body must be a JSON object {set, remove}");
  for (const auto& [key, value] : request.items()) {
    if (key != "set" && key != "remove") {
      return ErrorReply(400, absl::StrCat("unknown key \"", key, "\" (known: set, remove)"));
    }
    if (!value.is_array()) return ErrorReply(400, absl::StrCat("\"", key, "\" must be a list"));
  }
  std::vector<ResourcePtr> upserts;
  for (size_t i = 0; i < request.value("set", nlohmann::json::array()).size(); ++i) {
    absl::StatusOr<ResourcePtr> resource =
        api::ParseResource(*FindResourceType(type_url), request["set"][i].dump());
    if (!resource.ok()) {
      return ErrorReply(400,
                        absl::StrCat("set[", i, "]: ", std::string(resource.status().message())));
    }
    upserts.push_back(*std::move(resource));
  }
  std::vector<std::string> removals;
  for (const auto& name : request.value("remove", nlohmann::json::array())) {
    if (!name.is_string()) return ErrorReply(400, "\"remove\" must be a list of names");
    removals.push_back(name.get<std::string>());
  }
  return Change(type_url, upserts, removals,
                {{"set", upserts.size()}, {"removed", removals.size()}}, who);
}

}  // namespace xdsd::rest
