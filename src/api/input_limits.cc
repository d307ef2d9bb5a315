#include "api/input_limits.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "xdsd/refusals.h"

namespace xdsd::api {

size_t MaxYamlValues(size_t text_bytes) {
  constexpr size_t kAlwaysAllowed = 1'000'000;
  return kAlwaysAllowed + text_bytes;
}

absl::Status CheckJsonNesting(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) {
        CountRefusal("json_too_deep", absl::StrCat("at byte ", i));
        return absl::InvalidArgumentError(absl::StrCat("objects and lists nest more than ",
                                                       max_depth, " deep (at byte ", i, ")"));
      }
    } else if (c == '}' || c == ']') {
      depth = std::max(depth - 1, 0);
    }
  }
  return absl::OkStatus();
}

size_t FirstInvalidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<uint8_t>(text[i]);
    if (byte < 0x80) {
      ++i;
      continue;
    }
    // The length of the sequence, and the range its second byte must be in (which rules out
    // overlong forms, surrogates and values past U+10FFFF).
    size_t length = 0;
    uint8_t low = 0x80, high = 0xBF;
    if (byte >= 0xC2 && byte <= 0xDF) {
      length = 2;
    } else if (byte >= 0xE0 && byte <= 0xEF) {
      length = 3;
      if (byte == 0xE0) low = 0xA0;
      if (byte == 0xED) high = 0x9F;
    } else if (byte >= 0xF0 && byte <= 0xF4) {
      length = 4;
      if (byte == 0xF0) low = 0x90;
      if (byte == 0xF4) high = 0x8F;
    } else {
      return i;
    }
    if (i + length > text.size()) return i;
    const auto second = static_cast<uint8_t>(text[i + 1]);
    if (second < low || second > high) return i;
    for (size_t k = 2; k < length; ++k) {
      const auto next = static_cast<uint8_t>(text[i + k]);
      if (next < 0x80 || next > 0xBF) return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

}  // namespace xdsd::api
