#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <string>

namespace xdsd::server {

// The resource names a stream subscribes to, for one type.
using NameSet = std::set<std::string, std::less<>>;
// A name set shared by every stream that subscribes to the same names: a fleet of Envoys asks
// alike, and ten thousand copies of a thousand names are most of what the streams would hold.
using SharedNameSet = std::shared_ptr<const NameSet>;

// The empty set, shared.
SharedNameSet EmptyNameSet();

// A set equal to `names`, shared with the streams that hold an equal one. `digest` finds it (any
// hash of the names; equal sets under different digests are simply not shared). Thread-safe:
// the pool holds the sets weakly, so a set lives as long as a stream holds it.
SharedNameSet InternNameSet(uint64_t digest, NameSet names);

// A digest of names in their order: a set's, or a request's as the client sent them. Every
// name goes into one buffer (its length, then its bytes) hashed once: a chain of one hash per
// name costs several times as much for the thousand names of an Envoy's EDS ACK.
template <typename Names>
uint64_t NamesDigest(const Names& names);

// The calling thread's buffer for NamesDigest, `size` bytes long (its contents undefined).
char* NamesDigestBuffer(size_t size);
// The hash of the first `size` bytes of NamesDigestBuffer.
uint64_t HashNamesDigestBuffer(size_t size);

template <typename Names>
uint64_t NamesDigest(const Names& names) {
  size_t size = sizeof(uint64_t);
  for (const std::string& name : names) size += sizeof(uint32_t) + name.size();
  char* out = NamesDigestBuffer(size);
  const uint64_t count = names.size();
  std::memcpy(out, &count, sizeof(count));
  out += sizeof(count);
  for (const std::string& name : names) {
    const auto length = static_cast<uint32_t>(name.size());
    std::memcpy(out, &length, sizeof(length));
    std::copy(name.begin(), name.end(), out + sizeof(length));  // bytes, not a C string
    out += sizeof(length) + name.size();
  }
  return HashNamesDigestBuffer(size);
}

}  // namespace xdsd::server
