#include "xdsd/refusals.h"

#include <atomic>
#include <map>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace xdsd {
namespace {

struct Registry {
  absl::Mutex mu;
  // Counters are never removed, so a pointer to one stays valid.
  std::map<std::string, std::unique_ptr<std::atomic<uint64_t>>, std::less<>> counts
      ABSL_GUARDED_BY(mu);
  std::shared_ptr<const RefusalLogSink> sink ABSL_GUARDED_BY(mu);
};

Registry& GetRegistry() {
  static auto* registry = new Registry();
  return *registry;
}

}  // namespace

void CountRefusal(std::string_view reason, std::string_view detail) {
  Registry& registry = GetRegistry();
  std::atomic<uint64_t>* counter;
  std::shared_ptr<const RefusalLogSink> sink;
  {
    absl::MutexLock lock(&registry.mu);
    auto it = registry.counts.find(reason);
    if (it == registry.counts.end()) {
      it = registry.counts.emplace(std::string(reason), std::make_unique<std::atomic<uint64_t>>(0))
               .first;
    }
    counter = it->second.get();
    sink = registry.sink;
  }
  counter->fetch_add(1, std::memory_order_relaxed);
  if (sink != nullptr && *sink) (*sink)(reason, detail);
}

std::vector<std::pair<std::string, uint64_t>> RefusalCounts() {
  Registry& registry = GetRegistry();
  std::vector<std::pair<std::string, uint64_t>> counts;
  absl::MutexLock lock(&registry.mu);
  for (const auto& [reason, count] : registry.counts) {
    counts.emplace_back(reason, count->load(std::memory_order_relaxed));
  }
  return counts;
}

void SetRefusalLogSink(RefusalLogSink sink) {
  Registry& registry = GetRegistry();
  auto shared = std::make_shared<const RefusalLogSink>(std::move(sink));
  absl::MutexLock lock(&registry.mu);
  registry.sink = std::move(shared);
}

}  // namespace xdsd
