#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "config/config_loader.h"
#include "nlohmann/json.hpp"

namespace xdsd::config {

// What one revision changed in one resource type, against the revision before it. A resource
// of a group is named "GROUP/NAME"; one of the default set by its name.
struct TypeChanges {
  std::vector<std::string> added;
  std::vector<std::string> removed;
  std::vector<std::string> changed;

  bool operator==(const TypeChanges&) const = default;
};
// By type short name ("clusters", ...); a type without changes has no entry.
using ChangeSummary = std::map<std::string, TypeChanges, std::less<>>;

// One accepted config, as served: a number that only grows, when and where it came from, what
// it changed, and its content (the default set and the groups, fleet overlay applied).
// Immutable once made; shared.
struct Revision {
  int64_t number = 0;
  std::string version;         // ConfigVersion(content)
  std::string source_version;  // what the source (config and overlay) was at the time: the
                               // same as `version` unless this revision is a rollback
  absl::Time loaded_at = absl::InfinitePast();
  std::string source;  // "file PATH", "fleet API", "rollback to r7", "<built-in demo>"
  std::string who;     // who made the change when known ("token", an address); else empty
  ChangeSummary changes;
  std::shared_ptr<const Config> content;  // never null; authorization rules are not kept
};
using RevisionPtr = std::shared_ptr<const Revision>;

// What changed from `from` (null: nothing) to `to`, resource by resource.
ChangeSummary SummarizeChanges(const Config* from, const Config& to);

// The last revisions of the config served, oldest first, kept across restarts when given a
// directory: one file per revision (history/rNNNNNNNNNN.json, written atomically, mode 0600:
// secrets are in it as served), removed when the revision falls out of the history.
//
// Thread-safe.
class ConfigHistory {
 public:
  static constexpr size_t kDefaultSize = 50;

  explicit ConfigHistory(size_t max_revisions = kDefaultSize);

  // Keeps the revisions in `dir` (created when missing) from now on, and loads the ones kept
  // there (the newest max_revisions). Before Add. A file that cannot be read or parsed is an
  // error that names it.
  absl::Status KeepIn(const std::string& dir);

  // Adds the next revision: number one past the newest, changes against the newest. Written to
  // the directory first (KeepIn); a write error adds nothing.
  absl::StatusOr<RevisionPtr> Add(std::shared_ptr<const Config> content, std::string source,
                                  std::string who, std::string source_version, absl::Time now);

  // The revision numbered `number`, or null when it is not (or no longer) kept.
  RevisionPtr Get(int64_t number) const;
  // The newest revision, or null before the first.
  RevisionPtr Latest() const;
  // Every kept revision, oldest first.
  std::vector<RevisionPtr> All() const;
  size_t max_revisions() const { return max_revisions_; }

 private:
  const size_t max_revisions_;
  mutable absl::Mutex mu_;
  std::vector<RevisionPtr> revisions_ ABSL_GUARDED_BY(mu_);  // oldest first
  std::string dir_ ABSL_GUARDED_BY(mu_);                     // empty: in memory only
};

// A revision as GET /v1/config/history lists it: {"revision", "version", "source_version",
// "loaded_at", "source", "who", "changes": {TYPE: {"added": [...], ...}}}.
nlohmann::json RevisionToJson(const Revision& revision);

// The resources that differ from `from` to `to`, per type short name: {"added": [NAME...],
// "removed": [NAME...], "changed": [{"name": NAME, "fields": [{"path": "a.b[0].c", "from": V,
// "to": V}, ...]}]}. Fields are compared as Envoy JSON with secrets redacted (api/redaction.h):
// a secret that changed shows as a changed resource whose fields say nothing of the secret.
nlohmann::json DiffConfigs(const Config& from, const Config& to);

}  // namespace xdsd::config
