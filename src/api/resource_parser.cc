#include "api/resource_parser.h"

#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "api/envoy_api.h"
#include "api/validate_resource.h"
#include "xdsd/refusals.h"

namespace xdsd::api {

absl::StatusOr<DecodedResource> DecodeResource(const ResourceType& type, std::string_view json,
                                               std::vector<validate::Violation>* violations) {
  const EnvoyApi& api = EnvoyApi::Get();
  const std::string_view type_name = FullTypeName(type.type_url);
  absl::StatusOr<std::string> bytes = api.JsonToBinary(type_name, json);
  if (!bytes.ok()) return bytes.status();
  DecodedResource decoded;
  decoded.message = api.NewMessage(type_name);
  if (decoded.message == nullptr || !decoded.message->ParseFromString(*bytes)) {
    return absl::InternalError("internal error: the parsed resource does not decode");
  }
  absl::StatusOr<std::string> name = ResourceName(*decoded.message);
  if (!name.ok()) return name.status();
  if (name->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a ", absl::string_view(type.noun.data(), type.noun.size()), " needs a ",
                     absl::string_view(type.name_field.data(), type.name_field.size())));
  }
  decoded.name = *std::move(name);
  std::vector<validate::Violation> found = ValidateResource(*decoded.message);
  if (!found.empty()) {
    // One count per refused resource, whoever reports it (the loader, the fleet API).
    CountRefusal("api_rule_violated",
                 absl::StrCat(decoded.name, ": ", found.front().path, ": ", found.front().message));
  }
  if (violations != nullptr) {
    violations->insert(violations->end(), std::make_move_iterator(found.begin()),
                       std::make_move_iterator(found.end()));
  } else if (!found.empty()) {
    return absl::InvalidArgumentError(validate::JoinViolations(found));
  }
  return decoded;
}

absl::StatusOr<ResourcePtr> ParseResource(const ResourceType& type, std::string_view json,
                                          std::chrono::milliseconds ttl) {
  absl::StatusOr<DecodedResource> decoded = DecodeResource(type, json);
  if (!decoded.ok()) return decoded.status();
  return Resource::FromMessage(*decoded->message, ttl);
}

}  // namespace xdsd::api
