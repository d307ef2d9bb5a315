#include "server/heartbeat_ticker.h"

#include <utility>

namespace xdsd::server {

HeartbeatTicker::HeartbeatTicker(absl::Duration interval)
    : interval_(interval), thread_([this] { Loop(); }) {}

HeartbeatTicker::~HeartbeatTicker() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void HeartbeatTicker::Add(std::weak_ptr<Ticking> ticking) {
  absl::MutexLock lock(&mu_);
  ticking_.push_back(std::move(ticking));
}

void HeartbeatTicker::Loop() {
  while (true) {
    std::vector<std::shared_ptr<Ticking>> now;
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_);
      if (stopping_) return;
      std::erase_if(ticking_, [&](const std::weak_ptr<Ticking>& weak) {
        std::shared_ptr<Ticking> ticking = weak.lock();
        if (ticking == nullptr) return true;
        now.push_back(std::move(ticking));
        return false;
      });
    }
    for (const auto& ticking : now) ticking->OnTick();  // outside mu_
  }
}

}  // namespace xdsd::server
