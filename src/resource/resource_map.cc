#include "xdsd/resource_map.h"

#include <xxhash.h>

#include <algorithm>

namespace xdsd {

ResourceMap::const_iterator& ResourceMap::const_iterator::operator++() {
  if (++entry_ == (*chunks_)[chunk_]->size()) {
    ++chunk_;
    entry_ = 0;
  }
  return *this;
}

uint64_t ResourceMap::EntryHash(std::string_view name, std::string_view version) {
  // The name and the version are hashed apart (the name's hash seeds the version's), so no
  // two different entries hash the same input.
  return XXH3_64bits_withSeed(version.data(), version.size(),
                              XXH3_64bits(name.data(), name.size()));
}

ResourceMap::ResourceMap() : chunks_(std::make_shared<const Chunks>()) {}

ResourceMap::ResourceMap(std::vector<ResourcePtr> resources) {
  auto by_name = [](const ResourcePtr& a, const ResourcePtr& b) { return a->name() < b->name(); };
  if (!std::is_sorted(resources.begin(), resources.end(), by_name)) {
    std::sort(resources.begin(), resources.end(), by_name);
  }
  auto chunks = std::make_shared<Chunks>();
  // Half-full chunks leave room for insertions before a chunk has to split.
  constexpr size_t kFill = kMaxChunk / 2;
  for (size_t begin = 0; begin < resources.size(); begin += kFill) {
    auto chunk = std::make_shared<Chunk>();
    const size_t end = std::min(resources.size(), begin + kFill);
    chunk->reserve(end - begin);
    for (size_t i = begin; i < end; ++i) {
      hash_ += EntryHash(resources[i]->name(), resources[i]->version());
      chunk->emplace_back(resources[i]->name(), std::move(resources[i]));
    }
    chunks->push_back(std::move(chunk));
  }
  size_ = resources.size();
  chunks_ = std::move(chunks);
}

size_t ResourceMap::ChunkFor(std::string_view name) const {
  // The last chunk whose first name is <= name (chunk 0 when name sorts first).
  auto it = std::upper_bound(chunks_->begin(), chunks_->end(), name,
                             [](std::string_view n, const auto& chunk) {
                               return n < std::string_view(chunk->front().first);
                             });
  return it == chunks_->begin() ? 0 : static_cast<size_t>(it - chunks_->begin()) - 1;
}

ResourceMap::const_iterator ResourceMap::find(std::string_view name) const {
  if (chunks_->empty()) return end();
  const size_t c = ChunkFor(name);
  const Chunk& chunk = *(*chunks_)[c];
  auto it = std::lower_bound(chunk.begin(), chunk.end(), name,
                             [](const value_type& e, std::string_view n) { return e.first < n; });
  if (it == chunk.end() || it->first != name) return end();
  return const_iterator(chunks_.get(), c, static_cast<size_t>(it - chunk.begin()));
}

ResourcePtr ResourceMap::Get(std::string_view name) const {
  auto it = find(name);
  return it == end() ? nullptr : it->second;
}

ResourceMap ResourceMap::With(const ResourcePtr& resource) const {
  ResourceMap next = *this;
  auto chunks = std::make_shared<Chunks>(*chunks_);
  const std::string& name = resource->name();
  if (chunks->empty()) {
    chunks->push_back(std::make_shared<const Chunk>(Chunk{{name, resource}}));
    ++next.size_;
  } else {
    const size_t c = ChunkFor(name);
    auto chunk = std::make_shared<Chunk>(*(*chunks)[c]);
    auto it = std::lower_bound(chunk->begin(), chunk->end(), std::string_view(name),
                               [](const value_type& e, std::string_view n) { return e.first < n; });
    if (it != chunk->end() && it->first == name) {
      next.hash_ -= EntryHash(name, it->second->version());
      it->second = resource;
    } else {
      chunk->insert(it, {name, resource});
      ++next.size_;
    }
    if (chunk->size() > kMaxChunk) {
      auto upper = std::make_shared<Chunk>(
          chunk->begin() + static_cast<std::ptrdiff_t>(chunk->size() / 2), chunk->end());
      chunk->resize(chunk->size() / 2);
      (*chunks)[c] = std::move(chunk);
      chunks->insert(chunks->begin() + static_cast<std::ptrdiff_t>(c) + 1, std::move(upper));
    } else {
      (*chunks)[c] = std::move(chunk);
    }
  }
  next.hash_ += EntryHash(name, resource->version());
  next.chunks_ = std::move(chunks);
  return next;
}

ResourceMap ResourceMap::Without(std::string_view name) const {
  auto found = find(name);
  if (found == end()) return *this;
  ResourceMap next = *this;
  next.hash_ -= EntryHash(name, found->second->version());
  --next.size_;
  auto chunks = std::make_shared<Chunks>(*chunks_);
  const size_t c = ChunkFor(name);
  auto chunk = std::make_shared<Chunk>(*(*chunks)[c]);
  chunk->erase(chunk->begin() + static_cast<std::ptrdiff_t>(found.entry_));
  if (chunk->empty()) {
    chunks->erase(chunks->begin() + static_cast<std::ptrdiff_t>(c));
  } else {
    (*chunks)[c] = std::move(chunk);
  }
  next.chunks_ = std::move(chunks);
  return next;
}

}  // namespace xdsd
