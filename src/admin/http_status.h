#pragma once

#include "absl/status/status.h"

namespace xdsd::admin {

// The HTTP status code for an absl::Status: the one place the admin API maps errors (OK → 200,
// InvalidArgument → 400, NotFound → 404, Unavailable → 503, ...).
int HttpStatusCode(const absl::Status& status);

}  // namespace xdsd::admin
