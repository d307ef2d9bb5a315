#pragma once

#include <cstdint>
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

// A digest of a set's names, in its order.
uint64_t NameSetDigest(const NameSet& names);

}  // namespace xdsd::server
