#include "api/json_scan.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "api/input_limits.h"
#include "nlohmann/json.hpp"

namespace xdsd::api {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The checker of CheckPlainJson: a loop over the text with an explicit stack of the open
// objects and arrays, so that no input can exhaust the call stack.
class PlainJsonChecker {
 public:
  PlainJsonChecker(std::string_view text, int max_depth) : text_(text), max_depth_(max_depth) {}

  absl::Status Check() {
    if (const size_t bad = FirstInvalidUtf8(text_); bad != std::string_view::npos) {
      return Fail("not UTF-8", bad);
    }
    bool want_value = true;
    while (true) {
      SkipSpace();
      if (want_value) {
        if (absl::Status status = Value(); !status.ok()) return status;
        want_value = false;
        continue;
      }
      if (open_.empty()) {
        if (pos_ != text_.size()) return Fail("text after the value", pos_);
        return absl::OkStatus();
      }
      if (pos_ >= text_.size()) return Fail("unexpected end", pos_);
      const char c = text_[pos_];
      const bool in_object = open_.back().object;
      if (c == (in_object ? '}' : ']')) {
        ++pos_;
        Close();
      } else if (c == ',') {
        ++pos_;
        if (in_object) {
          SkipSpace();
          if (absl::Status status = Key(); !status.ok()) return status;
        }
        want_value = true;
      } else {
        return Fail("expected ',' or the end of the object or array", pos_);
      }
    }
  }

 private:
  struct Open {
    bool object = false;
    size_t first_key = 0;  // in keys_
    // The object's keys once it has many (linear search up to then).
    std::unique_ptr<absl::flat_hash_set<std::string_view>> key_set;
  };
  static constexpr size_t kLinearKeys = 16;

  // The value at pos_; an object or array is opened (with its first key read), not finished.
  absl::Status Value() {
    if (pos_ >= text_.size()) return Fail("expected a value", pos_);
    const char c = text_[pos_];
    if (c == '{' || c == '[') {
      if (static_cast<int>(open_.size()) >= max_depth_) return Fail("nested too deep", pos_);
      ++pos_;
      open_.push_back({c == '{', keys_.size(), nullptr});
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == (c == '{' ? '}' : ']')) {
        ++pos_;
        Close();
        return absl::OkStatus();
      }
      // The first element, or the first key and its value: the recursion is as deep as the
      // nesting, which max_depth bounds.
      if (c == '{') {
        if (absl::Status status = Key(); !status.ok()) return status;
        SkipSpace();
      }
      return Value();
    }
    if (c == '"') return String(nullptr);
    if (c == '-' || IsDigit(c)) return Number();
    for (std::string_view literal : {"true", "false", "null"}) {
      if (text_.substr(pos_, literal.size()) == literal) {
        pos_ += literal.size();
        return absl::OkStatus();
      }
    }
    return Fail("expected a value", pos_);
  }

  // A key of the innermost object and its ':'; then a value is due.
  absl::Status Key() {
    if (pos_ >= text_.size() || text_[pos_] != '"') return Fail("expected a key", pos_);
    const size_t start = pos_;
    bool escaped = false;
    if (absl::Status status = String(&escaped); !status.ok()) return status;
    if (escaped) return Fail("a key with an escape", start);
    const std::string_view key = text_.substr(start + 1, pos_ - start - 2);
    Open& object = open_.back();
    bool duplicate = false;
    if (object.key_set != nullptr) {
      duplicate = !object.key_set->insert(key).second;
    } else {
      duplicate = std::find(keys_.begin() + static_cast<std::ptrdiff_t>(object.first_key),
                            keys_.end(), key) != keys_.end();
      keys_.push_back(key);
      if (keys_.size() - object.first_key > kLinearKeys) {
        object.key_set = std::make_unique<absl::flat_hash_set<std::string_view>>(
            keys_.begin() + static_cast<std::ptrdiff_t>(object.first_key), keys_.end());
      }
    }
    if (duplicate) return Fail("a key written twice", start);
    SkipSpace();
    if (pos_ >= text_.size() || text_[pos_] != ':') return Fail("expected ':'", pos_);
    ++pos_;
    return absl::OkStatus();
  }

  void Close() {
    keys_.resize(std::min(keys_.size(), open_.back().first_key));
    open_.pop_back();
  }

  absl::Status String(bool* escaped) {
    const size_t start = pos_++;
    while (pos_ < text_.size()) {
      const auto c = static_cast<uint8_t>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (c < 0x20) return Fail("a control character in a string", pos_);
      if (c != '\\') {
        ++pos_;
        continue;
      }
      if (escaped != nullptr) *escaped = true;
      if (pos_ + 1 >= text_.size()) break;
      const char e = text_[pos_ + 1];
      if (e != 'u') {
        if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          return Fail("an unknown escape", pos_);
        }
        pos_ += 2;
        continue;
      }
      int unit = HexUnit(pos_);
      if (unit < 0) return Fail("a bad \\u escape", pos_);
      pos_ += 6;
      if (unit >= 0xDC00 && unit <= 0xDFFF) return Fail("a lone surrogate", pos_ - 6);
      if (unit >= 0xD800 && unit <= 0xDBFF) {
        const int low = HexUnit(pos_);
        if (low < 0xDC00 || low > 0xDFFF) return Fail("a lone surrogate", pos_ - 6);
        pos_ += 6;
      }
    }
    return Fail("an unterminated string", start);
  }

  // The code unit of the "\uXXXX" at `at`, or -1.
  int HexUnit(size_t at) const {
    if (at + 6 > text_.size() || text_[at] != '\\' || text_[at + 1] != 'u') return -1;
    int unit = 0;
    for (size_t k = at + 2; k < at + 6; ++k) {
      const char h = text_[k];
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(h))) return -1;
      unit = unit * 16 + (IsDigit(h) ? h - '0' : absl::ascii_tolower(h) - 'a' + 10);
    }
    return unit;
  }

  absl::Status Number() {
    const size_t start = pos_;
    auto digits = [&] {
      const size_t first = pos_;
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
      return pos_ > first;
    };
    if (text_[pos_] == '-') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '0') {
      ++pos_;
    } else if (!digits()) {
      return Fail("a bad number", start);
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (!digits()) return Fail("a bad number", start);
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (!digits()) return Fail("a bad number", start);
    }
    return absl::OkStatus();
  }

  void SkipSpace() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
  }

  static absl::Status Fail(absl::string_view what, size_t at) {
    return absl::InvalidArgumentError(absl::StrCat("not plain JSON: ", what, " at byte ", at));
  }

  const std::string_view text_;
  const int max_depth_;
  size_t pos_ = 0;
  std::vector<Open> open_;
  std::vector<std::string_view> keys_;  // of the open objects, innermost last
};

}  // namespace

absl::Status CheckPlainJson(std::string_view text, int max_depth) {
  return PlainJsonChecker(text, max_depth).Check();
}

std::string JsonReader::ScalarText(const JsonValue& value) const {
  const std::string_view text = Text(value);
  if (value.is_string()) {
    if (text.find('\\') == std::string_view::npos)
      return std::string(text.substr(1, text.size() - 2));
    try {
      return nlohmann::json::parse(text).get<std::string>();
    } catch (const std::exception&) {
      return "";
    }
  }
  if (value.is_object() || value.is_array() || value.is_null()) return "";
  return std::string(text);
}

int JsonReader::LineAt(size_t pos) {
  pos = std::min(pos, text_.size());
  if (pos >= line_pos_) {
    line_ += static_cast<int>(std::count(text_.begin() + static_cast<std::ptrdiff_t>(line_pos_),
                                         text_.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
  } else {
    line_ -=
        static_cast<int>(std::count(text_.begin() + static_cast<std::ptrdiff_t>(pos),
                                    text_.begin() + static_cast<std::ptrdiff_t>(line_pos_), '\n'));
  }
  line_pos_ = pos;
  return line_;
}

size_t JsonReader::SkipSpace(size_t pos) const {
  while (pos < text_.size() && IsSpace(text_[pos])) ++pos;
  return pos;
}

size_t JsonReader::StringEnd(size_t pos) const {
  for (++pos; pos < text_.size(); ++pos) {
    if (text_[pos] == '\\') {
      ++pos;
    } else if (text_[pos] == '"') {
      return pos + 1;
    }
  }
  return text_.size();
}

JsonValue JsonReader::ValueAt(size_t pos) {
  JsonValue value;
  value.begin = SkipSpace(pos);
  value.line = LineAt(value.begin);
  if (value.begin >= text_.size()) {
    value.end = value.begin;
    return value;
  }
  value.kind = text_[value.begin];
  size_t end = value.begin;
  if (value.kind == '"') {
    end = StringEnd(end);
  } else if (value.kind == '{' || value.kind == '[') {
    // Brackets outside strings balance in checked text: the value ends where its own closes.
    int depth = 0;
    for (; end < text_.size(); ++end) {
      const char c = text_[end];
      if (c == '"') {
        end = StringEnd(end) - 1;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if ((c == '}' || c == ']') && --depth == 0) {
        ++end;
        break;
      }
    }
  } else {
    while (end < text_.size() && !IsSpace(text_[end]) && text_[end] != ',' && text_[end] != '}' &&
           text_[end] != ']') {
      ++end;
    }
  }
  value.end = end;
  return value;
}

}  // namespace xdsd::api
