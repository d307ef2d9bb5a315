#pragma once

#include <cstdint>

namespace xdsd::resource {

// How many Resource objects this process made: each is one serialization (or one adoption of
// serialized bytes), however many streams send it. For benchmarks and tests that count
// serializations; not part of the public API.
uint64_t ResourcesCreated();

}  // namespace xdsd::resource
