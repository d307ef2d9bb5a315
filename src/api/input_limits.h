#pragma once

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"

namespace xdsd::api {

// The bounds every parser of outside input (config files, JSON bodies) keeps to, so that no
// input can exhaust the stack or the heap. Pure functions: thread-safe.

// How deep objects and lists may nest, in YAML and JSON alike: protobuf's JSON parser stops
// at the same depth, so nothing deeper could ever become a resource.
inline constexpr int kMaxNestingDepth = 100;

// How many values (scalars, maps and lists) a YAML document of `text_bytes` bytes may expand to.
// Without aliases a document holds fewer values than it has bytes; the cap lets aliases
// share parts generously but stops a "billion laughs" long before it costs real memory.
size_t MaxYamlValues(size_t text_bytes);

// OK when `text`'s objects and arrays nest at most `max_depth` deep (strings are skipped;
// malformed JSON is left to the parser). Otherwise InvalidArgument, counted as the refusal
// "json_too_deep". Linear, with no recursion: safe to run before a recursive parser.
absl::Status CheckJsonNesting(std::string_view text, int max_depth = kMaxNestingDepth);

// The offset of the first byte of `text` that is not part of valid UTF-8 (overlong forms,
// surrogates and code points past U+10FFFF are invalid), or npos when all of it is valid.
size_t FirstInvalidUtf8(std::string_view text);

}  // namespace xdsd::api
