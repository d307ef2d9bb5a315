#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
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

// One resource as parsed, with where it was written. Move-only.
struct ParsedResource {
  const ResourceType* kind = nullptr;
  ResourcePtr resource;
  std::string file;
  // "listeners[0]", or "groups[1].resources.listeners[0]".
  std::string path;
  // The resource's YAML, to find the line of a nested value.
  YAML::Node node;
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
