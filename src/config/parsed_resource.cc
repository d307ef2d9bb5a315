#include "config/parsed_resource.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/yaml_json.h"
#include "api/yaml_location.h"

namespace xdsd::config {

ResourceSource ResourceSource::Inside(absl::string_view path) const {
  ResourceSource inner = *this;
  inner.inside_ = inside_.empty() ? std::string(path) : absl::StrCat(inside_, ".", path);
  return inner;
}

int ResourceSource::LineOfPath(absl::string_view relative_path) const {
  std::string path = inside_;
  if (!relative_path.empty()) absl::StrAppend(&path, path.empty() ? "" : ".", relative_path);
  if (text_ != nullptr && path.empty() && !list_item_) return line_;  // no need to parse
  return FileLine(api::LineOfPath(Yaml(), path));
}

YAML::Node ResourceSource::Yaml() const {
  if (text_ == nullptr) return node_;
  // Indented as in the file, so that a block of YAML keeps its structure.
  std::string text(static_cast<size_t>(column_), ' ');
  text.append(*text_, begin_, end_ - begin_);
  int error_line = 0;
  absl::StatusOr<YAML::Node> node = api::LoadYaml(text, &error_line);
  if (!node.ok()) return YAML::Node(YAML::NodeType::Undefined);
  if (!list_item_) return *node;
  const YAML::Node& list = *node;
  return list.IsSequence() && list.size() == 1 ? list[0] : YAML::Node(YAML::NodeType::Undefined);
}

int ResourceSource::FileLine(int yaml_line) const {
  if (text_ == nullptr) return yaml_line;
  return yaml_line > 0 ? line_ + yaml_line - 1 : line_;
}

void LoadErrors::Add(absl::string_view file, int line, absl::string_view path,
                     absl::string_view message) {
  std::string error = absl::StrCat(file, ":", line, ": ");
  if (!path.empty()) absl::StrAppend(&error, path, ": ");
  absl::StrAppend(&error, message);
  errors_.push_back(std::move(error));
}

void LoadErrors::AddAt(const ParsedResource& where, absl::string_view relative_path,
                       absl::string_view message) {
  std::string path = where.path;
  if (!relative_path.empty()) absl::StrAppend(&path, ".", relative_path);
  Add(where.file, where.source.LineOfPath(relative_path), path, message);
}

absl::Status LoadErrors::ToStatus() const {
  return absl::InvalidArgumentError(absl::StrJoin(errors_, "\n"));
}

}  // namespace xdsd::config
