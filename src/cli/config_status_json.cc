#include "cli/config_status_json.h"

#include <string>

#include "absl/time/time.h"

namespace xdsd::cli {
namespace {

nlohmann::json TimeToJson(absl::Time t) {
  if (t == absl::InfinitePast()) return nullptr;
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

}  // namespace

nlohmann::json ConfigStatusToJson(const config::ConfigStatus& status) {
  nlohmann::json json = {{"source", status.source},
                         {"version", status.version},
                         {"revision", status.revision},
                         {"source_version", status.source_version},
                         {"serving_source", status.version == status.source_version},
                         {"loaded_at", TimeToJson(status.loaded_at)},
                         {"reloads_succeeded", status.reloads_succeeded},
                         {"reloads_failed", status.reloads_failed},
                         {"served_versions", status.served_versions},
                         {"last_error", nullptr}};
  if (status.last_error.has_value()) {
    json["last_error"] = {{"message", *status.last_error},
                          {"at", TimeToJson(status.last_error_at)}};
    if (!status.refused_version.empty()) json["last_error"]["version"] = status.refused_version;
  }
  return json;
}

ReloadJson ReloadToJson(const absl::Status& reloaded, const config::ConfigStatus& status) {
  if (reloaded.ok()) {
    return {200, {{"source", status.source}, {"version", status.version}}};
  }
  nlohmann::json body = {{"source", status.source},
                         {"error", std::string(reloaded.message())},
                         {"serving_version", status.version}};
  if (!status.refused_version.empty()) body["refused_version"] = status.refused_version;
  // The config could not be taken (it is wrong, or would remove too much): the request was
  // understood, its content refused.
  return {422, std::move(body)};
}

nlohmann::json EtcdStatusToJson(const etcd::EtcdSourceStatus& status) {
  nlohmann::json json = {{"url", status.url},
                         {"connected", status.connected},
                         {"endpoint", status.endpoint},
                         {"revision", status.revision},
                         {"full_loads", status.full_loads},
                         {"last_error", nullptr}};
  if (!status.last_error.empty()) {
    json["last_error"] = {{"message", status.last_error},
                          {"at", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", status.last_error_at,
                                                  absl::UTCTimeZone())}};
  }
  return json;
}

void WriteEtcdMetrics(const etcd::EtcdSourceStatus& status, admin::PrometheusText& out) {
  out.Family("xdsd_etcd_connected", "gauge",
             "1 while the config source's watch on etcd is established, 0 while etcd is "
             "unreachable (the last good config keeps being served)");
  out.Sample("xdsd_etcd_connected", {}, int64_t{status.connected ? 1 : 0});
  out.Family("xdsd_etcd_revision", "gauge", "The etcd revision of the config held");
  out.Sample("xdsd_etcd_revision", {}, status.revision);
  out.Family("xdsd_etcd_full_loads_total", "counter",
             "Full reads of the prefix: the first, and one after each compaction the watch missed");
  out.Sample("xdsd_etcd_full_loads_total", {}, int64_t{status.full_loads});
}

}  // namespace xdsd::cli
