#include "cli/apply.h"

#include <signal.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "cli/validate.h"
#include "config/key_layout.h"
#include "etcd/config_writes.h"
#include "etcd/etcd_client.h"
#include "nlohmann/json.hpp"
#include "xdsd/resource_types.h"

namespace xdsd::cli {
namespace {

void Print(std::FILE* to, const std::string& line) { std::fprintf(to, "%s\n", line.c_str()); }

// The client of the etcd cluster `url` names, with the TLS and deadline flags.
template <typename Options>
absl::StatusOr<std::unique_ptr<etcd::EtcdClient>> ConnectTo(const etcd::EtcdUrl& url,
                                                            const Options& options) {
  etcd::EtcdClientOptions client;
  client.endpoints = url.endpoints;
  client.ca_file = options.etcd_ca;
  client.cert_file = options.etcd_cert;
  client.key_file = options.etcd_key;
  client.call_timeout = options.etcd_timeout;
  return etcd::EtcdClient::Create(client);
}

}  // namespace

int RunApply(const ApplyOptions& options, bool diff_only, std::FILE* out, std::FILE* err) {
  // Exactly what `xdsd validate` checks and reports.
  absl::StatusOr<std::string> valid = ValidateConfig(
      {.config_path = options.config_path, .max_config_bytes = options.max_config_bytes});
  if (!valid.ok()) {
    Print(err, std::string(valid.status().message()));
    return kExitInvalidConfig;
  }
  absl::StatusOr<config::ConfigKeys> wanted =
      config::ConfigKeysFromFile(options.config_path, options.max_config_bytes);
  if (!wanted.ok()) {
    Print(err, std::string(wanted.status().message()));
    return kExitInvalidConfig;
  }
  absl::StatusOr<etcd::EtcdUrl> url = etcd::ParseEtcdUrl(options.to);
  if (!url.ok()) {
    Print(err, absl::StrCat("xdsd: --to: ", url.status().message()));
    return 2;
  }
  absl::StatusOr<std::unique_ptr<etcd::EtcdClient>> client = ConnectTo(*url, options);
  if (!client.ok()) {
    Print(err, absl::StrCat("xdsd: ", client.status().message()));
    return 2;
  }
  const std::string prefix = absl::StrCat(url->prefix, "/");
  absl::StatusOr<etcd::RangeResult> read = (*client)->RangePrefix(prefix);
  if (!read.ok()) {
    Print(err, absl::StrCat("xdsd: ", read.status().message()));
    return kExitEtcdUnreachable;
  }
  config::ConfigKeys current;
  for (etcd::KeyValue& kv : read->kvs) current[kv.key.substr(prefix.size())] = std::move(kv.value);
  const config::KeyChanges changes = config::DiffConfigKeys(current, *wanted);
  for (const std::string& key : changes.added) Print(out, absl::StrCat("+ ", prefix, key));
  for (const std::string& key : changes.changed) Print(out, absl::StrCat("~ ", prefix, key));
  for (const std::string& key : changes.removed) Print(out, absl::StrCat("- ", prefix, key));
  const std::string counts = absl::StrCat(changes.added.size(), " added, ", changes.changed.size(),
                                          " changed, ", changes.removed.size(), " removed");
  if (diff_only) {
    Print(out, absl::StrCat(FormatEtcdUrl(*url), " at revision ", read->revision, ": ",
                            changes.empty() ? "no change" : counts));
    return 0;
  }
  if (changes.empty() && options.expect_revision == 0) {
    Print(out,
          absl::StrCat("no change: ", FormatEtcdUrl(*url), " is at revision ", read->revision));
    return 0;
  }
  const int64_t guard = options.expect_revision != 0 ? options.expect_revision : read->revision;
  std::vector<etcd::TxnOp> ops;
  for (const auto* keys : {&changes.added, &changes.changed}) {
    for (const std::string& key : *keys) {
      ops.push_back({.key = prefix + key, .value = wanted->find(key)->second});
    }
  }
  for (const std::string& key : changes.removed) {
    ops.push_back({.is_delete = true, .key = prefix + key});
  }
  const nlohmann::json applied = {{"read_revision", guard},
                                  {"added", changes.added.size()},
                                  {"changed", changes.changed.size()},
                                  {"removed", changes.removed.size()},
                                  {"at", absl::FormatTime(absl::Now())}};
  ops.push_back(etcd::AppliedRecord(prefix, applied.dump()));
  absl::StatusOr<etcd::TxnResult> written =
      (*client)->Txn(etcd::UnchangedSince(prefix, guard), ops);
  if (!written.ok()) {
    Print(err, absl::StrCat("xdsd: ", written.status().message(),
                            absl::IsDeadlineExceeded(written.status())
                                ? " (the write may or may not have happened: run xdsd diff)"
                                : ""));
    return kExitEtcdUnreachable;
  }
  if (!written->succeeded) {
    Print(err, absl::StrCat("xdsd: the config under ", FormatEtcdUrl(*url),
                            " changed after revision ", guard,
                            " (another apply?): nothing was written; run xdsd diff, then apply "
                            "again"));
    return kExitConflict;
  }
  Print(out, absl::StrCat("applied at revision ", written->revision, ": ", counts));
  return 0;
}

namespace {

// The registration of `options`; InvalidArgument when the address or locality is malformed.
absl::StatusOr<config::Registration> RegistrationOf(const RegisterOptions& options) {
  config::Registration registration;
  registration.cluster = options.cluster;
  const size_t colon = options.address.rfind(':');
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(options.address.substr(colon + 1), &registration.port) ||
      registration.port < 1 || registration.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--address \"", options.address, "\" is not HOST:PORT"));
  }
  registration.host = options.address.substr(0, colon);
  if (registration.host.size() > 2 && registration.host.front() == '[') {
    registration.host = registration.host.substr(1, registration.host.size() - 2);
  }
  if (!options.locality.empty()) {
    std::vector<std::string> parts = absl::StrSplit(options.locality, '/');
    if (parts.size() > 2 || parts[0].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--locality \"", options.locality, "\" is not REGION/ZONE"));
    }
    registration.region = parts[0];
    if (parts.size() == 2) registration.zone = parts[1];
  }
  return registration;
}

}  // namespace

int RunRegister(const RegisterOptions& options, std::FILE* out, std::FILE* err) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<etcd::EtcdUrl> url = etcd::ParseEtcdUrl(options.to);
  absl::StatusOr<config::Registration> registration = RegistrationOf(options);
  for (const absl::Status& status : {url.status(), registration.status()}) {
    if (!status.ok()) {
      Print(err, absl::StrCat("xdsd: ", status.message()));
      return 2;
    }
  }
  absl::StatusOr<std::unique_ptr<etcd::EtcdClient>> client = ConnectTo(*url, options);
  if (!client.ok()) {
    Print(err, absl::StrCat("xdsd: ", client.status().message()));
    return 2;
  }
  const std::string key = absl::StrCat(url->prefix, "/", config::RegistrationKey(*registration));
  const std::string value = config::RegistrationValue(*registration);
  // Grants a lease and puts the registration under it; the lease's id, or 0 on failure.
  auto register_once = [&]() -> int64_t {
    absl::StatusOr<int64_t> lease = (*client)->GrantLease(options.ttl);
    if (!lease.ok()) {
      Print(err, absl::StrCat("xdsd: ", lease.status().message()));
      return 0;
    }
    absl::StatusOr<etcd::TxnResult> put =
        (*client)->Txn({}, {{.key = key, .value = value, .lease = *lease}});
    if (!put.ok()) {
      Print(err, absl::StrCat("xdsd: ", put.status().message()));
      return 0;
    }
    Print(out,
          absl::StrCat("registered ", options.address, " in cluster ", options.cluster, " (", key,
                       ", lease ", *lease, ", ttl ", absl::FormatDuration(options.ttl), ")"));
    std::fflush(out);
    return *lease;
  };
  int64_t lease = register_once();
  if (lease == 0) return kExitEtcdUnreachable;
  // Renewed three times per TTL: one lost renewal does not let the endpoint expire.
  const absl::Duration every = options.ttl / 3;
  while (true) {
    const timespec timeout = absl::ToTimespec(every);
    const int signal_number = sigtimedwait(&signals, nullptr, &timeout);
    if (signal_number == SIGINT || signal_number == SIGTERM) break;
    absl::Status renewed = (*client)->KeepAliveLease(lease);
    if (absl::IsNotFound(renewed)) {
      Print(err, absl::StrCat("xdsd: ", renewed.message(), "; registering again"));
      if (const int64_t again = register_once(); again != 0) lease = again;
    } else if (!renewed.ok()) {
      Print(err, absl::StrCat("xdsd: ", renewed.message(), " (will retry)"));
    }
  }
  if (absl::Status revoked = (*client)->RevokeLease(lease); !revoked.ok()) {
    Print(err, absl::StrCat("xdsd: ", revoked.message(),
                            " (the endpoint leaves when the lease "
                            "expires)"));
  } else {
    Print(out, absl::StrCat("unregistered ", options.address));
  }
  return 0;
}

}  // namespace xdsd::cli
