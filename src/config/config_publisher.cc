#include "config/config_publisher.h"

#include <malloc.h>

#include <set>

#include "absl/cleanup/cleanup.h"
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

ConfigPublisher::ConfigPublisher(std::string path, size_t max_config_bytes)
    : path_(std::move(path)), max_config_bytes_(max_config_bytes) {
  status_.source = path_.empty() ? kDemoSource : path_;
}

ConfigPublisher::~ConfigPublisher() { watcher_.reset(); }

absl::StatusOr<Config> ConfigPublisher::LoadFromSource() const {
  if (path_.empty()) return ParseConfig(DemoConfigYaml(), kDemoSource);
  return LoadConfigFile(path_, max_config_bytes_);
}

absl::Status ConfigPublisher::Load() { return Reload(); }

std::string ConfigPublisher::KeyOf(const envoy::config::core::v3::Node& node) const {
  absl::MutexLock lock(&mu_);
  return config_ == nullptr ? "" : GroupOf(*config_, node);
}

void ConfigPublisher::PublishTo(SnapshotCache* cache) {
  absl::MutexLock publishing(&publish_mu_);
  cache_ = cache;
  std::shared_ptr<const Config> config = this->config();
  if (config != nullptr) Publish(*config, cache_);
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
  std::shared_ptr<const Config> config;
  {
    absl::MutexLock lock(&mu_);
    if (!loaded.ok()) {
      ++status_.reloads_failed;
      status_.last_error = std::string(loaded.status().message());
      status_.last_error_at = now;
      return loaded.status();
    }
    config = std::make_shared<const Config>(*std::move(loaded));
    config_ = config;
    ++status_.reloads_succeeded;
    status_.version = ConfigVersion(*config_);
    status_.loaded_at = now;
    status_.last_error.reset();
    status_.last_error_at = absl::InfinitePast();
  }
  Publish(*config, cache_);
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
