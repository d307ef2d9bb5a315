#pragma once

#include <string_view>

namespace xdsd::admin {

// The dashboard page served at GET /: dashboard.html of this folder, compiled into the binary
// at build time (dashboard.cmake). One self-contained HTML document; it polls GET /v1/config
// and GET /v1/nodes from the same origin.
std::string_view DashboardHtml();

}  // namespace xdsd::admin
