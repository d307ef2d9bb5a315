#pragma once

// The JSON of the config endpoints of the admin server (GET /v1/config, the answer of
// POST /v1/config/reload) and the metrics of an etcd config source. Pure: thread-safe.

#include "absl/status/status.h"
#include "admin/prometheus_text.h"
#include "config/config_publisher.h"
#include "etcd/etcd_config_source.h"
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

// The "etcd" object of GET /v1/config: the etcd config source's state.
nlohmann::json EtcdStatusToJson(const etcd::EtcdSourceStatus& status);

// The xdsd_etcd_* metric families of that state.
void WriteEtcdMetrics(const etcd::EtcdSourceStatus& status, admin::PrometheusText& out);

}  // namespace xdsd::cli
