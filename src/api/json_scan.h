#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace xdsd::api {

// A JSON text read in place, without building a tree: the config loader's fast path for JSON
// files, which hands each resource's own text to protobuf's JSON parser (EnvoyApi::JsonToBinary)
// and so never holds the whole file as a tree.
//
// CheckPlainJson first checks the whole text in one linear pass without recursion; a
// JsonReader then walks only text that passed it. Text that does not pass is left to the YAML
// path (JSON is YAML), which reports what is wrong with its line: the check decides which path
// reads a file, never what the error is.
//
// Pure functions and a reader over a text the caller keeps alive: thread-compatible.

// OK when `text` is one JSON value (after optional whitespace, followed only by whitespace) of
// strict JSON (RFC 8259) that also: nests at most `max_depth` objects and arrays deep; is
// UTF-8 throughout, surrogate escapes in pairs; has no object with a key written twice; has no
// key written with an escape (so that a key's text is its value). InvalidArgument naming the
// first reason and its byte offset otherwise.
absl::Status CheckPlainJson(std::string_view text, int max_depth);

// One value of the text: where it starts and ends, and its 1-based line.
struct JsonValue {
  size_t begin = 0;
  size_t end = 0;  // one past its last byte
  int line = 0;
  // '{', '[', '"', or the first byte of a number, true, false or null.
  char kind = 0;
  bool is_object() const { return kind == '{'; }
  bool is_array() const { return kind == '['; }
  bool is_string() const { return kind == '"'; }
  bool is_null() const { return kind == 'n'; }
};

// Walks a text that passed CheckPlainJson; on any other text its results are meaningless (but
// it reads no byte outside the text).
class JsonReader {
 public:
  explicit JsonReader(std::string_view text) : text_(text) {}

  // The root value.
  JsonValue Root() { return ValueAt(0); }

  // Calls `visit(key, key_line, value)` for each member of `object` in order; `visit` returns
  // false to stop. The key is its text (which, checked, has no escapes).
  template <typename Visit>
  void ForEachMember(const JsonValue& object, Visit visit) {
    size_t pos = object.begin + 1;
    while (true) {
      pos = SkipSpace(pos);
      if (pos >= object.end || text_[pos] == '}') return;
      if (text_[pos] == ',') pos = SkipSpace(pos + 1);
      const size_t key_end = StringEnd(pos);
      const int key_line = LineAt(pos);
      const absl::string_view key(text_.data() + pos + 1, key_end - pos - 2);
      pos = SkipSpace(key_end) + 1;  // the ':'
      const JsonValue value = ValueAt(pos);
      if (!visit(key, key_line, value)) return;
      pos = value.end;
    }
  }

  // Calls `visit(index, value)` for each element of `array` in order.
  template <typename Visit>
  void ForEachElement(const JsonValue& array, Visit visit) {
    size_t pos = array.begin + 1;
    for (size_t index = 0;; ++index) {
      pos = SkipSpace(pos);
      if (pos >= array.end || text_[pos] == ']') return;
      if (text_[pos] == ',') pos = SkipSpace(pos + 1);
      const JsonValue value = ValueAt(pos);
      visit(index, value);
      pos = value.end;
    }
  }

  // The text of `value` as written.
  std::string_view Text(const JsonValue& value) const {
    return text_.substr(value.begin, value.end - value.begin);
  }

  // A scalar's value as YAML would read it: a string's decoded text, a number's or true's or
  // false's own text; "" for anything else.
  std::string ScalarText(const JsonValue& value) const;

  // The 1-based line of byte `pos`. Cheap for positions near the one asked before.
  int LineAt(size_t pos);

 private:
  JsonValue ValueAt(size_t pos);
  size_t SkipSpace(size_t pos) const;
  // One past the closing quote of the string that opens at `pos`.
  size_t StringEnd(size_t pos) const;

  std::string_view text_;
  size_t line_pos_ = 0;  // LineAt's last answer: the line of this byte
  int line_ = 1;
};

}  // namespace xdsd::api
