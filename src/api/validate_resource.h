#pragma once

#include <vector>

#include "google/protobuf/message.h"
#include "validate/validator.h"

namespace xdsd::api {

// The violations of the API's validation rules in `message` (validate::Check), with the payload
// of every Any decoded through the whole Envoy API (EnvoyApi::Get()). Thread-safe.
std::vector<validate::Violation> ValidateResource(const google::protobuf::Message& message);

}  // namespace xdsd::api
