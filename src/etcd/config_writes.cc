#include "etcd/config_writes.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "config/fleet_overlay.h"
#include "config/key_layout.h"
#include "nlohmann/json.hpp"
#include "xdsd/resource_types.h"

namespace xdsd::etcd {

std::vector<TxnCompare> UnchangedSince(const std::string& prefix, int64_t revision) {
  std::vector<TxnCompare> compares;
  auto unchanged = [&](std::string key, std::string range_end) {
    compares.push_back({.kind = TxnCompare::Kind::kModLessThan,
                        .key = std::move(key),
                        .range_end = std::move(range_end),
                        .revision = revision + 1});
  };
  auto unchanged_dir = [&](std::string dir) {
    std::string end = PrefixRangeEnd(dir);
    unchanged(std::move(dir), std::move(end));
  };
  for (const ResourceType& type : kResourceTypes) {
    if (type.in_config) unchanged_dir(absl::StrCat(prefix, std::string(type.name), "/"));
  }
  unchanged_dir(absl::StrCat(prefix, config::kFleetDir));
  for (const char* key : config::kSectionKeys) unchanged(absl::StrCat(prefix, key), "");
  unchanged(absl::StrCat(prefix, config::kAppliedKey), "");
  return compares;
}

TxnOp AppliedRecord(const std::string& prefix, std::string record_json) {
  return {.key = absl::StrCat(prefix, config::kAppliedKey), .value = std::move(record_json)};
}

EtcdFleetWriter::EtcdFleetWriter(EtcdClient* client, EtcdUrl url, const EtcdConfigSource* source,
                                 absl::Duration wait)
    : client_(client),
      url_(std::move(url)),
      prefix_(absl::StrCat(url_.prefix, "/")),
      source_(source),
      wait_(wait) {}

absl::StatusOr<int64_t> EtcdFleetWriter::Change(std::string_view type_url,
                                                const std::vector<ResourcePtr>& upserts,
                                                const std::vector<std::string>& removals,
                                                std::string_view who) {
  int64_t read_revision = 0;
  for (int attempt = 0; attempt < kTries; ++attempt) {
    absl::StatusOr<RangeResult> read = client_->RangePrefix(prefix_);
    if (!read.ok()) return read.status();
    read_revision = read->revision;
    config::ConfigKeys keys;
    for (KeyValue& kv : read->kvs) keys[kv.key.substr(prefix_.size())] = std::move(kv.value);
    absl::StatusOr<config::Config> held =
        config::ConfigFromKeys(keys, absl::StrCat("etcd:", prefix_));
    if (!held.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the config in ", FormatEtcdUrl(url_), " at revision ", read->revision,
          " is invalid, so no fleet change can be checked against it:\n", held.status().message()));
    }
    config::FleetOverlay overlay = *std::move(held->fleet_overlay);
    if (absl::Status changed = config::ChangeFleetOverlay(&overlay, type_url, upserts, removals);
        !changed.ok()) {
      return changed;
    }
    if (absl::Status checked = config::CheckOverlaidConfig(config::ApplyOverlay(*held, overlay));
        !checked.ok()) {
      return checked;
    }
    std::vector<TxnOp> ops;
    for (const ResourcePtr& resource : upserts) {
      absl::StatusOr<std::string> json = config::OverlayResourceJson(type_url, *resource);
      if (!json.ok()) return json.status();
      ops.push_back(
          {.key = prefix_ + config::FleetKey(type_url, resource->name()), .value = *json});
    }
    for (const std::string& name : removals) {
      ops.push_back({.is_delete = true, .key = prefix_ + config::FleetKey(type_url, name)});
    }
    const nlohmann::json record = {{"read_revision", read->revision},
                                   {"by", "fleet API"},
                                   {"who", std::string(who)},
                                   {"type", std::string(TypeShortName(type_url))},
                                   {"set", upserts.size()},
                                   {"removed", removals.size()},
                                   {"at", absl::FormatTime(absl::Now())}};
    ops.push_back(AppliedRecord(prefix_, record.dump()));
    absl::StatusOr<TxnResult> written = client_->Txn(UnchangedSince(prefix_, read->revision), ops);
    if (!written.ok()) {
      if (!absl::IsDeadlineExceeded(written.status())) return written.status();
      return absl::DeadlineExceededError(
          absl::StrCat(written.status().message(),
                       " (the change may or may not have been written: GET it to see)"));
    }
    if (!written->succeeded) continue;  // another writer came between: check again
    if (source_ != nullptr) source_->WaitUntilHandled(written->revision, wait_);
    return written->revision;
  }
  return absl::AbortedError(absl::StrCat("the config in ", FormatEtcdUrl(url_),
                                         " kept changing while this change was checked (", kTries,
                                         " tries, the last from revision ", read_revision,
                                         "): nothing was written; try again"));
}

}  // namespace xdsd::etcd
