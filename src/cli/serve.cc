#include "cli/serve.h"

#include <signal.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "admin/admin_server.h"
#include "admin/xds_metrics.h"
#include "cli/logging_callbacks.h"
#include "config/config_loader.h"
#include "config/config_publisher.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server.h"
#include "nlohmann/json.hpp"
#include "rest/fleet_api.h"
#include "rest/rest_gateway.h"
#include "spdlog/sinks/stdout_color_sinks.h"
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
// At most this many refusals are logged a second (all are counted in xdsd_refused_total).
constexpr int kRefusalLogsPerSecond = 10;

void SetUpLogging(spdlog::level::level_enum level) {
  auto logger = std::make_shared<spdlog::logger>(
      "xdsd", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);  // stderr: every line is visible at once
  spdlog::set_default_logger(std::move(logger));
  // One line per refusal, at most kRefusalLogsPerSecond a second: a flood of hostile input
  // must not become a flood of log.
  SetRefusalLogSink([](std::string_view reason, std::string_view detail) {
    static absl::Mutex mu(absl::kConstInit);
    static absl::Time window = absl::InfinitePast();
    static int in_window = 0;
    static int suppressed = 0;
    {
      absl::MutexLock lock(&mu);
      const absl::Time now = absl::Now();
      if (now - window >= absl::Seconds(1)) {
        if (suppressed > 0) spdlog::warn("refused: {} more refusals not logged", suppressed);
        window = now;
        in_window = 0;
        suppressed = 0;
      }
      if (++in_window > kRefusalLogsPerSecond) {
        ++suppressed;
        return;
      }
    }
    spdlog::warn("refused ({}): {}", reason, detail);
  });
}

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

// GET /v1/config: the config being served and the last load error.
nlohmann::json ConfigStatusToJson(const config::ConfigStatus& status) {
  auto time = [](absl::Time t) -> nlohmann::json {
    if (t == absl::InfinitePast()) return nullptr;
    return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
  };
  nlohmann::json json = {{"source", status.source},
                         {"version", status.version},
                         {"loaded_at", time(status.loaded_at)},
                         {"reloads_succeeded", status.reloads_succeeded},
                         {"reloads_failed", status.reloads_failed},
                         {"last_error", nullptr}};
  if (status.last_error.has_value()) {
    json["last_error"] = {{"message", *status.last_error}, {"at", time(status.last_error_at)}};
  }
  return json;
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

// SIGINT and SIGTERM stop xdsd (after the drain time), SIGHUP reloads the config.
sigset_t HandledSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  return signals;
}

std::string_view SignalName(int signal_number) {
  switch (signal_number) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
  }
  return "a signal";
}

// Waits until `deadline` for SIGINT or SIGTERM (a second one: skip the rest of the drain). Other
// signals that come meanwhile are logged and ignored.
void DrainUntil(const sigset_t& signals, absl::Time deadline) {
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return;
    const timespec timeout = absl::ToTimespec(left);
    const int signal_number = sigtimedwait(&signals, nullptr, &timeout);
    if (signal_number == SIGINT || signal_number == SIGTERM) {
      spdlog::info("received {} while draining: stopping now", SignalName(signal_number));
      return;
    }
    if (signal_number > 0) spdlog::info("{} ignored while draining", SignalName(signal_number));
  }
}

}  // namespace

absl::Status Run(const ServeOptions& options) {
  // Before any thread exists, so that every thread inherits the mask and only sigwait below
  // sees the signals.
  const sigset_t signals = HandledSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  SetUpLogging(options.log_level);

  config::ConfigPublisher publisher(options.config_path);
  if (absl::Status loaded = publisher.Load(); !loaded.ok()) {
    return absl::Status(loaded.code(),
                        absl::StrCat("config ", publisher.status().source, " is invalid:\n",
                                     std::string(loaded.message())));
  }
  LogConfigSummary(publisher.status().source, *publisher.config());

  // The node hash reads the current config's groups, so a reload that changes them applies to
  // the streams that open after it.
  PushOptions push;
  push.quiet = options.push_quiet;
  push.max_delay = options.push_max_delay;
  push.on_report = LogPush;
  SnapshotCache cache(
      [&publisher](const envoy::config::core::v3::Node& node) { return publisher.KeyOf(node); },
      push);
  publisher.PublishTo(&cache);
  admin::XdsMetrics metrics;
  // After every reload, whether the file watcher or SIGHUP started it.
  auto report_reload = [&publisher, &metrics](const absl::Status& status) {
    metrics.RecordConfigReload(status.ok());
    const config::ConfigStatus now = publisher.status();
    if (status.ok()) {
      spdlog::info("config {} reloaded: version {}", now.source, now.version);
      LogConfigSummary(now.source, *publisher.config());
    } else {
      spdlog::error("config {} refused, still serving version {}:\n{}", now.source, now.version,
                    std::string(status.message()));
    }
  };
  if (!options.config_path.empty()) {
    publisher.OnReload(report_reload);
    if (absl::Status watching = publisher.Watch(); !watching.ok()) return watching;
    spdlog::info("watching {} for changes", options.config_path);
  }

  LoggingCallbacks logging;
  status::SentResources sent_resources;
  CallbacksChain callbacks({&logging, &metrics, &sent_resources});
  StreamLimits limits;
  limits.first_request_timeout = options.first_request_timeout;
  limits.send_timeout = options.send_timeout;
  limits.max_streams_per_connection = options.max_streams_per_connection;
  XdsServer xds(&cache, &callbacks, limits);
  status::ClientStatusService csds(&cache, &sent_resources);
  status::EnableServerReflection();
  int xds_port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> grpc_server =
      StartGrpcServer(xds, absl::StrCat("0.0.0.0:", options.xds_port), &xds_port,
                      [&csds](grpc::ServerBuilder& builder) {
                        status::AddStatusServices(builder, &csds);  // CSDS, health
                      });
  if (!grpc_server.ok()) return grpc_server.status();

  rest::RestGateway rest_gateway(&cache, &callbacks);
  admin::AdminServer admin(&cache);
  admin.SetConfigStatus([&publisher] { return ConfigStatusToJson(publisher.status()); });
  admin.SetRestGateway(&rest_gateway);
  rest::FleetApi fleet_api(&cache);
  admin.SetFleetApi(&fleet_api);
  admin.SetMetrics(&metrics);
  absl::StatusOr<int> http_port = admin.Start("0.0.0.0", options.http_port);
  if (!http_port.ok()) {
    (*grpc_server)->Shutdown(absl::ToChronoTime(absl::Now()));
    return http_port.status();
  }
  admin.SetConfigLoaded(true);  // Load() succeeded above; a failed reload keeps the last good one
  admin.SetGrpcServing(true);
  spdlog::info("serving xDS (gRPC) on 0.0.0.0:{}, admin HTTP on http://0.0.0.0:{}", xds_port,
               *http_port);

  int signal_number = 0;
  while (sigwait(&signals, &signal_number) == 0 && signal_number == SIGHUP) {
    if (options.config_path.empty()) {
      spdlog::info("received SIGHUP: the built-in demo has nothing to reload");
      continue;
    }
    spdlog::info("received SIGHUP: reloading {}", options.config_path);
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
