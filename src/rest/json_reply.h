#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "rest/rest_gateway.h"
#include "xdsd/status_codes.h"

namespace xdsd::rest {

// A JSON reply of the admin APIs. Replacing what is not UTF-8 (it could only come from an
// echoed name) keeps dump() from throwing.
inline HttpReply JsonReply(int status, const nlohmann::json& body) {
  return HttpReply{status, "application/json",
                   body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
}

// {"error": message}.
inline HttpReply ErrorReply(int status, std::string_view message) {
  return JsonReply(status, {{"error", std::string(message)}});
}

// {"error": the status's message}, with the status's HTTP code.
inline HttpReply ErrorReply(const absl::Status& status) {
  return ErrorReply(HttpStatusCode(status), std::string(status.message()));
}

}  // namespace xdsd::rest
