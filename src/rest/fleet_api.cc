#include "rest/fleet_api.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "api/resource_parser.h"
#include "xdsd/resource.h"

namespace xdsd::rest {
namespace {

HttpReply Json(int status, const nlohmann::json& body) {
  // An error may quote the request's bytes, which need not be UTF-8: replaced, never thrown.
  return HttpReply{status, "application/json",
                   body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
}

HttpReply Error(int status, std::string_view message) {
  return Json(status, {{"error", std::string(message)}});
}

}  // namespace

HttpReply FleetApi::Get(std::string_view type) const {
  const std::string_view type_url = TypeUrlFromShortName(type);
  if (type_url.empty()) return Error(404, absl::StrCat("unknown type \"", std::string(type), "\""));
  nlohmann::json resources = nlohmann::json::object();
  if (std::optional<ResourceMap> served = cache_->TypeResources(type_url)) {
    for (const auto& [name, resource] : *served) resources[name] = resource->version();
  }
  return Json(200, {{"type_url", std::string(type_url)}, {"resources", resources}});
}

HttpReply FleetApi::Put(std::string_view type, std::string_view name, std::string_view body) const {
  const std::string_view type_url = TypeUrlFromShortName(type);
  if (type_url.empty()) return Error(404, absl::StrCat("unknown type \"", std::string(type), "\""));
  absl::StatusOr<ResourcePtr> resource = api::ParseResource(*FindResourceType(type_url), body);
  if (!resource.ok()) return Error(400, std::string(resource.status().message()));
  if ((*resource)->name() != name) {
    return Error(400, absl::StrCat("the resource is named \"", (*resource)->name(),
                                   "\", the path \"", std::string(name), "\""));
  }
  cache_->UpdateTypeResources(type_url, {*resource});
  return Json(200, {{"name", (*resource)->name()}, {"version", (*resource)->version()}});
}

HttpReply FleetApi::Delete(std::string_view type, std::string_view name) const {
  const std::string_view type_url = TypeUrlFromShortName(type);
  if (type_url.empty()) return Error(404, absl::StrCat("unknown type \"", std::string(type), "\""));
  std::optional<ResourceMap> served = cache_->TypeResources(type_url);
  if (!served.has_value() || !served->contains(name)) {
    return Error(404, absl::StrCat("no ", std::string(type), " \"", std::string(name),
                                   "\" is served fleet-wide"));
  }
  cache_->UpdateTypeResources(type_url, {}, {std::string(name)});
  return Json(200, {{"removed", std::string(name)}});
}

HttpReply FleetApi::Post(std::string_view type, std::string_view body) const {
  const std::string_view type_url = TypeUrlFromShortName(type);
  if (type_url.empty()) return Error(404, absl::StrCat("unknown type \"", std::string(type), "\""));
  nlohmann::json request = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!request.is_object()) return Error(400, "the body must be a JSON object {set, remove}");
  for (const auto& [key, value] : request.items()) {
    if (key != "set" && key != "remove") {
      return Error(400, absl::StrCat("unknown key \"", key, "\" (known: set, remove)"));
    }
    if (!value.is_array()) return Error(400, absl::StrCat("\"", key, "\" must be a list"));
  }
  std::vector<ResourcePtr> upserts;
  for (size_t i = 0; i < request.value("set", nlohmann::json::array()).size(); ++i) {
    absl::StatusOr<ResourcePtr> resource =
        api::ParseResource(*FindResourceType(type_url), request["set"][i].dump());
    if (!resource.ok()) {
      return Error(400, absl::StrCat("set[", i, "]: ", std::string(resource.status().message())));
    }
    upserts.push_back(*std::move(resource));
  }
  std::vector<std::string> removals;
  for (const auto& name : request.value("remove", nlohmann::json::array())) {
    if (!name.is_string()) return Error(400, "\"remove\" must be a list of names");
    removals.push_back(name.get<std::string>());
  }
  cache_->UpdateTypeResources(type_url, upserts, removals);
  return Json(200, {{"set", upserts.size()}, {"removed", removals.size()}});
}

}  // namespace xdsd::rest
