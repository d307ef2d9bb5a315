#include "server/name_set.h"

#include <xxhash.h>

#include <map>

#include "absl/base/const_init.h"
#include "absl/synchronization/mutex.h"

namespace xdsd::server {

SharedNameSet EmptyNameSet() {
  static const auto* const kEmpty = new SharedNameSet(std::make_shared<const NameSet>());
  return *kEmpty;
}

SharedNameSet InternNameSet(uint64_t digest, NameSet names) {
  static absl::Mutex mu(absl::kConstInit);
  static auto* const pool = new std::map<uint64_t, std::weak_ptr<const NameSet>>();
  absl::MutexLock lock(&mu);
  auto it = pool->find(digest);
  if (it != pool->end()) {
    if (auto shared = it->second.lock(); shared != nullptr && *shared == names) return shared;
  }
  auto made = std::make_shared<const NameSet>(std::move(names));
  (*pool)[digest] = made;
  if (pool->size() > 4096) {  // drop what no stream holds any more
    std::erase_if(*pool, [](const auto& entry) { return entry.second.expired(); });
  }
  return made;
}

namespace {

std::string& DigestBuffer() {
  static thread_local std::string buffer;
  return buffer;
}

}  // namespace

char* NamesDigestBuffer(size_t size) {
  std::string& buffer = DigestBuffer();
  if (buffer.size() < size) buffer.resize(size);
  return buffer.data();
}

uint64_t HashNamesDigestBuffer(size_t size) { return XXH3_64bits(DigestBuffer().data(), size); }

}  // namespace xdsd::server
