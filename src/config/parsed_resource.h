#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "xdsd/resource.h"
#include "xdsd/resource_types.h"
#include "yaml-cpp/yaml.h"

// The pieces the config loader's stages share (config_builder, vhds_split, reference_checks):
// a resource as parsed from a file, and the errors of one load. Not part of the loader's API.

namespace xdsd::config {

// Debian's Abseil is built with its own absl::string_view, distinct from std::string_view.
inline absl::string_view AbslView(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// Where a resource was written, to find the line of a value inside it for an error. Either the
// resource's YAML node (the YAML path, which holds the file as one document anyway), or the
// resource's own text within its file (the JSON path, which holds no tree): that text is parsed
// again only when an error needs a line. Copyable; immutable.
class ResourceSource {
 public:
  // Nowhere: every line is 0.
  ResourceSource() = default;
  explicit ResourceSource(const YAML::Node& node) : node_(node) {}
  // Bytes [begin, end) of `file_text`, starting on `line` (1-based) at `column` (0-based). When
  // `list_item`, the bytes are the lines of one item of a YAML list (YamlListItem), which is
  // the resource.
  ResourceSource(std::shared_ptr<const std::string> file_text, size_t begin, size_t end, int line,
                 int column, bool list_item = false)
      : text_(std::move(file_text)),
        begin_(begin),
        end_(end),
        line_(line),
        column_(column),
        list_item_(list_item) {}

  // The value at `path` inside this one ("virtual_hosts[2]"): what VHDS splits off a route
  // configuration.
  ResourceSource Inside(absl::string_view path) const;

  // The line of the resource (of its value at the path it is Inside).
  int line() const { return LineOfPath(""); }
  // The line of the deepest value `relative_path` leads to (api::LineOfPath).
  int LineOfPath(absl::string_view relative_path) const;

  // The resource's YAML (parsed again from the file's text for a text source; undefined when
  // that fails), and the line of the file a line of it is on.
  YAML::Node Yaml() const;
  int FileLine(int yaml_line) const;

 private:
  YAML::Node node_;
  std::shared_ptr<const std::string> text_;
  size_t begin_ = 0;
  size_t end_ = 0;
  int line_ = 0;
  int column_ = 0;
  bool list_item_ = false;
  std::string inside_;  // the path Inside() added
};

// One resource as parsed, with where it was written. Move-only.
struct ParsedResource {
  const ResourceType* kind = nullptr;
  ResourcePtr resource;
  std::string file;
  // "listeners[0]", or "groups[1].resources.listeners[0]".
  std::string path;
  // Where it was written, to find the line of a nested value.
  ResourceSource source;
  // The resource decoded as its generated type (a RouteConfiguration, a Listener, ...) for the
  // types whose references are checked (NewCheckedMessage), kept from parsing so that the
  // checks decode nothing again; null for the other types.
  std::unique_ptr<const google::protobuf::Message> message;
};

// The resources served to one set of nodes (the default set, or one group's).
struct ResourceSet {
  std::vector<ParsedResource> resources;
  // By type URL, the names of the resources that were written but did not load (their error
  // is reported): the reference checks take them as defined, so that a route to a cluster that
  // did not load is not reported as well.
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> unloaded_names;
};

// The errors of one load, in the order found. Each reads "FILE:LINE: PATH: message" (without
// "PATH: " when there is no path).
//
// Thread-compatible.
class LoadErrors {
 public:
  void Add(absl::string_view file, int line, absl::string_view path, absl::string_view message);
  // An error at `relative_path` inside a parsed resource: its path is the resource's path
  // followed by `relative_path`, its line the one `relative_path` leads to in the YAML.
  void AddAt(const ParsedResource& where, absl::string_view relative_path,
             absl::string_view message);
  // An error that is already a whole line.
  void AddLine(std::string error) { errors_.push_back(std::move(error)); }

  size_t size() const { return errors_.size(); }
  bool empty() const { return errors_.empty(); }
  // InvalidArgument with one error per line.
  absl::Status ToStatus() const;

 private:
  std::vector<std::string> errors_;
};

}  // namespace xdsd::config
