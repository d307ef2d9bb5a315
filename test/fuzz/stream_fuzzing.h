#pragma once

// What the stream state machine fuzz targets share: reading the input and running a model.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "xdsd/resource.h"
#include "xdsd/resource_types.h"
#include "xdsd/snapshot.h"

namespace xdsd::fuzzing {

// Aborts, saying which promise broke: libFuzzer reports it as a crash.
inline void Check(bool promise, const char* what) {
  if (promise) return;
  fprintf(stderr, "broken promise: %s\n", what);
  abort();
}

// Reads the input a byte at a time; zeros once it is used up.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return at_ >= size_; }
  uint8_t Next() { return at_ < size_ ? data_[at_++] : 0; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

// The names and types the models use: clusters and endpoints, four names each.
inline constexpr const char* kNames[] = {"a", "b", "c", "d"};
inline const std::string kTypes[] = {std::string(kClusterType), std::string(kEndpointType)};

// A snapshot from two bytes: which of the 8 resources exist, and which of two bodies each name
// has (a new body is a new version).
inline SnapshotPtr DecodeSnapshot(Bytes& in) {
  std::vector<ResourcePtr> resources;
  const uint8_t present = in.Next();
  const uint8_t bodies = in.Next();
  for (size_t t = 0; t < std::size(kTypes); ++t) {
    for (int i = 0; i < 4; ++i) {
      if (!(present & (1 << (t * 4 + i)))) continue;
      resources.push_back(
          Resource::FromBytes(kTypes[t], kNames[i], std::string(1, 'A' + ((bodies >> i) & 1))));
    }
  }
  return *Snapshot::Create(std::move(resources));
}

// Runs up to 256 steps decoded from the input on a fresh `Model` (a snapshot, a subscription
// change, an answer, or taking the next response), then lets it settle and check the end state.
template <typename Model>
void RunSteps(const uint8_t* data, size_t size) {
  Bytes in(data, size);
  Model model;
  for (int step = 0; step < 256 && !in.empty(); ++step) {
    switch (in.Next() % 4) {
      case 0:
        model.Snapshot(in);
        break;
      case 1:
        model.Subscribe(in);
        break;
      case 2:
        model.Answer(in);
        break;
      default:
        model.Respond();
        break;
    }
  }
  model.Settle();
}

}  // namespace xdsd::fuzzing
