#include "etcd/etcd_config_source.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace xdsd::etcd {

EtcdConfigSource::EtcdConfigSource(EtcdClient* client, EtcdUrl url)
    : client_(client), url_(std::move(url)), key_prefix_(absl::StrCat(url_.prefix, "/")) {
  status_.url = FormatEtcdUrl(url_);
}

EtcdConfigSource::~EtcdConfigSource() { Stop(); }

absl::Status EtcdConfigSource::Load() { return LoadAll(); }

absl::Status EtcdConfigSource::LoadAll() {
  absl::StatusOr<RangeResult> range = client_->RangePrefix(key_prefix_);
  if (!range.ok()) {
    RecordError(range.status());
    return range.status();
  }
  config::ConfigKeys keys;
  for (KeyValue& kv : range->kvs) {
    keys[kv.key.substr(key_prefix_.size())] = std::move(kv.value);
  }
  absl::MutexLock lock(&mu_);
  keys_ = std::move(keys);
  status_.revision = range->revision;
  status_.connected = true;
  status_.endpoint = client_->current_endpoint();
  ++status_.full_loads;
  status_.last_error.clear();
  status_.last_error_at = absl::InfinitePast();
  return absl::OkStatus();
}

void EtcdConfigSource::RecordError(const absl::Status& error) {
  absl::MutexLock lock(&mu_);
  status_.connected = false;
  status_.last_error = std::string(error.message());
  status_.last_error_at = absl::Now();
}

absl::StatusOr<config::Config> EtcdConfigSource::BuildConfig() const {
  int64_t revision = 0;
  const config::ConfigKeys held = keys(&revision);
  return config::ConfigFromKeys(held, absl::StrCat("etcd:", key_prefix_));
}

config::ConfigKeys EtcdConfigSource::keys(int64_t* revision) const {
  absl::MutexLock lock(&mu_);
  if (revision != nullptr) *revision = status_.revision;
  return keys_;
}

void EtcdConfigSource::Start(std::function<void()> on_change) {
  on_change_ = std::move(on_change);
  {
    absl::MutexLock lock(&mu_);
    handled_revision_ = status_.revision;  // the loaded revision was built before Start
  }
  thread_ = std::thread([this] { Run(); });
}

void EtcdConfigSource::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  canceller_.Cancel();
  if (thread_.joinable()) thread_.join();
}

EtcdSourceStatus EtcdConfigSource::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

bool EtcdConfigSource::WaitUntilHandled(int64_t revision, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, revision]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return handled_revision_ >= revision; };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

void EtcdConfigSource::MarkHandled(int64_t revision) {
  absl::MutexLock lock(&mu_);
  handled_revision_ = std::max(handled_revision_, revision);
}

void EtcdConfigSource::Run() {
  constexpr absl::Duration kMinBackoff = absl::Milliseconds(100);
  constexpr absl::Duration kMaxBackoff = absl::Seconds(2);
  absl::Duration backoff = kMinBackoff;
  while (!stop_.HasBeenNotified()) {
    int64_t from = 0;
    {
      absl::MutexLock lock(&mu_);
      from = status_.revision + 1;
    }
    bool established = false;
    absl::Status ended = client_->Watch(
        key_prefix_, from,
        [this](const std::vector<WatchEvent>& events, int64_t revision) {
          {
            absl::MutexLock lock(&mu_);
            for (const WatchEvent& event : events) {
              std::string key = event.kv.key.substr(key_prefix_.size());
              if (event.is_delete) {
                keys_.erase(key);
              } else {
                keys_[std::move(key)] = event.kv.value;
              }
            }
            status_.revision = std::max(status_.revision, revision);
            status_.connected = true;
          }
          if (!events.empty() && on_change_) on_change_();
          MarkHandled(revision);
        },
        &canceller_,
        [this, &established] {
          established = true;
          absl::MutexLock lock(&mu_);
          status_.connected = true;
          status_.endpoint = client_->current_endpoint();
          status_.last_error.clear();
          status_.last_error_at = absl::InfinitePast();
        });
    if (stop_.HasBeenNotified() || absl::IsCancelled(ended)) return;
    if (absl::IsOutOfRange(ended)) {
      // Compacted past the revision held: the events between are gone, so read everything
      // again; the watch resumes from the newest revision.
      if (LoadAll().ok()) {
        backoff = kMinBackoff;
        if (on_change_) on_change_();
        MarkHandled(status().revision);
        continue;
      }
    } else {
      RecordError(ended);
    }
    // A watch that was established starts the backoff over.
    if (established) backoff = kMinBackoff;
    stop_.WaitForNotificationWithTimeout(backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

}  // namespace xdsd::etcd
