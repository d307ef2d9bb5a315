#include "admin/admin_server.h"

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "admin/config_dump_json.h"
#include "admin/dashboard/dashboard.h"
#include "admin/node_status_json.h"
#include "admin/prometheus_text.h"
#include "config/rollout_planner.h"
#include "nlohmann/json.hpp"
#include "xdsd/status_codes.h"

namespace xdsd::admin {
namespace {

constexpr char kJson[] = "application/json";
// The nodes in one answer of GET /v1/nodes, unless ?limit= says otherwise, and the most it may.
constexpr size_t kDefaultNodesPerPage = 1000;
constexpr size_t kMaxNodesPerPage = 10000;

void SendError(const absl::Status& status, HttpResponse& response) {
  response.status = HttpStatusCode(status);
  response.set_content(nlohmann::json{{"error", std::string(status.message())}}.dump() + "\n",
                       kJson);
}

// Sends a reply of the REST pieces; a 304 has no body.
void Send(const rest::HttpReply& reply, HttpResponse& response) {
  response.status = reply.status;
  if (reply.status != 304) response.set_content(reply.body, reply.content_type);
}

}  // namespace

AdminServer::AdminServer(const SnapshotCache* cache, HttpServerOptions options, AdminAuth auth)
    : cache_(cache),
      auth_(std::move(auth)),
      http_(std::make_unique<HttpServer>(std::move(options))) {
  AddRoutes();
}

AdminServer::~AdminServer() { Stop(); }

void AdminServer::SetConfigStatus(std::function<nlohmann::json()> status) {
  config_status_ = std::move(status);
}

void AdminServer::SetConfigReload(std::function<ReloadReply()> reload) {
  config_reload_ = std::move(reload);
}

void AdminServer::SetConfigResources(std::function<std::string()> resources) {
  config_resources_ = std::move(resources);
}

void AdminServer::SetRestGateway(const rest::RestGateway* gateway) { rest_gateway_ = gateway; }

void AdminServer::SetFleetApi(const rest::FleetApi* fleet) { fleet_api_ = fleet; }

void AdminServer::SetSourceMetrics(std::function<void(PrometheusText&)> write) {
  source_metrics_ = std::move(write);
}
void AdminServer::SetHistoryApi(const rest::HistoryApi* history) { history_api_ = history; }

void AdminServer::SetMetrics(const XdsMetrics* metrics) { metrics_ = metrics; }

void AdminServer::SetChangeLog(
    std::function<void(const std::string& who, const std::string& what)> log) {
  change_log_ = std::move(log);
}

void AdminServer::AddRoutes() {
  // The dashboard: one self-contained page that polls /v1/config and /v1/nodes. The policy
  // forbids any other origin, so nothing the nodes report can load or send anything elsewhere.
  http_->Get("/", [](const HttpRequest&, HttpResponse& response) {
    response.set_header("Content-Security-Policy",
                        "default-src 'none'; script-src 'unsafe-inline'; "
                        "style-src 'unsafe-inline'; connect-src 'self'; img-src data:; "
                        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    response.set_header("X-Content-Type-Options", "nosniff");
    response.set_header("Cache-Control", "no-cache");
    response.set_content(std::string(DashboardHtml()), "text/html; charset=utf-8");
  });
  http_->Get("/healthz", [](const HttpRequest&, HttpResponse& response) {
    response.set_content("ok\n", "text/plain");
  });
  http_->Get("/readyz", [this](const HttpRequest&, HttpResponse& response) {
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
  http_->Get("/metrics", [this](const HttpRequest&, HttpResponse& response) {
    PrometheusText text;
    if (metrics_ != nullptr) metrics_->WriteTo(text);
    if (source_metrics_) source_metrics_(text);
    if (history_api_ != nullptr && history_api_->planner() != nullptr) {
      WriteRolloutMetrics(*history_api_->planner(), text);
    }
    WriteSnapshotMetrics(*cache_, text);
    response.set_content(text.Take(), PrometheusText::kContentType);
  });
  http_->Get("/v1/config_dump", [this](const HttpRequest& request, HttpResponse& response) {
    if (auto refused = auth_.Check(request, AdminAuth::Access::kContents)) {
      response = *std::move(refused);
      return;
    }
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
  // A page of nodes: ?limit=N (default 1000, at most 10000), &after=ID; the header
  // X-Next-After gives the next page's `after` when there is one. Metadata only with
  // ?metadata=1.
  http_->Get("/v1/nodes", [this](const HttpRequest& request, HttpResponse& response) {
    NodePageQuery query;
    query.connected_only = request.get_param_value("connected") == "true";
    query.with_metadata = request.get_param_value("metadata") == "1";
    query.after = request.get_param_value("after");
    query.limit = kDefaultNodesPerPage;
    if (request.has_param("limit")) {
      size_t limit = 0;
      if (!absl::SimpleAtoi(request.get_param_value("limit"), &limit) || limit == 0 ||
          limit > kMaxNodesPerPage) {
        SendError(absl::InvalidArgumentError(
                      absl::StrCat("limit must be a number from 1 to ", kMaxNodesPerPage)),
                  response);
        return;
      }
      query.limit = limit;
    }
    const NodePage page = cache_->node_status().Page(query);
    if (!page.next_after.empty()) response.set_header("X-Next-After", page.next_after);
    nlohmann::json nodes = NodeStatusesToJson(page.nodes, query.with_metadata);
    // The group each node is served, so that `xdsd status --version` can tell which versions
    // it is to ACK, and the revision a rollout serves it when it is on a rollout's key.
    for (size_t i = 0; i < page.nodes.size(); ++i) {
      const config::RolloutKey key = config::SplitRolloutKey(cache_->KeyOf(page.nodes[i].node));
      nodes[i]["group"] = key.group;
      if (key.revision != 0) nodes[i]["rollout_revision"] = key.revision;
    }
    response.set_content(nodes.dump(2) + "\n", kJson);
  });
  http_->Get(R"(/v1/nodes/(.+))", [this](const HttpRequest& request, HttpResponse& response) {
    const std::string id = request.matches[1];
    std::optional<NodeStatus> status = cache_->GetNodeStatus(id);
    if (!status.has_value()) {
      SendError(absl::NotFoundError(absl::StrCat("no node \"", id, "\" was seen")), response);
      return;
    }
    response.set_content(
        NodeStatusToJson(*status, request.get_param_value("metadata") == "1").dump(2) + "\n",
        kJson);
  });
  http_->Get("/v1/config", [this](const HttpRequest&, HttpResponse& response) {
    if (!config_status_) {
      SendError(absl::NotFoundError("no config source"), response);
      return;
    }
    response.set_content(config_status_().dump(2) + "\n", kJson);
  });
  http_->Post("/v1/config/reload", [this](const HttpRequest& request, HttpResponse& response) {
    if (auto refused = auth_.Check(request, AdminAuth::Access::kChange)) {
      response = *std::move(refused);
      return;
    }
    if (!config_reload_) {
      SendError(absl::NotFoundError("no config source"), response);
      return;
    }
    const ReloadReply reply = config_reload_();
    response.status = reply.status;
    response.set_content(reply.body.dump(2) + "\n", kJson);
    if (change_log_) change_log_(auth_.Who(request), "POST /v1/config/reload");
  });
  http_->Get("/v1/config/resources", [this](const HttpRequest&, HttpResponse& response) {
    if (!config_resources_) {
      SendError(absl::NotFoundError("no config source"), response);
      return;
    }
    response.set_content(config_resources_(), kJson);
  });
  http_->Post(R"(/v3/discovery:([A-Za-z_-]+))",
              [this](const HttpRequest& request, HttpResponse& response) {
                if (rest_gateway_ == nullptr) {
                  SendError(absl::NotFoundError("the REST gateway is off"), response);
                  return;
                }
                Send(rest_gateway_->Handle(request.matches[1], request.body), response);
              });
  // The fleet-wide resources (the incremental cache), when a FleetApi is set.
  // A change needs the token and is logged with who made it once it is accepted.
  auto fleet = [this](auto handle, bool changes) {
    return [this, handle, changes](const HttpRequest& request, HttpResponse& response) {
      if (fleet_api_ == nullptr) {
        SendError(absl::NotFoundError("the fleet API is off"), response);
        return;
      }
      if (changes) {
        if (auto refused = auth_.Check(request, AdminAuth::Access::kChange)) {
          response = *std::move(refused);
          return;
        }
      }
      Send(handle(*fleet_api_, request, auth_.Who(request)), response);
      if (changes && response.status / 100 == 2 && change_log_) {
        change_log_(auth_.Who(request), absl::StrCat(request.method, " ", request.path));
      }
    };
  };
  http_->Get(R"(/v1/fleet/([a-z_]+))",
             fleet([](const rest::FleetApi& api, const auto& request,
                      const std::string&) { return api.Get(request.matches[1]); },
                   false));
  http_->Post(
      R"(/v1/fleet/([a-z_]+))",
      fleet([](const rest::FleetApi& api, const auto& request,
               const std::string& who) { return api.Post(request.matches[1], request.body, who); },
            true));
  http_->Put(R"(/v1/fleet/([a-z_]+)/(.+))",
             fleet(
                 [](const rest::FleetApi& api, const auto& request, const std::string& who) {
                   return api.Put(request.matches[1], request.matches[2], request.body, who);
                 },
                 true));
  http_->Delete(R"(/v1/fleet/([a-z_]+)/(.+))",
                fleet(
                    [](const rest::FleetApi& api, const auto& request, const std::string& who) {
                      return api.Delete(request.matches[1], request.matches[2], who);
                    },
                    true));
  AddHistoryRoutes();
}

void AdminServer::AddHistoryRoutes() {
  auto history = [this](HttpResponse& response) {
    if (history_api_ == nullptr) SendError(absl::NotFoundError("no config history"), response);
    return history_api_ != nullptr;
  };
  http_->Get("/v1/config/history", [this, history](const HttpRequest&, HttpResponse& response) {
    if (history(response)) Send(history_api_->History(), response);
  });
  http_->Get(
      "/v1/config/diff", [this, history](const HttpRequest& request, HttpResponse& response) {
        if (auto refused = auth_.Check(request, AdminAuth::Access::kContents)) {
          response = *std::move(refused);
          return;
        }
        if (history(response)) {
          Send(history_api_->Diff(request.get_param_value("from"), request.get_param_value("to")),
               response);
        }
      });
  http_->Post("/v1/config/rollback",
              [this, history](const HttpRequest& request, HttpResponse& response) {
                if (auto refused = auth_.Check(request, AdminAuth::Access::kChange)) {
                  response = *std::move(refused);
                  return;
                }
                if (!history(response)) return;
                const std::string who = auth_.Who(request);
                Send(history_api_->Rollback(request.body, who), response);
                if (response.status == 200 && change_log_) {
                  change_log_(who, absl::StrCat("rollback: ", request.body));
                }
              });
  http_->Get("/v1/rollout", [this, history](const HttpRequest&, HttpResponse& response) {
    if (history(response)) Send(history_api_->Rollout(), response);
  });
  // Promote and abort: the admin token, and a line in the change log once done.
  auto steer = [this, history](std::string_view what, auto act) {
    return [this, history, what, act](const HttpRequest& request, HttpResponse& response) {
      if (auto refused = auth_.Check(request, AdminAuth::Access::kChange)) {
        response = *std::move(refused);
        return;
      }
      if (!history(response)) return;
      Send(act(*history_api_), response);
      if (response.status == 200 && change_log_) change_log_(auth_.Who(request), std::string(what));
    };
  };
  http_->Post("/v1/rollout/promote",
              steer("rollout promote", [](const rest::HistoryApi& api) { return api.Promote(); }));
  http_->Post("/v1/rollout/abort",
              steer("rollout abort", [](const rest::HistoryApi& api) { return api.Abort(); }));
}

absl::StatusOr<int> AdminServer::Start(const std::string& host, int port) {
  return http_->Start(host, port);
}

void AdminServer::Stop() { http_->Stop(); }

}  // namespace xdsd::admin
