#include "admin/admin_server.h"

#include <sys/socket.h>

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "admin/config_dump_json.h"
#include "admin/dashboard/dashboard.h"
#include "admin/node_status_json.h"
#include "admin/prometheus_text.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "xdsd/status_codes.h"

namespace xdsd::admin {
namespace {

constexpr char kJson[] = "application/json";

void SendError(const absl::Status& status, httplib::Response& response) {
  response.status = HttpStatusCode(status);
  response.set_content(nlohmann::json{{"error", std::string(status.message())}}.dump() + "\n",
                       kJson);
}

// Sends a reply of the REST pieces; a 304 has no body.
void Send(const rest::HttpReply& reply, httplib::Response& response) {
  response.status = reply.status;
  if (reply.status != 304) response.set_content(reply.body, reply.content_type.c_str());
}

}  // namespace

AdminServer::AdminServer(const SnapshotCache* cache)
    : cache_(cache), http_(std::make_unique<httplib::Server>()) {
  // httplib's default sets SO_REUSEPORT, which lets a second xdsd bind the same port and take
  // half the requests; SO_REUSEADDR alone makes that an error while still allowing a restart.
  http_->set_socket_options([](int socket) {
    int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  AddRoutes();
}

AdminServer::~AdminServer() { Stop(); }

void AdminServer::SetConfigStatus(std::function<nlohmann::json()> status) {
  config_status_ = std::move(status);
}

void AdminServer::SetRestGateway(const rest::RestGateway* gateway) { rest_gateway_ = gateway; }

void AdminServer::SetFleetApi(const rest::FleetApi* fleet) { fleet_api_ = fleet; }

void AdminServer::SetMetrics(const XdsMetrics* metrics) { metrics_ = metrics; }

void AdminServer::AddRoutes() {
  // The dashboard: one self-contained page that polls /v1/config and /v1/nodes. The policy
  // forbids any other origin, so nothing the nodes report can load or send anything elsewhere.
  http_->Get("/", [](const httplib::Request&, httplib::Response& response) {
    response.set_header("Content-Security-Policy",
                        "default-src 'none'; script-src 'unsafe-inline'; "
                        "style-src 'unsafe-inline'; connect-src 'self'; img-src data:; "
                        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    response.set_header("X-Content-Type-Options", "nosniff");
    response.set_header("Cache-Control", "no-cache");
    const std::string_view html = DashboardHtml();
    response.set_content(html.data(), html.size(), "text/html; charset=utf-8");
  });
  http_->Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok\n", "text/plain");
  });
  http_->Get("/readyz", [this](const httplib::Request&, httplib::Response& response) {
    const bool config_loaded = config_loaded_.load();
    const bool grpc_serving = grpc_serving_.load();
    if (config_loaded && grpc_serving) {
      response.set_content("ready\n", "text/plain");
      return;
    }
    std::string missing;
    if (!config_loaded) missing += "; the config is not loaded";
    if (!grpc_serving) missing += "; the xDS gRPC server is not serving";
    response.status = 503;
    response.set_content(absl::StrCat("not ready", missing, "\n"), "text/plain");
  });
  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    PrometheusText text;
    if (metrics_ != nullptr) metrics_->WriteTo(text);
    WriteSnapshotMetrics(*cache_, text);
    response.set_content(text.Take(), PrometheusText::kContentType);
  });
  http_->Get(
      "/v1/config_dump", [this](const httplib::Request& request, httplib::Response& response) {
        if (!request.has_param("node")) {
          SendError(absl::InvalidArgumentError("give the node: /v1/config_dump?node=ID"), response);
          return;
        }
        absl::StatusOr<nlohmann::json> dump =
            ConfigDumpToJson(*cache_, request.get_param_value("node"));
        if (!dump.ok()) {
          SendError(dump.status(), response);
          return;
        }
        response.set_content(dump->dump(2) + "\n", kJson);
      });
  http_->Get("/v1/nodes", [this](const httplib::Request& request, httplib::Response& response) {
    const bool connected_only = request.get_param_value("connected") == "true";
    response.set_content(NodeStatusesToJson(cache_->NodeStatuses(connected_only)).dump(2) + "\n",
                         kJson);
  });
  http_->Get(
      R"(/v1/nodes/(.+))", [this](const httplib::Request& request, httplib::Response& response) {
        const std::string id = request.matches[1];
        std::optional<NodeStatus> status = cache_->GetNodeStatus(id);
        if (!status.has_value()) {
          SendError(absl::NotFoundError(absl::StrCat("no node \"", id, "\" was seen")), response);
          return;
        }
        response.set_content(NodeStatusToJson(*status).dump(2) + "\n", kJson);
      });
  http_->Get("/v1/config", [this](const httplib::Request&, httplib::Response& response) {
    if (!config_status_) {
      SendError(absl::NotFoundError("no config source"), response);
      return;
    }
    response.set_content(config_status_().dump(2) + "\n", kJson);
  });
  http_->Post(R"(/v3/discovery:([A-Za-z_-]+))",
              [this](const httplib::Request& request, httplib::Response& response) {
                if (rest_gateway_ == nullptr) {
                  SendError(absl::NotFoundError("the REST gateway is off"), response);
                  return;
                }
                Send(rest_gateway_->Handle(request.matches[1].str(), request.body), response);
              });
  // The fleet-wide resources (the incremental cache), when a FleetApi is set.
  auto fleet = [this](auto handle) {
    return [this, handle](const httplib::Request& request, httplib::Response& response) {
      if (fleet_api_ == nullptr) {
        SendError(absl::NotFoundError("the fleet API is off"), response);
        return;
      }
      Send(handle(*fleet_api_, request), response);
    };
  };
  http_->Get(R"(/v1/fleet/([a-z_]+))", fleet([](const rest::FleetApi& api, const auto& request) {
               return api.Get(request.matches[1].str());
             }));
  http_->Post(R"(/v1/fleet/([a-z_]+))", fleet([](const rest::FleetApi& api, const auto& request) {
                return api.Post(request.matches[1].str(), request.body);
              }));
  http_->Put(R"(/v1/fleet/([a-z_]+)/(.+))",
             fleet([](const rest::FleetApi& api, const auto& request) {
               return api.Put(request.matches[1].str(), request.matches[2].str(), request.body);
             }));
  http_->Delete(R"(/v1/fleet/([a-z_]+)/(.+))",
                fleet([](const rest::FleetApi& api, const auto& request) {
                  return api.Delete(request.matches[1].str(), request.matches[2].str());
                }));
  http_->set_error_handler([](const httplib::Request& request, httplib::Response& response) {
    if (response.status == 404 && response.body.empty()) {
      SendError(absl::NotFoundError(absl::StrCat("no such endpoint: ", request.path)), response);
    }
  });
}

absl::StatusOr<int> AdminServer::Start(const std::string& host, int port) {
  if (thread_.joinable()) return absl::FailedPreconditionError("admin server already started");
  int bound_port = port;
  if (port == 0) {
    bound_port = http_->bind_to_any_port(host);
    if (bound_port < 0) bound_port = 0;
  } else if (!http_->bind_to_port(host, port)) {
    bound_port = 0;
  }
  if (bound_port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("admin HTTP server cannot listen on ", host, ":", port));
  }
  thread_ = std::thread([server = http_.get()] { server->listen_after_bind(); });
  // httplib's stop() only takes effect once the accept loop runs; wait for it so that a Stop()
  // right after Start() cannot be lost. It starts at once: the socket is already bound.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!http_->is_running() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  return bound_port;
}

void AdminServer::Stop() {
  if (!thread_.joinable()) return;
  http_->stop();
  thread_.join();
}

}  // namespace xdsd::admin
