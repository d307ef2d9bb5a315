#pragma once

// The JSON of the config endpoints of the admin server: GET /v1/config and the answer of
// POST /v1/config/reload. Pure: thread-safe.

#include "absl/status/status.h"
#include "config/config_publisher.h"
#include "nlohmann/json.hpp"

namespace xdsd::cli {

// GET /v1/config: the config being served (source, version, load time, what each group is
// sent) and the last load error.
nlohmann::json ConfigStatusToJson(const config::ConfigStatus& status);

// The answer to a reload that returned `reloaded`, `status` being the publisher's after it:
// 200 with the version served, or 422 with the errors and the version still served.
struct ReloadJson {
  int http_status = 200;
  nlohmann::json body;
};
ReloadJson ReloadToJson(const absl::Status& reloaded, const config::ConfigStatus& status);

}  // namespace xdsd::cli
