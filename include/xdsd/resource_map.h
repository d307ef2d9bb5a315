#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "xdsd/resource.h"

namespace xdsd {

// An immutable map from resource name to resource, sorted by name, with persistent updates:
// With() and Without() return a new map that shares every unchanged part with the old one, so
// changing one resource of a set of 100,000 copies a few hundred pointers, not the set.
// Its content hash is kept up to date the same way (a sum of per-entry hashes), so a new
// version costs nothing either.
//
// The entries live in chunks of at most kMaxChunk, each shared between the maps that hold it
// unchanged; a map is a sorted list of chunk pointers.
//
// Thread-safe: immutable; copies are cheap (one shared pointer).
class ResourceMap {
 public:
  using value_type = std::pair<std::string, ResourcePtr>;
  using size_type = size_t;
  static constexpr size_t kMaxChunk = 512;

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = ResourceMap::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type*;
    using reference = const value_type&;

    const_iterator() = default;
    reference operator*() const { return (*(*chunks_)[chunk_])[entry_]; }
    pointer operator->() const { return &**this; }
    const_iterator& operator++();
    const_iterator operator++(int) {
      const_iterator copy = *this;
      ++*this;
      return copy;
    }
    bool operator==(const const_iterator& other) const {
      return chunk_ == other.chunk_ && entry_ == other.entry_;
    }

   private:
    friend class ResourceMap;
    using Chunks = std::vector<std::shared_ptr<const std::vector<value_type>>>;
    const_iterator(const Chunks* chunks, size_t chunk, size_t entry)
        : chunks_(chunks), chunk_(chunk), entry_(entry) {}
    const Chunks* chunks_ = nullptr;
    size_t chunk_ = 0;
    size_t entry_ = 0;
  };
  using iterator = const_iterator;

  ResourceMap();
  // From resources with distinct names, in any order.
  explicit ResourceMap(std::vector<ResourcePtr> resources);

  const_iterator begin() const { return const_iterator(chunks_.get(), 0, 0); }
  const_iterator end() const { return const_iterator(chunks_.get(), chunks_->size(), 0); }
  const_iterator find(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name) != end(); }
  ResourcePtr Get(std::string_view name) const;  // null when absent
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // A map with `resource` added, or replacing the one of its name.
  ResourceMap With(const ResourcePtr& resource) const;
  // A map without `name` (the same map when it is absent).
  ResourceMap Without(std::string_view name) const;

  // A content hash of the names and versions: equal maps have equal hashes, in any process.
  uint64_t content_hash() const { return hash_; }
  // The hash one entry adds to content_hash().
  static uint64_t EntryHash(std::string_view name, std::string_view version);

 private:
  using Chunk = std::vector<value_type>;
  using Chunks = const_iterator::Chunks;
  // The chunk that holds `name` or would hold it.
  size_t ChunkFor(std::string_view name) const;

  std::shared_ptr<const Chunks> chunks_;
  size_t size_ = 0;
  uint64_t hash_ = 0;
};

}  // namespace xdsd
