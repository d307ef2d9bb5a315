#include "config/config_publisher.h"

#include <set>

#include "absl/strings/str_cat.h"
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

ConfigPublisher::ConfigPublisher(std::string path) : path_(std::move(path)) {
  status_.source = path_.empty() ? kDemoSource : path_;
}

ConfigPublisher::~ConfigPublisher() { watcher_.reset(); }

absl::StatusOr<Config> ConfigPublisher::LoadFromSource() const {
  if (path_.empty()) return ParseConfig(DemoConfigYaml(), kDemoSource);
  return LoadConfigFile(path_);
}

absl::Status ConfigPublisher::Load() { return Reload(); }

std::string ConfigPublisher::KeyOf(const envoy::config::core::v3::Node& node) const {
  absl::MutexLock lock(&mu_);
  return config_ == nullptr ? "" : GroupOf(*config_, node);
}

void ConfigPublisher::PublishTo(SnapshotCache* cache) {
  absl::MutexLock lock(&mu_);
  cache_ = cache;
  PublishLocked();
}

void ConfigPublisher::PublishLocked() {
  if (cache_ == nullptr || config_ == nullptr) return;
  // SetSnapshot calls the streams' watchers, which never call back into the publisher, so it
  // is safe under mu_; holding it keeps two reloads from publishing out of order.
  std::set<std::string> keys = {""};
  cache_->SetSnapshot("", config_->default_snapshot);
  for (const NodeGroup& group : config_->groups) {
    keys.insert(group.name);
    cache_->SetSnapshot(group.name, group.snapshot);
  }
  // A group that is gone: its nodes keep what they were sent until they reconnect.
  for (const std::string& key : cache_->Keys()) {
    if (!keys.contains(key)) cache_->ClearSnapshot(key);
  }
}

absl::Status ConfigPublisher::Reload() {
  absl::StatusOr<Config> loaded = LoadFromSource();
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  if (!loaded.ok()) {
    ++status_.reloads_failed;
    status_.last_error = std::string(loaded.status().message());
    status_.last_error_at = now;
    return loaded.status();
  }
  config_ = std::make_shared<const Config>(*std::move(loaded));
  ++status_.reloads_succeeded;
  status_.version = ConfigVersion(*config_);
  status_.loaded_at = now;
  status_.last_error.reset();
  status_.last_error_at = absl::InfinitePast();
  PublishLocked();
  return absl::OkStatus();
}

void ConfigPublisher::OnReload(std::function<void(const absl::Status&)> listener) {
  on_reload_ = std::move(listener);
}

absl::Status ConfigPublisher::Watch(ConfigWatcher::Options options) {
  if (path_.empty()) return absl::FailedPreconditionError("the built-in demo is not a file");
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
