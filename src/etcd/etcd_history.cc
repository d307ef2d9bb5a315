#include "etcd/etcd_history.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "config/config_publisher.h"
#include "config/fleet_overlay.h"
#include "config/key_layout.h"
#include "etcd/config_writes.h"
#include "nlohmann/json.hpp"

namespace xdsd::etcd {
namespace {

// The keys a rollback writes back: the config and the fleet overlay (not `applied`, not the
// registrations, which belong to the registrars' leases).
bool IsRolledBack(std::string_view key) {
  return config::IsConfigKey(key) ||
         absl::StartsWith(absl::string_view(key.data(), key.size()), config::kFleetDir);
}

}  // namespace

EtcdHistory::EtcdHistory(EtcdClient* client, EtcdUrl url, const EtcdConfigSource* source,
                         size_t max_revisions, absl::Duration wait)
    : client_(client),
      url_(std::move(url)),
      prefix_(url_.prefix + "/"),
      source_(source),
      max_revisions_(max_revisions),
      wait_(wait) {}

absl::StatusOr<config::RevisionPtr> EtcdHistory::Build(const KeyValue& applied,
                                                       const config::Revision* previous) {
  absl::StatusOr<RangeResult> read = client_->RangePrefix(prefix_, applied.mod_revision);
  if (!read.ok()) return read.status();
  config::ConfigKeys keys;
  for (const KeyValue& kv : read->kvs) keys.emplace(kv.key.substr(prefix_.size()), kv.value);
  absl::StatusOr<config::Config> loaded = config::ConfigFromKeys(
      keys, absl::StrCat(FormatEtcdUrl(url_), "@", applied.mod_revision, " "));
  if (!loaded.ok()) return loaded.status();
  config::FleetOverlay overlay = loaded->fleet_overlay.value_or(config::FleetOverlay());
  loaded->fleet_overlay.reset();
  auto revision = std::make_shared<config::Revision>();
  config::Config overlaid = config::ApplyOverlay(*loaded, overlay);
  revision->source_version = config::ConfigVersion(overlaid);
  overlaid.authorization.reset();  // as the publisher keeps a revision: who may connect is not
  overlaid.csds_identities.reset();
  revision->version = config::ConfigVersion(overlaid);
  revision->number = applied.mod_revision;
  const nlohmann::json record =
      nlohmann::json::parse(applied.value, nullptr, /*allow_exceptions=*/false);
  auto text = [&record](const char* field) {
    return record.is_object() && record.contains(field) && record[field].is_string()
               ? record[field].get<std::string>()
               : std::string();
  };
  revision->source = !text("source").empty() ? text("source")
                     : text("by").empty()    ? "xdsd apply"
                                             : text("by");
  revision->who = text("who");
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text("at"), &revision->loaded_at, &error)) {
    revision->loaded_at = absl::InfinitePast();
  }
  revision->changes =
      config::SummarizeChanges(previous == nullptr ? nullptr : previous->content.get(), overlaid);
  revision->content = std::make_shared<const config::Config>(std::move(overlaid));
  return revision;
}

absl::StatusOr<std::vector<config::RevisionPtr>> EtcdHistory::Revisions() {
  // The puts of `applied`, newest first: each read at the revision before the last one found.
  const std::string applied_key = prefix_ + config::kAppliedKey;
  std::vector<KeyValue> puts;
  int64_t read_at = 0;  // the newest
  while (puts.size() < max_revisions_) {
    absl::StatusOr<RangeResult> read = client_->RangePrefix(applied_key, read_at);
    if (!read.ok()) {
      if (absl::IsOutOfRange(read.status()) && read_at != 0) break;  // compacted: gone
      return read.status();
    }
    const KeyValue* put = nullptr;
    for (const KeyValue& kv : read->kvs) {
      if (kv.key == applied_key) put = &kv;
    }
    if (put == nullptr) break;
    puts.push_back(*put);
    if (put->create_revision == put->mod_revision) break;  // the key's first put
    read_at = put->mod_revision - 1;
  }
  std::vector<config::RevisionPtr> revisions;  // oldest first
  absl::MutexLock lock(&mu_);
  std::map<int64_t, config::RevisionPtr> kept;
  for (auto put = puts.rbegin(); put != puts.rend(); ++put) {
    config::RevisionPtr revision;
    if (auto built = built_.find(put->mod_revision); built != built_.end()) {
      revision = built->second;
    } else {
      absl::StatusOr<config::RevisionPtr> made =
          Build(*put, revisions.empty() ? nullptr : revisions.back().get());
      if (!made.ok()) {
        if (absl::IsOutOfRange(made.status())) continue;  // compacted since the walk
        return made.status();
      }
      revision = *std::move(made);
    }
    kept.emplace(revision->number, revision);
    revisions.push_back(std::move(revision));
  }
  built_ = std::move(kept);
  return revisions;
}

absl::StatusOr<config::RevisionPtr> EtcdHistory::Rollback(int64_t number, const std::string& who) {
  absl::StatusOr<RangeResult> now = client_->RangePrefix(prefix_);
  if (!now.ok()) return now.status();
  if (number <= 0 || number > now->revision) {
    return absl::NotFoundError(absl::StrCat("the history has no revision ", number,
                                            " (GET /v1/config/history lists them)"));
  }
  absl::StatusOr<RangeResult> target = client_->RangePrefix(prefix_, number);
  if (absl::IsOutOfRange(target.status())) {
    return absl::NotFoundError(absl::StrCat("revision ", number, " is gone: etcd compacted it"));
  }
  if (!target.ok()) return target.status();
  config::ConfigKeys wanted;
  bool applied_there = false;
  for (const KeyValue& kv : target->kvs) {
    std::string key = kv.key.substr(prefix_.size());
    if (key == config::kAppliedKey) applied_there = kv.mod_revision == number;
    if (IsRolledBack(key)) wanted.emplace(std::move(key), kv.value);
  }
  if (!applied_there) {
    return absl::NotFoundError(absl::StrCat("the history has no revision ", number,
                                            " (GET /v1/config/history lists them)"));
  }
  std::vector<TxnOp> ops;
  config::ConfigKeys current;
  for (const KeyValue& kv : now->kvs) {
    std::string key = kv.key.substr(prefix_.size());
    if (IsRolledBack(key)) current.emplace(std::move(key), kv.value);
  }
  for (const auto& [key, value] : wanted) {
    auto held = current.find(key);
    if (held == current.end() || held->second != value) {
      ops.push_back({.key = prefix_ + key, .value = value});
    }
  }
  for (const auto& [key, value] : current) {
    if (!wanted.contains(key)) ops.push_back({.is_delete = true, .key = prefix_ + key});
  }
  if (!ops.empty()) {
    const nlohmann::json record = {{"read_revision", now->revision},
                                   {"source", absl::StrCat("rollback to r", number)},
                                   {"who", who},
                                   {"at", absl::FormatTime(absl::Now())}};
    ops.push_back(AppliedRecord(prefix_, record.dump()));
    absl::StatusOr<TxnResult> written = client_->Txn(UnchangedSince(prefix_, now->revision), ops);
    if (!written.ok()) return written.status();
    if (!written->succeeded) {
      return absl::AbortedError(
          "the config in etcd changed while the rollback was read: nothing was written; try again");
    }
    if (source_ != nullptr) source_->WaitUntilHandled(written->revision, wait_);
  }
  absl::StatusOr<std::vector<config::RevisionPtr>> revisions = Revisions();
  if (!revisions.ok()) return revisions.status();
  if (revisions->empty()) return absl::NotFoundError("the history is empty");
  return revisions->back();
}

}  // namespace xdsd::etcd
