#include "config/config_publisher.h"

#include <malloc.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "xdsd/refusals.h"
#include "xdsd/resource.h"

namespace xdsd::config {

std::string ConfigVersion(const Config& config) {
  std::string digest_input;
  auto add = [&](std::string_view key, const SnapshotPtr& snapshot) {
    if (snapshot == nullptr) return;
    for (std::string_view type_url : kAdsOrder) {
      if (snapshot->Resources(type_url).empty()) continue;
      absl::StrAppend(&digest_input, std::string(key), "|", std::string(type_url), "|",
                      snapshot->Version(type_url), "\n");
    }
  };
  add("", config.default_snapshot);
  for (const NodeGroup& group : config.groups) add(group.name, group.snapshot);
  return ContentHash(digest_input);
}

ConfigPublisher::ConfigPublisher(std::string path, size_t max_config_bytes)
    : path_(std::move(path)),
      max_config_bytes_(max_config_bytes),
      history_(std::make_unique<ConfigHistory>()) {
  status_.source = path_.empty() ? kDemoSource : path_;
}

ConfigPublisher::ConfigPublisher(std::string source, Loader load)
    : max_config_bytes_(0), load_(std::move(load)), history_(std::make_unique<ConfigHistory>()) {
  status_.source = std::move(source);
}

ConfigPublisher::~ConfigPublisher() { watcher_.reset(); }

absl::StatusOr<Config> ConfigPublisher::LoadFromSource() {
  if (load_) return load_();
  if (path_.empty()) return ParseConfig(DemoConfigYaml(), kDemoSource);
  absl::StatusOr<std::shared_ptr<const Config>> loaded = load_cache_.Load(path_, max_config_bytes_);
  if (!loaded.ok()) return loaded.status();
  return **loaded;
}

absl::Status ConfigPublisher::Load() { return Reload(); }

std::string ConfigPublisher::KeyOf(const envoy::config::core::v3::Node& node) const {
  RolloutPlanner* planner = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (planner_ == nullptr) return served_ == nullptr ? "" : GroupOf(*served_, node);
    planner = planner_;
  }
  // Outside mu_: the planner is set before and detached after every stream of its cache.
  return planner->KeyOf(node);
}

void ConfigPublisher::PublishTo(SnapshotCache* cache, RolloutPlanner* planner) {
  absl::MutexLock publishing(&publish_mu_);
  cache_ = cache;
  std::shared_ptr<const Config> served;
  std::shared_ptr<const Config> source;
  {
    absl::MutexLock lock(&mu_);
    planner_ = cache == nullptr ? nullptr : planner;
    served = served_;
    source = config_;
  }
  if (served == nullptr || cache_ == nullptr) return;
  if (planner != nullptr) {
    if (source != nullptr) planner->SetPolicies(*source);
    planner->Serve(history_->Latest() == nullptr ? 0 : history_->Latest()->number, served,
                   /*at_once=*/true);
    return;
  }
  Publish(*served, cache_);
}

void ConfigPublisher::Publish(const Config& config, SnapshotCache* cache) {
  if (cache == nullptr) return;
  std::set<std::string> keys = {""};
  cache->SetSnapshot("", config.default_snapshot);
  for (const NodeGroup& group : config.groups) {
    keys.insert(group.name);
    cache->SetSnapshot(group.name, group.snapshot);
  }
  // A group that is gone: its nodes keep what they were sent until they reconnect.
  for (const std::string& key : cache->Keys()) {
    if (!keys.contains(key)) cache->ClearSnapshot(key);
  }
}

absl::Status ConfigPublisher::Reload() {
  // A load of a large config allocates many small blocks; glibc keeps them after they are
  // freed unless asked. Returned once everything of this load (and the config it replaced,
  // once the cache has moved on) is gone, so that RSS follows the config served.
  absl::Cleanup return_memory = [] { malloc_trim(0); };
  absl::MutexLock publishing(&publish_mu_);
  absl::StatusOr<Config> loaded = LoadFromSource();
  const absl::Time now = absl::Now();
  FleetOverlay overlay;
  {
    absl::MutexLock lock(&mu_);
    overlay = overlay_;  // changes only under publish_mu_, held here
  }
  // A source that keeps the overlay itself (etcd) gives it with each config, at one revision.
  if (loaded.ok() && loaded->fleet_overlay.has_value()) {
    overlay = *std::move(loaded->fleet_overlay);
    loaded->fleet_overlay.reset();
  }
  // The overlay's checks run without mu_: KeyOf, asked by every stream, waits on it.
  std::optional<Config> overlaid;
  absl::Status status = loaded.status();
  std::shared_ptr<const Config> served;
  {
    absl::MutexLock lock(&mu_);
    served = config_;
  }
  if (loaded.ok() && served != nullptr && !loaded->allow_mass_removal) {
    status = CheckMassRemoval(ServedNamesOf(*served), ServedNamesOf(*loaded), max_removal_);
    if (!status.ok()) CountRefusal("mass_removal", std::string(status.message().substr(0, 200)));
  }
  if (status.ok()) {
    overlaid = ApplyOverlay(*loaded, overlay);
    if (!overlay.empty()) {
      if (absl::Status checked = CheckOverlaidConfig(*overlaid); !checked.ok()) {
        status = absl::InvalidArgumentError(
            absl::StrCat("with the fleet overlay applied:\n", checked.message()));
      }
    }
  }
  if (status.ok()) status = ServeSource(*std::move(overlaid), SourceLabel(), "");
  absl::MutexLock lock(&mu_);
  if (!status.ok()) {
    ++status_.reloads_failed;
    status_.last_error = std::string(status.message());
    status_.last_error_at = now;
    status_.refused_version = loaded.ok() ? ConfigVersion(*loaded) : "";
    return status;
  }
  config_ = std::make_shared<const Config>(*std::move(loaded));
  overlay_ = std::move(overlay);
  ++status_.reloads_succeeded;
  status_.loaded_at = now;
  status_.last_error.reset();
  status_.last_error_at = absl::InfinitePast();
  status_.refused_version.clear();
  return absl::OkStatus();
}

std::string ConfigPublisher::SourceLabel() const {
  if (load_) {
    absl::MutexLock lock(&mu_);
    return status_.source;  // set once, by the constructor
  }
  return path_.empty() ? kDemoSource : absl::StrCat("file ", path_);
}

absl::Status ConfigPublisher::ServeSource(Config overlaid, std::string source,
                                          const std::string& who) {
  const std::string source_version = ConfigVersion(overlaid);
  RevisionPtr latest = history_->Latest();
  {
    absl::MutexLock lock(&mu_);
    // How a change travels is the source's, never a revision's.
    if (planner_ != nullptr) planner_->SetPolicies(overlaid);
  }
  if (latest == nullptr || latest->source_version != source_version) {
    // A revision is what is served; who may connect is the source's, never rolled back, and
    // so is the rollout policy.
    overlaid.authorization.reset();
    overlaid.rollout.reset();
    for (NodeGroup& group : overlaid.groups) group.rollout.reset();
    overlaid.csds_identities.reset();
    absl::StatusOr<RevisionPtr> added =
        history_->Add(std::make_shared<const Config>(std::move(overlaid)), std::move(source), who,
                      source_version, absl::Now());
    if (!added.ok()) {
      return absl::Status(added.status().code(),
                          absl::StrCat("the history cannot keep it: ", added.status().message()));
    }
    latest = *std::move(added);
  }
  {
    absl::MutexLock lock(&mu_);
    status_.source_version = source_version;
  }
  ServeRevision(latest, /*at_once=*/false);
  return absl::OkStatus();
}

void ConfigPublisher::SetServedVersionsLocked(const Config& overlaid) {
  auto versions = [](const SnapshotPtr& snapshot) {
    std::map<std::string, std::string> by_type;
    for (const ResourceType& type : kResourceTypes) {
      if (!type.in_config) continue;  // virtual hosts are versioned one by one (delta only)
      by_type[std::string(type.name)] = snapshot == nullptr ? Snapshot::VersionOf(ResourceMap())
                                                            : snapshot->Version(type.type_url);
    }
    return by_type;
  };
  status_.served_versions.clear();
  status_.served_versions[""] = versions(overlaid.default_snapshot);
  for (const NodeGroup& group : overlaid.groups) {
    status_.served_versions[group.name] = versions(group.snapshot);
  }
}

void ConfigPublisher::ServeRevision(const RevisionPtr& revision, bool at_once) {
  RolloutPlanner* planner = nullptr;
  {
    absl::MutexLock lock(&mu_);
    planner = planner_;
    served_ = revision->content;
    status_.version = revision->version;
    status_.revision = revision->number;
    SetServedVersionsLocked(*revision->content);
  }
  if (planner != nullptr) {
    planner->Serve(revision->number, revision->content, at_once);
  } else {
    Publish(*revision->content, cache_);
  }
}

absl::Status ConfigPublisher::KeepHistory(size_t max_revisions, const std::string& dir) {
  absl::MutexLock publishing(&publish_mu_);
  auto history = std::make_unique<ConfigHistory>(max_revisions);
  if (!dir.empty()) {
    if (absl::Status kept = history->KeepIn(dir); !kept.ok()) return kept;
  }
  history_ = std::move(history);
  return absl::OkStatus();
}

absl::StatusOr<RevisionPtr> ConfigPublisher::Rollback(int64_t number, const std::string& who) {
  absl::MutexLock publishing(&publish_mu_);
  RevisionPtr target = history_->Get(number);
  RevisionPtr latest = history_->Latest();
  if (target == nullptr || latest == nullptr) {
    return absl::NotFoundError(absl::StrCat("the history has no revision ", number,
                                            " (it keeps the last ", history_->max_revisions(),
                                            ")"));
  }
  if (target->version == latest->version) return latest;
  absl::StatusOr<RevisionPtr> added =
      history_->Add(target->content, absl::StrCat("rollback to r", number), who,
                    latest->source_version, absl::Now());
  if (!added.ok()) return added.status();
  ServeRevision(*added, /*at_once=*/true);
  return added;
}

absl::Status ConfigPublisher::KeepOverlayIn(const std::string& state_file) {
  absl::MutexLock publishing(&publish_mu_);
  std::error_code error;
  if (std::filesystem::exists(state_file, error)) {
    std::ifstream file(state_file, std::ios::binary);
    if (!file.is_open()) return absl::InternalError(absl::StrCat("cannot read ", state_file));
    std::stringstream text;
    text << file.rdbuf();
    absl::StatusOr<FleetOverlay> read = OverlayFromJson(text.str(), state_file);
    if (!read.ok()) return read.status();
    absl::MutexLock lock(&mu_);
    overlay_ = *std::move(read);
  } else if (error) {
    return absl::InternalError(absl::StrCat("cannot read ", state_file, ": ", error.message()));
  }
  overlay_file_ = state_file;
  return absl::OkStatus();
}

absl::Status ConfigPublisher::ChangeOverlay(std::string_view type_url,
                                            const std::vector<ResourcePtr>& upserts,
                                            const std::vector<std::string>& removals,
                                            const std::string& who) {
  absl::MutexLock publishing(&publish_mu_);
  std::shared_ptr<const Config> config;
  FleetOverlay overlay;
  {
    absl::MutexLock lock(&mu_);
    config = config_;
    overlay = overlay_;
  }
  if (config == nullptr) return absl::FailedPreconditionError("no config is loaded");
  if (absl::Status changed = ChangeFleetOverlay(&overlay, type_url, upserts, removals);
      !changed.ok()) {
    return changed;
  }
  Config overlaid = ApplyOverlay(*config, overlay);
  if (absl::Status checked = CheckOverlaidConfig(overlaid); !checked.ok()) return checked;
  if (!overlay_file_.empty()) {
    absl::StatusOr<std::string> json = OverlayToJson(overlay);
    if (!json.ok()) return json.status();
    if (absl::Status written = WriteFileAtomically(overlay_file_, *json); !written.ok()) {
      return written;
    }
  }
  if (absl::Status served = ServeSource(std::move(overlaid), "fleet API", who); !served.ok()) {
    return served;
  }
  absl::MutexLock lock(&mu_);
  overlay_ = std::move(overlay);
  return absl::OkStatus();
}

ResourceMap ConfigPublisher::OverlayResources(std::string_view type_url) const {
  absl::MutexLock lock(&mu_);
  auto it = overlay_.find(type_url);
  return it == overlay_.end() ? ResourceMap() : it->second;
}

void ConfigPublisher::OnReload(std::function<void(const absl::Status&)> listener) {
  on_reload_ = std::move(listener);
}

absl::Status ConfigPublisher::Watch(ConfigWatcher::Options options) {
  if (path_.empty()) return absl::FailedPreconditionError("the config is not from a file");
  watcher_ = std::make_unique<ConfigWatcher>(path_, options, [this] {
    const absl::Status status = Reload();
    if (on_reload_) on_reload_(status);
  });
  return watcher_->Start();
}

ConfigStatus ConfigPublisher::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

std::shared_ptr<const Config> ConfigPublisher::config() const {
  absl::MutexLock lock(&mu_);
  return config_;
}

}  // namespace xdsd::config
