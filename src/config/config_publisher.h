#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "config/config_history.h"
#include "config/config_load_cache.h"
#include "config/config_loader.h"
#include "config/config_watcher.h"
#include "config/fleet_overlay.h"
#include "config/mass_removal.h"
#include "config/rollout_planner.h"
#include "xdsd/snapshot_cache.h"

namespace xdsd::config {

// What the config being served is, and how the last reload went.
struct ConfigStatus {
  std::string source;    // the path, "<built-in demo>", or the loader's source
  std::string version;   // a content hash of everything served; the same for the same config
  int64_t revision = 0;  // the revision served (ConfigHistory), 0 before the first
  // What the source (the file and the fleet overlay) holds now: differs from `version` after a
  // rollback, until the source changes.
  std::string source_version;
  absl::Time loaded_at = absl::InfinitePast();
  int reloads_succeeded = 0;
  int reloads_failed = 0;
  // The error of the latest load when it failed (every error, one a line); cleared by the next
  // good load.
  std::optional<std::string> last_error;
  absl::Time last_error_at = absl::InfinitePast();
  // The version of the config the latest load refused when it had one (it parsed, but would
  // remove too much); empty otherwise.
  std::string refused_version;
  // What the nodes of each group ("" for the default resources) are sent now, fleet overlay
  // included: type name -> version. Set with `version`, before the cache has it.
  std::map<std::string, std::map<std::string, std::string>> served_versions;
};

// The config a daemon serves: loads it, publishes it to a SnapshotCache (the default
// resources under key "", each group under its name), and reloads it when the file changes.
// A config that fails to load is refused whole: the last good one keeps being served and the
// error is kept for ConfigStatus. Only what changed reaches the clients: snapshots are
// content-versioned, so a reload that changes one type changes that type's version only.
//
// The fleet overlay (fleet_overlay.h) is merged here, into every snapshot published, so that
// the config and the overlay meet in one place: a reload keeps the overlay on top of the new
// config, and a change to either is checked as a whole (the config's reference checks over
// each set with the overlay applied) before anything is served. A reload whose config would
// break with the overlay is refused as any bad config is.
//
// Thread-safe. The cache passed to PublishTo must outlive the publisher.
class ConfigPublisher {
 public:
  static constexpr char kDemoSource[] = "<built-in demo>";

  // `path` is a file or directory; empty for the built-in demo. `max_config_bytes`
  // (--max-config-bytes) bounds every load (LoadConfigFile).
  explicit ConfigPublisher(std::string path, size_t max_config_bytes = kDefaultMaxConfigBytes);
  // Takes each config from `load` instead of a file (an etcd prefix, ...): Load and Reload call
  // it; whoever follows that source calls Reload on a change (Watch is for files only).
  // `source` names it in ConfigStatus.
  using Loader = std::function<absl::StatusOr<Config>()>;
  ConfigPublisher(std::string source, Loader load);
  ~ConfigPublisher();  // stops watching
  ConfigPublisher(const ConfigPublisher&) = delete;
  ConfigPublisher& operator=(const ConfigPublisher&) = delete;

  // Keeps the fleet overlay in `state_file` from now on (written on every change), and loads
  // it from there when the file exists. Before Load. A file that cannot be read or parsed is
  // an error that names it.
  absl::Status KeepOverlayIn(const std::string& state_file);

  // The most of the resources served that one reload may remove (0 to 1; --max-removal), and
  // never every resource of a type (CheckMassRemoval), unless the new config says
  // `allow_mass_removal: true`. Before Load. The first load is not guarded: nothing is served.
  void SetMaxRemoval(double share) { max_removal_ = share; }
  // Keeps the last `max_revisions` revisions (ConfigHistory), in `dir` when not empty (and
  // loads the ones kept there). Before Load. Without it, the last ConfigHistory::kDefaultSize
  // are kept in memory.
  absl::Status KeepHistory(size_t max_revisions, const std::string& dir);

  // Loads the config for the first time. An error is the load's (every error, one a line).
  // When the newest revision of the history was made from this very source (same config, same
  // overlay), its content is served again, a rollback included.
  absl::Status Load();

  // Serves revision `number`'s content again, to every node, as a new revision ("rollback to
  // rN", by `who`). It stays served until the source changes: the next accepted change of the
  // file or of the fleet overlay is served as usual (a reload of an unchanged file is not a
  // change). NotFound when the history no longer has the revision; the history's write error.
  // Returns the new revision, or the newest one when it already serves that content.
  absl::StatusOr<RevisionPtr> Rollback(int64_t number, const std::string& who);
  const ConfigHistory& history() const { return *history_; }

  // Adds or replaces `upserts` and removes `removals` (resources of `type_url`) in the fleet
  // overlay, as one change: checked, written to the state file (KeepOverlayIn), then published.
  // On error nothing changes: NotFound when a removal names no resource of the overlay,
  // InvalidArgument when a set would fail the reference checks (the errors, one a line), or
  // the state file's error. Needs a loaded config.
  absl::Status ChangeOverlay(std::string_view type_url, const std::vector<ResourcePtr>& upserts,
                             const std::vector<std::string>& removals, const std::string& who = "");
  // The fleet overlay's resources of `type_url`.
  ResourceMap OverlayResources(std::string_view type_url) const;

  // The key of a node's snapshot in the config served: its group's name, or "" (a NodeHash
  // for the cache).
  std::string KeyOf(const envoy::config::core::v3::Node& node) const;

  // Publishes the loaded config to `cache`, and every later reload too. With a `planner` (which
  // must use the same cache), each revision goes through it: the `rollout:` policies of the
  // source then apply, and KeyOf is the planner's. Without one, every revision reaches every node
  // at once. PublishTo(nullptr) detaches both (before either is destroyed).
  void PublishTo(SnapshotCache* cache, RolloutPlanner* planner = nullptr);

  // Loads the config again. On success publishes it; on failure keeps the last good config
  // and records the error. Returns the load's status: FailedPrecondition for a mass removal
  // (SetMaxRemoval), counted in xdsd_refused_total{reason="mass_removal"}.
  absl::Status Reload();

  // Calls `listener` after every reload that Watch starts, with its status. Before Watch.
  void OnReload(std::function<void(const absl::Status&)> listener);

  // Reloads on every change of the file or directory (within about a second; an editor's
  // burst of writes makes one reload). Not for the built-in demo.
  absl::Status Watch(ConfigWatcher::Options options = {});

  ConfigStatus status() const;
  std::shared_ptr<const Config> config() const;

 private:
  absl::StatusOr<Config> LoadFromSource() ABSL_EXCLUSIVE_LOCKS_REQUIRED(publish_mu_);
  std::string SourceLabel() const;  // a revision's source when it comes from the file
  // Publishes `config` to `cache`. Holds publish_mu_ only: the cache calls into the streams,
  // whose callbacks may ask KeyOf (which takes mu_).
  static void Publish(const Config& config, SnapshotCache* cache)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(publish_mu_);
  // status_.served_versions from the config with the overlay applied.
  void SetServedVersionsLocked(const Config& overlaid) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes `overlaid`, the source's config with the overlay, what is served: a new revision of
  // `source`, unless the newest revision was made from this same source (then that revision
  // stays served). Fails only when the history cannot keep the revision.
  absl::Status ServeSource(Config overlaid, std::string source, const std::string& who)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(publish_mu_);
  // Serves `revision`'s content and records it in the status; to every node at once when
  // `at_once` (a rollback), else as the rollout policies say.
  void ServeRevision(const RevisionPtr& revision, bool at_once)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(publish_mu_);

  const std::string path_;
  const size_t max_config_bytes_;
  double max_removal_ = 0.5;  // set before Load
  const Loader load_;         // empty: the file at path_, or the demo

  // Serializes loads and publications, so that two reloads reach the cache in order. Taken
  // before mu_, never while holding it.
  absl::Mutex publish_mu_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Config> config_ ABSL_GUARDED_BY(mu_);  // as loaded, without the overlay
  std::shared_ptr<const Config> served_ ABSL_GUARDED_BY(mu_);  // the served revision's content
  std::unique_ptr<ConfigHistory> history_;                     // replaced only before Load
  FleetOverlay overlay_ ABSL_GUARDED_BY(mu_);                  // changed under publish_mu_ too
  std::string overlay_file_ ABSL_GUARDED_BY(publish_mu_);      // empty: in memory only
  ConfigStatus status_ ABSL_GUARDED_BY(mu_);
  SnapshotCache* cache_ ABSL_GUARDED_BY(publish_mu_) = nullptr;
  // Set with cache_; read by KeyOf under mu_.
  RolloutPlanner* planner_ ABSL_GUARDED_BY(mu_) = nullptr;
  // What the latest loads parsed: a reload parses only the files and resources that changed.
  ConfigLoadCache load_cache_ ABSL_GUARDED_BY(publish_mu_);

  std::function<void(const absl::Status&)> on_reload_;  // set before Watch
  std::unique_ptr<ConfigWatcher> watcher_;              // set once by Watch
};

// A content hash over every snapshot of a config (default and groups, every type).
std::string ConfigVersion(const Config& config);

}  // namespace xdsd::config
