#include "api/validate_resource.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "api/envoy_api.h"
#include "xdsd/validate.h"

namespace xdsd::api {

std::vector<validate::Violation> ValidateResource(const google::protobuf::Message& message) {
  static const validate::MessageMaker kMake = [](std::string_view type_name) {
    return EnvoyApi::Get().NewMessage(type_name);
  };
  std::vector<validate::Violation> violations;
  validate::Check(message, kMake, &violations);
  return violations;
}

}  // namespace xdsd::api

namespace xdsd {

absl::Status Validate(const google::protobuf::Message& message) {
  std::vector<validate::Violation> violations = api::ValidateResource(message);
  if (violations.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(validate::JoinViolations(violations));
}

}  // namespace xdsd
