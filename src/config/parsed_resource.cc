#include "config/parsed_resource.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/yaml_location.h"

namespace xdsd::config {

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
  Add(where.file, api::LineOfPath(where.node, relative_path), path, message);
}

absl::Status LoadErrors::ToStatus() const {
  return absl::InvalidArgumentError(absl::StrJoin(errors_, "\n"));
}

}  // namespace xdsd::config
