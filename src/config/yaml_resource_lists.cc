#include "config/yaml_resource_lists.h"

#include <exception>
#include <istream>
#include <streambuf>
#include <utility>

#include "api/input_limits.h"
#include "api/yaml_json.h"
#include "api/yaml_location.h"
#include "nlohmann/json.hpp"
#include "xdsd/resource_types.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/exceptions.h"
#include "yaml-cpp/mark.h"
#include "yaml-cpp/parser.h"

namespace xdsd::config {
namespace {

// An istream over a text it does not copy.
class ViewBuffer : public std::streambuf {
 public:
  explicit ViewBuffer(std::string_view text) {
    char* begin = const_cast<char*>(text.data());  // only read: streambuf's API is not const
    setg(begin, begin, begin + text.size());
  }
};

// Follows the parser's events with a stack of the open maps and lists, and records the items of
// every list at `resources.<kind>` and `groups[i].resources.<kind>`.
class ListFinder : public YAML::EventHandler {
 public:
  explicit ListFinder(std::string_view text) : text_(text) {}

  // False when the file is not to be split (see SplitYamlResourceLists).
  bool ok() const { return ok_; }
  YamlResourceLists Take() {
    if (open_ != nullptr) Close(text_.size());
    return std::move(lists_);
  }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Node(mark, anchor, "");
    if (converting_) AddJson(nullptr, /*scalar=*/false, "");
    Done();
  }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { ok_ = false; }
  void OnAnchor(const YAML::Mark&, const std::string&) override { ok_ = false; }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Node(mark, anchor, value);
    if (converting_) {
      // As api::YamlToJson: UTF-8 only; "?" tags an untagged plain scalar, the only kind typed.
      if (api::FirstInvalidUtf8(value) != std::string::npos) {
        converting_ = false;
      } else {
        AddJson(tag == "?" ? api::PlainScalarToJson(value) : Json(value), /*scalar=*/true, value);
      }
    }
    Done();
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Node(mark, anchor, "");
    if (converting_) OpenJson(Json::array());
    Push(/*map=*/false);
  }
  void OnSequenceEnd() override {
    if (converting_) CloseJson();
    Pop();
  }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Node(mark, anchor, "");
    if (converting_) OpenJson(Json::object());
    Push(/*map=*/true);
  }
  void OnMapEnd() override {
    if (converting_) CloseJson();
    Pop();
  }

 private:
  using Json = nlohmann::ordered_json;
  // A map or list of the item being converted.
  struct JsonFrame {
    Json value;
    bool has_key = false;  // a map's key is read, its value is due
    std::string key;
  };

  void OpenJson(Json value) {
    // As api::YamlToJson, which counts from the resource (here the item) down.
    if (json_stack_.size() >= static_cast<size_t>(api::kMaxNestingDepth)) {
      converting_ = false;
      return;
    }
    json_stack_.push_back({std::move(value), false, ""});
  }

  void CloseJson() {
    Json value = std::move(json_stack_.back().value);
    json_stack_.pop_back();
    AddJson(std::move(value), /*scalar=*/false, "");
  }

  // A converted value: a key or value of the innermost map, an element of the innermost list,
  // or the item itself.
  void AddJson(Json value, bool scalar, const std::string& text) {
    if (json_stack_.empty()) {
      if (!value.is_object()) {
        converting_ = false;
        return;
      }
      open_->json = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      open_->name = std::move(name_);
      converting_ = false;
      return;
    }
    JsonFrame& top = json_stack_.back();
    const bool item_level = json_stack_.size() == 1;
    if (!top.value.is_object()) {
      top.value.push_back(std::move(value));
    } else if (!top.has_key) {
      // A key: a scalar, written once; "ttl" beside a resource's fields is the builder's.
      if (!scalar || top.value.contains(text) || (item_level && text == "ttl")) {
        converting_ = false;
        return;
      }
      top.has_key = true;
      top.key = text;
    } else {
      if (item_level && !name_seen_ && (top.key == name_field_ || top.key == camel_name_field_)) {
        name_seen_ = true;
        if (scalar) name_ = text;
      }
      top.value[top.key] = std::move(value);
      top.has_key = false;
    }
  }

  // What an open map or list is in the config's shape.
  enum class Role { kOther, kRoot, kResources, kGroups, kGroup, kList };
  struct Frame {
    bool map = false;
    Role role = Role::kOther;
    bool want_key = true;  // a map's next node is a key
    std::string key;       // a map's latest key
    int key_line = 0;
  };

  // A node starts at `mark`: it ends the item before it, is a key, or starts an item.
  void Node(const YAML::Mark& mark, YAML::anchor_t anchor, const std::string& scalar) {
    if (anchor != YAML::NullAnchor) ok_ = false;
    if (open_ != nullptr && item_done_) Close(LineStart(static_cast<size_t>(mark.pos)));
    if (stack_.empty()) return;
    Frame& top = stack_.back();
    if (top.map && top.want_key) {
      top.key = scalar;
      top.key_line = mark.line + 1;
    } else if (top.role == Role::kList) {
      Open(mark, top.key_line);
    }
  }

  void Push(bool map) {
    Role role = Role::kOther;
    const Frame* parent = stack_.empty() ? nullptr : &stack_.back();
    if (parent == nullptr) {
      role = map ? Role::kRoot : Role::kOther;
    } else if (parent->role == Role::kRoot && map && parent->key == "resources") {
      role = Role::kResources;
    } else if (parent->role == Role::kRoot && !map && parent->key == "groups") {
      role = Role::kGroups;
    } else if (parent->role == Role::kGroups && map) {
      role = Role::kGroup;
    } else if (parent->role == Role::kGroup && map && parent->key == "resources") {
      role = Role::kResources;
    } else if (parent->role == Role::kResources && !map) {
      role = Role::kList;
    }
    Frame frame;
    frame.map = map;
    frame.role = role;
    if (role == Role::kList) {
      frame.key_line = parent->key_line;
      const ResourceType* type = FindResourceTypeByName(parent->key);
      name_field_ = type != nullptr ? std::string(type->name_field) : "";
      camel_name_field_ = api::LowerCamel(name_field_);
    }
    stack_.push_back(std::move(frame));
  }

  void Pop() {
    if (!stack_.empty()) stack_.pop_back();
    Done();
  }

  // A node ended: a map's key is followed by its value and a value by a key; an item whose
  // node ended is closed by the next node (or the end of the text).
  void Done() {
    if (stack_.empty()) return;
    Frame& top = stack_.back();
    if (top.map) top.want_key = !top.want_key;
    if (open_ != nullptr && stack_.size() == item_depth_) item_done_ = true;
  }

  // An item starts at `mark`, in the list whose key is on `key_line`: only indentation and one
  // "- " may come before it on its line.
  void Open(const YAML::Mark& mark, int key_line) {
    const size_t pos = static_cast<size_t>(mark.pos);
    const size_t begin = LineStart(pos);
    const std::string_view before = text_.substr(begin, pos - begin);
    const size_t dash = before.find_first_not_of(' ');
    if (dash == std::string_view::npos || before[dash] != '-' ||
        before.find_first_not_of(' ', dash + 1) != std::string_view::npos ||
        pos == begin + dash + 1) {
      ok_ = false;
      return;
    }
    std::vector<YamlListItem>& items = lists_.items_by_key_line[key_line];
    items.push_back({begin, 0, mark.line + 1, "", std::nullopt});
    open_ = &items.back();
    converting_ = true;
    json_stack_.clear();
    name_seen_ = false;
    name_.reset();
    item_done_ = false;
    item_depth_ = stack_.size();
  }

  // The open item ends where the line of `end` starts; it must have a line of its own.
  void Close(size_t end) {
    converting_ = false;
    if (end <= open_->begin) ok_ = false;
    open_->end = end;
    open_ = nullptr;
  }

  size_t LineStart(size_t pos) const {
    pos = std::min(pos, text_.size());
    const size_t newline = pos == 0 ? std::string_view::npos : text_.rfind('\n', pos - 1);
    return newline == std::string_view::npos ? 0 : newline + 1;
  }

  const std::string_view text_;
  bool ok_ = true;
  std::vector<Frame> stack_;
  YamlResourceLists lists_;
  YamlListItem* open_ = nullptr;  // the item being read; a list's vector only grows at its end
  bool item_done_ = false;
  size_t item_depth_ = 0;
  // Converting the open item to JSON (until it is done, or cannot be).
  bool converting_ = false;
  std::vector<JsonFrame> json_stack_;
  // The name field of the list's type, and what the item being converted has in it.
  std::string name_field_;
  std::string camel_name_field_;
  bool name_seen_ = false;
  std::optional<std::string> name_;
};

}  // namespace

std::optional<YamlResourceLists> SplitYamlResourceLists(std::string_view text) {
  ViewBuffer buffer(text);
  std::istream input(&buffer);
  ListFinder finder(text);
  try {
    YAML::Parser parser(input);
    parser.HandleNextDocument(finder);
  } catch (const std::exception&) {
    return std::nullopt;  // read whole, which reports the error
  }
  if (!finder.ok()) return std::nullopt;
  YamlResourceLists lists = finder.Take();
  if (lists.items_by_key_line.empty()) return std::nullopt;
  lists.skeleton = std::string(text);
  for (const auto& [line, items] : lists.items_by_key_line) {
    for (const YamlListItem& item : items) {
      for (size_t i = item.begin; i < item.end; ++i) {
        if (lists.skeleton[i] != '\n') lists.skeleton[i] = ' ';
      }
    }
  }
  return lists;
}

}  // namespace xdsd::config
