#include "config/yaml_resource_lists.h"

#include <exception>
#include <istream>
#include <streambuf>
#include <utility>

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
    Done();
  }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { ok_ = false; }
  void OnAnchor(const YAML::Mark&, const std::string&) override { ok_ = false; }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    Node(mark, anchor, value);
    Done();
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Node(mark, anchor, "");
    Push(/*map=*/false);
  }
  void OnSequenceEnd() override { Pop(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Node(mark, anchor, "");
    Push(/*map=*/true);
  }
  void OnMapEnd() override { Pop(); }

 private:
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
    if (role == Role::kList) frame.key_line = parent->key_line;
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
    items.push_back({begin, 0, mark.line + 1});
    open_ = &items.back();
    item_done_ = false;
    item_depth_ = stack_.size();
  }

  // The open item ends where the line of `end` starts; it must have a line of its own.
  void Close(size_t end) {
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
