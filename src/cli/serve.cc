#include "cli/serve.h"

#include <grpcpp/server_builder.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "admin/admin_server.h"
#include "admin/xds_metrics.h"
#include "api/redaction.h"
#include "cli/config_status_json.h"
#include "cli/logging_callbacks.h"
#include "cli/port_check.h"
#include "cli/serve_signals.h"
#include "config/config_loader.h"
#include "config/config_publisher.h"
#include "config/key_layout.h"
#include "config/node_authorizer.h"
#include "etcd/config_writes.h"
#include "etcd/etcd_client.h"
#include "etcd/etcd_config_source.h"
#include "etcd/etcd_history.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "nlohmann/json.hpp"
#include "rest/fleet_api.h"
#include "rest/history_api.h"
#include "rest/rest_gateway.h"
#include "spdlog/spdlog.h"
#include "status/client_status_service.h"
#include "status/sent_resources.h"
#include "xdsd/callbacks_chain.h"
#include "xdsd/refusals.h"
#include "xdsd/resource.h"
#include "xdsd/server.h"
#include "xdsd/snapshot_cache.h"

namespace xdsd::cli {
namespace {

// How long calls get to finish once the drain time is over and the connections are told to go
// away (GOAWAY), before they are cancelled. xDS streams never end by themselves (and gRPC also
// waits for idle client connections to go away), so this only lets responses and Fetch calls
// under way complete; the clients reconnect, to a replica or to the next xdsd.
constexpr absl::Duration kShutdownGrace = absl::Seconds(1);
// "clusters: 1 (version 0123456789abcdef), listeners: 1 (...)"; "no resources" when empty.
std::string SummarizeSnapshot(const Snapshot* snapshot) {
  if (snapshot == nullptr || snapshot->size() == 0) return "no resources";
  std::vector<std::string> parts;
  for (std::string_view type_url : kAdsOrder) {
    const size_t count = snapshot->Resources(type_url).size();
    if (count == 0) continue;
    parts.push_back(absl::StrCat(std::string(TypeShortName(type_url)), ": ", count, " (version ",
                                 snapshot->Version(type_url), ")"));
  }
  return absl::StrJoin(parts, ", ");
}

void LogConfigSummary(const std::string& source, const config::Config& config) {
  spdlog::info("config {}: default resources: {}", source,
               SummarizeSnapshot(config.default_snapshot.get()));
  for (const config::NodeGroup& group : config.groups) {
    spdlog::info("config {}: group \"{}\" (node cluster \"{}\", node id \"{}\"): {}", source,
                 group.name, group.cluster_glob, group.id_glob,
                 SummarizeSnapshot(group.snapshot.get()));
  }
}

// A duration as the int milliseconds of a gRPC channel argument.
int ClampedMillis(absl::Duration duration) {
  return static_cast<int>(
      std::clamp<int64_t>(absl::ToInt64Milliseconds(duration), 1, std::numeric_limits<int>::max()));
}

// The config source of `serve`: a file, the demo, or an etcd prefix (which also needs a client
// and the source that follows it).
struct ServedConfig {
  std::unique_ptr<etcd::EtcdClient> etcd_client;
  std::unique_ptr<etcd::EtcdConfigSource> etcd_source;
  std::unique_ptr<etcd::EtcdFleetWriter> fleet_writer;  // the fleet API's, with etcd
  std::unique_ptr<etcd::EtcdHistory> history;           // the shared history, with etcd
  std::unique_ptr<config::ConfigPublisher> publisher;
};

absl::StatusOr<ServedConfig> MakeServedConfig(const ServeOptions& options) {
  ServedConfig served;
  if (!etcd::IsEtcdUrl(options.config_path)) {
    served.publisher =
        std::make_unique<config::ConfigPublisher>(options.config_path, options.max_config_bytes);
    return served;
  }
  absl::StatusOr<etcd::EtcdUrl> url = etcd::ParseEtcdUrl(options.config_path);
  if (!url.ok()) return url.status();
  etcd::EtcdClientOptions client_options;
  client_options.endpoints = url->endpoints;
  client_options.ca_file = options.etcd_ca;
  client_options.cert_file = options.etcd_cert;
  client_options.key_file = options.etcd_key;
  client_options.call_timeout = options.etcd_timeout;
  client_options.max_response_bytes = options.max_config_bytes;
  absl::StatusOr<std::unique_ptr<etcd::EtcdClient>> client =
      etcd::EtcdClient::Create(client_options);
  if (!client.ok()) return client.status();
  served.etcd_client = *std::move(client);
  served.etcd_source = std::make_unique<etcd::EtcdConfigSource>(served.etcd_client.get(), *url);
  if (absl::Status loaded = served.etcd_source->Load(); !loaded.ok()) {
    return absl::Status(
        loaded.code(), absl::StrCat("cannot read the config from ", etcd::FormatEtcdUrl(*url), ": ",
                                    std::string(loaded.message())));
  }
  etcd::EtcdConfigSource* source = served.etcd_source.get();
  served.fleet_writer = std::make_unique<etcd::EtcdFleetWriter>(served.etcd_client.get(), *url,
                                                                source, options.etcd_timeout);
  served.history = std::make_unique<etcd::EtcdHistory>(served.etcd_client.get(), *url, source,
                                                       options.history_size, options.etcd_timeout);
  served.publisher = std::make_unique<config::ConfigPublisher>(
      etcd::FormatEtcdUrl(*url), [source] { return source->BuildConfig(); });
  return served;
}

// One line per push: how many nodes it reached and how long until they answered.

void LogPush(const PushReport& report) {
  std::vector<std::string> keys;
  for (const std::string& key : report.keys) keys.push_back(key.empty() ? "default" : key);
  const std::string what =
      absl::StrCat("push ", report.id, " (", absl::StrJoin(keys, ", "), "): ", report.nodes_reached,
                   " nodes reached, ", report.responses, " responses");
  const std::string answers =
      absl::StrCat(report.acked, " ACKed",
                   report.nacked > 0 ? absl::StrCat(", ", report.nacked, " NACKed") : "");
  const std::string elapsed =
      absl::FormatDuration(absl::Trunc(report.elapsed, absl::Microseconds(100)));
  if (report.responses == 0) {
    spdlog::debug("{}: nothing changed for the {} streams watching", what, report.streams);
  } else if (report.complete) {
    spdlog::info("{}; all answered in {}: {}", what, elapsed, answers);
  } else {
    spdlog::info("{}; overtaken by the next push after {}: {} of {} answered ({})", what, elapsed,
                 report.acked + report.nacked, report.responses, answers);
  }
}

absl::StatusOr<std::string> ReadFile(const std::string& path, const std::string& what) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read ", what, " ", path));
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// The admin server's limits, TLS key pair and token, from the flags.
absl::StatusOr<std::unique_ptr<admin::AdminServer>> MakeAdminServer(const ServeOptions& options,
                                                                    const SnapshotCache* cache) {
  admin::HttpServerOptions http;
  http.max_body_bytes = static_cast<size_t>(options.max_http_body_bytes);
  if (options.http_tls_cert.empty() != options.http_tls_key.empty()) {
    return absl::InvalidArgumentError("--http-tls-cert and --http-tls-key go together");
  }
  if (!options.http_tls_cert.empty()) {
    absl::StatusOr<std::string> cert = ReadFile(options.http_tls_cert, "--http-tls-cert");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadFile(options.http_tls_key, "--http-tls-key");
    if (!key.ok()) return key.status();
    http.tls_cert_pem = *std::move(cert);
    http.tls_key_pem = *std::move(key);
  }
  std::vector<admin::AdminToken> tokens;
  if (!options.admin_token_file.empty()) {
    absl::StatusOr<std::vector<admin::AdminToken>> read =
        admin::AdminAuth::ReadTokenFile(options.admin_token_file);
    if (!read.ok()) return read.status();
    tokens = *std::move(read);
  }
  return std::make_unique<admin::AdminServer>(cache, std::move(http),
                                              admin::AdminAuth(std::move(tokens)));
}

// `authorization:` and `csds_identities:` match client certificate identities, which only
// mutual TLS gives: without it they cannot be enforced.
absl::Status CheckIdentityRulesEnforceable(const config::Config& config, bool mutual_tls) {
  if (mutual_tls) return absl::OkStatus();
  const char* section = config.authorization.has_value()     ? "authorization"
                        : config.csds_identities.has_value() ? "csds_identities"
                                                             : nullptr;
  if (section == nullptr) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "the ", section,
      ": section matches client certificate identities, which only mutual TLS gives: serve "
      "with --xds-tls-cert, --xds-tls-key and --xds-client-ca, or remove it"));
}

// Forgets the nodes disconnected for longer than `forget_after`, checking a few times within
// that period (at most every 10 s), until destroyed.
class NodeSweeper {
 public:
  NodeSweeper(NodeStatusTracker* tracker, absl::Duration forget_after)
      : thread_([this, tracker, forget_after] {
          const absl::Duration every =
              std::clamp(forget_after / 4, absl::Milliseconds(50), absl::Seconds(10));
          while (!stop_.WaitForNotificationWithTimeout(every)) tracker->Sweep(absl::Now());
        }) {}
  ~NodeSweeper() {
    stop_.Notify();
    thread_.join();
  }
  NodeSweeper(const NodeSweeper&) = delete;
  NodeSweeper& operator=(const NodeSweeper&) = delete;

 private:
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace

absl::Status Run(const ServeOptions& options) {
  // Before any thread exists, so that every thread inherits the mask and only sigwait below
  // sees the signals.
  const sigset_t signals = HandledSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  SetUpLogging(options.log_level);

  absl::StatusOr<ServedConfig> served = MakeServedConfig(options);
  if (!served.ok()) return served.status();
  config::ConfigPublisher& publisher = *served->publisher;
  etcd::EtcdConfigSource* const etcd_source = served->etcd_source.get();
  publisher.SetMaxRemoval(options.max_removal);
  if (etcd_source != nullptr) {
    spdlog::info("fleet overlay kept in etcd, under {}/{}", publisher.status().source,
                 config::kFleetDir);
  }
  if (!options.state_dir.empty()) {
    std::error_code made;
    std::filesystem::create_directories(options.state_dir, made);
    if (made) {
      return absl::InternalError(
          absl::StrCat("cannot create --state-dir ", options.state_dir, ": ", made.message()));
    }
    // With etcd, etcd keeps the overlay, for every replica.
    if (etcd_source == nullptr) {
      const std::string overlay_file =
          (std::filesystem::path(options.state_dir) / "fleet_overlay.json").string();
      if (absl::Status kept = publisher.KeepOverlayIn(overlay_file); !kept.ok()) {
        return absl::Status(kept.code(), absl::StrCat("the fleet overlay could not be loaded (fix "
                                                      "or remove the file): ",
                                                      std::string(kept.message())));
      }
      spdlog::info("fleet overlay kept in {}", overlay_file);
    }
  }
  const std::string history_dir =
      options.state_dir.empty() ? ""
                                : (std::filesystem::path(options.state_dir) / "history").string();
  if (absl::Status kept = publisher.KeepHistory(options.history_size, history_dir); !kept.ok()) {
    return absl::Status(kept.code(), absl::StrCat("the config history could not be loaded (fix "
                                                  "or remove the file): ",
                                                  std::string(kept.message())));
  }
  if (absl::Status loaded = publisher.Load(); !loaded.ok()) {
    return absl::Status(loaded.code(),
                        absl::StrCat("config ", publisher.status().source, " is invalid:\n",
                                     std::string(loaded.message())));
  }
  LogConfigSummary(publisher.status().source, *publisher.config());
  const bool mutual_tls = !options.xds_client_ca.empty();
  if (absl::Status enforceable = CheckIdentityRulesEnforceable(*publisher.config(), mutual_tls);
      !enforceable.ok()) {
    return absl::Status(enforceable.code(), absl::StrCat("config ", publisher.status().source, ": ",
                                                         enforceable.message()));
  }
  std::shared_ptr<grpc::ServerCredentials> xds_credentials = grpc::InsecureServerCredentials();
  if (!options.xds_tls_cert.empty()) {
    ServerTlsOptions tls;
    tls.cert_file = options.xds_tls_cert;
    tls.key_file = options.xds_tls_key;
    tls.client_ca_file = options.xds_client_ca;
    tls.refresh = options.xds_tls_refresh;
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> made = MakeServerTlsCredentials(tls);
    if (!made.ok()) return made.status();
    xds_credentials = *std::move(made);
  }
  // The identity rules in force; a reload replaces them for the streams that open after it.
  config::NodeAuthorizer authorizer;
  authorizer.SetConfig(*publisher.config());

  // The node hash reads the current config's groups, so a reload that changes them applies to
  // the streams that open after it.
  PushOptions push;
  push.quiet = options.push_quiet;
  push.max_delay = options.push_max_delay;
  push.on_report = LogPush;
  SnapshotCache cache(
      [&publisher](const envoy::config::core::v3::Node& node) { return publisher.KeyOf(node); },
      push);
  // Which revision each node gets (rollout policies); detached before it and the cache go.
  config::RolloutPlanner::Options rollout_options;
  rollout_options.settle = absl::Seconds(1) + options.push_quiet;
  rollout_options.redact = [](std::string_view text) { return api::RedactSecretText(text); };
  config::RolloutPlanner planner(&cache, rollout_options);
  publisher.PublishTo(&cache, &planner);
  absl::Cleanup detach_publisher = [&publisher] { publisher.PublishTo(nullptr); };
  admin::XdsMetrics metrics;
  // After every reload, whether the file watcher or SIGHUP started it.
  auto report_reload = [&publisher, &metrics, &authorizer, mutual_tls](const absl::Status& status) {
    metrics.RecordConfigReload(status.ok());
    const config::ConfigStatus now = publisher.status();
    if (status.ok()) {
      spdlog::info("config {} reloaded: version {}", now.source, now.version);
      LogConfigSummary(now.source, *publisher.config());
      // Without mutual TLS no client has an identity, so new rules refuse every node: they
      // fail closed rather than being ignored.
      if (absl::Status enforceable = CheckIdentityRulesEnforceable(*publisher.config(), mutual_tls);
          !enforceable.ok()) {
        spdlog::error("config {}: {}; every node is refused until it is removed", now.source,
                      std::string(enforceable.message()));
      }
      authorizer.SetConfig(*publisher.config());
    } else {
      spdlog::error("config {} refused, still serving version {}:\n{}", now.source, now.version,
                    std::string(status.message()));
    }
  };
  // Stops following etcd before anything the reloads use is destroyed.
  absl::Cleanup stop_etcd = [etcd_source] {
    if (etcd_source != nullptr) etcd_source->Stop();
  };
  if (etcd_source != nullptr) {
    etcd_source->Start([&publisher, report_reload] { report_reload(publisher.Reload()); });
    spdlog::info("following {} from revision {}", publisher.status().source,
                 etcd_source->status().revision);
  } else if (!options.config_path.empty()) {
    publisher.OnReload(report_reload);
    if (absl::Status watching = publisher.Watch(); !watching.ok()) return watching;
    spdlog::info("watching {} for changes", options.config_path);
  }

  LoggingCallbacks logging;
  status::SentResources sent_resources;
  NodeLimits node_limits;
  node_limits.forget_after = options.forget_nodes_after;
  node_limits.max_nodes = options.max_nodes;
  node_limits.max_metadata_bytes = options.max_node_metadata_bytes;
  cache.node_status().SetLimits(node_limits);
  cache.node_status().OnForget(
      [&sent_resources](const std::string& node_id) { sent_resources.Forget(node_id); });
  NodeSweeper sweeper(&cache.node_status(), options.forget_nodes_after);
  // The authorizer first: a refused node reaches neither the logs of served nodes nor the
  // metrics of streams it never had.
  CallbacksChain callbacks({&authorizer, &planner, &logging, &metrics, &sent_resources});
  StreamLimits limits;
  limits.first_request_timeout = options.first_request_timeout;
  limits.send_timeout = options.send_timeout;
  limits.max_streams_per_connection = options.max_streams_per_connection;
  limits.max_message_bytes = options.max_grpc_message_bytes;
  XdsServer xds(&cache, &callbacks, limits);
  xds.SetMaxNamesPerStream(options.max_names_per_stream);
  // A NACK's text may quote the rejected resource: its secrets never reach a status or a log.
  xds.SetErrorTextRedactor([](std::string_view text) { return api::RedactSecretText(text); });
  xds.SetSotwFullResponses(options.sotw_full_responses);
  status::ClientStatusService csds(&cache, &sent_resources);
  // Under mutual TLS, CSDS answers only the identities the config's csds_identities: lists.
  csds.SetReadCheck([&authorizer, mutual_tls](const std::vector<std::string>& identities) {
    return authorizer.MayReadStatus(identities, mutual_tls);
  });
  status::EnableServerReflection();
  // One line for a port in use, before gRPC or libmicrohttpd get to log theirs.
  for (absl::Status free :
       {CheckPortFree(options.xds_address, options.xds_port, "xDS", "--xds-port"),
        CheckPortFree(options.http_address, options.http_port, "HTTP", "--http-port")}) {
    if (!free.ok()) return free;
  }
  int xds_port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> grpc_server = StartGrpcServer(
      xds, JoinHostPort(options.xds_address, options.xds_port), xds_credentials, &xds_port,
      [&csds, &options](grpc::ServerBuilder& builder) {
        status::AddStatusServices(builder, &csds);  // CSDS, health
        if (options.max_connection_age > absl::ZeroDuration()) {
          builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                                     ClampedMillis(options.max_connection_age));
          builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                                     ClampedMillis(options.max_connection_age_grace));
        }
      });
  if (!grpc_server.ok()) return grpc_server.status();

  rest::RestGateway rest_gateway(&cache, &callbacks);
  absl::StatusOr<std::unique_ptr<admin::AdminServer>> admin_server =
      MakeAdminServer(options, &cache);
  if (!admin_server.ok()) {
    (*grpc_server)->Shutdown(absl::ToChronoTime(absl::Now()));
    return admin_server.status();
  }
  admin::AdminServer& admin = **admin_server;
  admin.SetChangeLog([](const std::string& who, const std::string& what) {
    spdlog::info("admin change by {}: {}", who, what);
  });
  admin.SetConfigStatus([&publisher, etcd_source] {
    nlohmann::json json = ConfigStatusToJson(publisher.status());
    if (etcd_source != nullptr) json["etcd"] = EtcdStatusToJson(etcd_source->status());
    return json;
  });
  if (etcd_source != nullptr) {
    admin.SetSourceMetrics([etcd_source](admin::PrometheusText& out) {
      WriteEtcdMetrics(etcd_source->status(), out);
    });
  }
  admin.SetConfigResources([&publisher] {
    return config::ServedNamesToJson(config::ServedNamesOf(*publisher.config()));
  });
  admin.SetConfigReload([&publisher, &report_reload, &options] {
    if (options.config_path.empty()) {
      return admin::AdminServer::ReloadReply{
          409, {{"error", "the built-in demo has nothing to reload: serve a file (--config)"}}};
    }
    spdlog::info("POST /v1/config/reload: reloading {}", options.config_path);
    const absl::Status reloaded = publisher.Reload();
    report_reload(reloaded);
    ReloadJson answer = ReloadToJson(reloaded, publisher.status());
    return admin::AdminServer::ReloadReply{answer.http_status, std::move(answer.body)};
  });
  admin.SetRestGateway(&rest_gateway);
  rest::FleetApi::Writer fleet_writer;
  if (served->fleet_writer != nullptr) {
    fleet_writer = [writer = served->fleet_writer.get()](
                       std::string_view type_url, const std::vector<ResourcePtr>& upserts,
                       const std::vector<std::string>& removals, std::string_view who) {
      return writer->Change(type_url, upserts, removals, who);
    };
  }
  rest::FleetApi fleet_api(&publisher, std::move(fleet_writer));
  admin.SetFleetApi(&fleet_api);
  rest::HistoryApi history_api(&publisher, &planner, served->history.get());
  admin.SetHistoryApi(&history_api);
  admin.SetMetrics(&metrics);
  absl::StatusOr<int> http_port = admin.Start(options.http_address, options.http_port);
  if (!http_port.ok()) {
    (*grpc_server)->Shutdown(absl::ToChronoTime(absl::Now()));
    return http_port.status();
  }
  admin.SetConfigLoaded(true);  // Load() succeeded above; a failed reload keeps the last good one
  admin.SetGrpcServing(true);
  spdlog::info("xDS port security: {}", options.xds_tls_cert.empty() ? "plaintext"
                                        : mutual_tls ? "mutual TLS (clients need a certificate)"
                                                     : "TLS");
  spdlog::info("serving xDS (gRPC) on {}, admin HTTP on {}://{}",
               JoinHostPort(options.xds_address, xds_port),
               options.http_tls_cert.empty() ? "http" : "https",
               JoinHostPort(options.http_address, *http_port));

  int signal_number = 0;
  while (sigwait(&signals, &signal_number) == 0 && signal_number == SIGHUP) {
    if (options.config_path.empty()) {
      spdlog::info("received SIGHUP: the built-in demo has nothing to reload");
      continue;
    }
    spdlog::info("received SIGHUP: reloading {}", publisher.status().source);
    if (etcd_source != nullptr) {
      if (absl::Status read = etcd_source->Load(); !read.ok()) {
        spdlog::error("etcd unreachable, still serving version {}: {}", publisher.status().version,
                      std::string(read.message()));
        continue;
      }
    }
    report_reload(publisher.Reload());
  }
  spdlog::info("received {}: /readyz answers 503, xDS keeps serving for {} (drain time)",
               SignalName(signal_number), absl::FormatDuration(options.drain_time));
  admin.SetGrpcServing(false);  // load balancers stop sending new clients here
  if (grpc::HealthCheckServiceInterface* health = (*grpc_server)->GetHealthCheckService()) {
    health->SetServingStatus(false);
  }
  DrainUntil(signals, absl::Now() + options.drain_time);
  spdlog::info("drained: closing the xDS connections (calls under way get {} to finish)",
               absl::FormatDuration(kShutdownGrace));
  (*grpc_server)->Shutdown(absl::ToChronoTime(absl::Now() + kShutdownGrace));
  (*grpc_server)->Wait();
  spdlog::debug("xDS server stopped");
  admin.Stop();
  spdlog::debug("admin HTTP server stopped");
  spdlog::info("stopped");
  return absl::OkStatus();
}

}  // namespace xdsd::cli
