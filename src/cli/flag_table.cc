#include "cli/flag_table.h"

#include <cstdint>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace xdsd::cli {
namespace {

constexpr absl::string_view kHelpIndent = "      ";
constexpr size_t kHelpWidth = 80;

}  // namespace

std::string CanonicalFlagName(absl::string_view name) {
  return absl::StrReplaceAll(name, {{"_", "-"}});
}

absl::Status ParseString(absl::string_view text, std::string* value) {
  *value = std::string(text);
  return absl::OkStatus();
}

absl::Status ParsePort(absl::string_view text, int* port) {
  int value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < 0 || value > 65535) {
    return absl::InvalidArgumentError("a port must be between 0 and 65535");
  }
  *port = value;
  return absl::OkStatus();
}

absl::Status ParseNonNegativeInt(absl::string_view text, int* value) {
  int parsed = 0;
  if (!absl::SimpleAtoi(text, &parsed) || parsed < 0) {
    return absl::InvalidArgumentError("must be a whole number, 0 or more");
  }
  *value = parsed;
  return absl::OkStatus();
}

absl::Status ParseBool(absl::string_view text, bool* value) {
  if (!absl::SimpleAtob(text, value)) {
    return absl::InvalidArgumentError("must be true or false");
  }
  return absl::OkStatus();
}

absl::Status ParseDuration(absl::string_view text, absl::Duration* duration) {
  absl::Duration value;
  if (!absl::ParseDuration(text, &value) || value < absl::ZeroDuration() ||
      value == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("must be a duration such as 30s, 2m or 500ms");
  }
  *duration = value;
  return absl::OkStatus();
}

absl::Status ParseByteSize(absl::string_view text, size_t* bytes) {
  static constexpr std::pair<absl::string_view, uint64_t> kUnits[] = {
      {"GiB", uint64_t{1} << 30}, {"MiB", uint64_t{1} << 20}, {"KiB", uint64_t{1} << 10}};
  absl::string_view digits = text;
  uint64_t unit = 1;
  for (const auto& [suffix, size] : kUnits) {
    if (absl::ConsumeSuffix(&digits, suffix)) {
      unit = size;
      break;
    }
  }
  uint64_t value = 0;
  if (digits.empty() || !absl::SimpleAtoi(digits, &value) || value == 0 ||
      value > (uint64_t{1} << 40) / unit) {
    return absl::InvalidArgumentError(
        "must be a size such as 4194304, 512KiB, 64MiB or 1GiB (at least 1 byte, at most 1TiB)");
  }
  *bytes = static_cast<size_t>(value * unit);
  return absl::OkStatus();
}

absl::Status ParseCount(absl::string_view text, size_t* count) {
  uint64_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || value == 0 || value > (uint64_t{1} << 32)) {
    return absl::InvalidArgumentError("must be a whole number from 1 to 4294967296");
  }
  *count = static_cast<size_t>(value);
  return absl::OkStatus();
}

absl::Status ParseLogLevel(absl::string_view text, spdlog::level::level_enum* level) {
  static constexpr std::pair<absl::string_view, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},
  };
  for (const auto& [name, value] : kLevels) {
    if (text == name) {
      *level = value;
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError("must be one of trace, debug, info, warn, error");
}

std::string Wrap(absl::string_view text, absl::string_view first_prefix, absl::string_view indent,
                 size_t width) {
  std::string out(first_prefix);
  // The prefix may end a line of its own (a long synopsis): count from its last line.
  const size_t last_line = first_prefix.rfind('\n');
  size_t line_length = last_line == absl::string_view::npos ? first_prefix.size()
                                                            : first_prefix.size() - last_line - 1;
  bool line_has_words = false;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (line_has_words && line_length + 1 + word.size() > width) {
      absl::StrAppend(&out, "\n", indent);
      line_length = indent.size();
      line_has_words = false;
    }
    if (line_has_words) {
      out.append(" ");
      ++line_length;
    }
    absl::StrAppend(&out, word);
    line_length += word.size();
    line_has_words = true;
  }
  out.append("\n");
  return out;
}

std::string FlagSynopsis(const FlagInfo& info) {
  if (info.is_boolean()) return absl::StrCat("--", info.name);
  return absl::StrCat("--", info.name, "=", info.value_name);
}

std::string FlagHelp(const FlagInfo& info) {
  std::string note;
  if (info.required) {
    note = "required";
  } else if (!info.default_note.empty()) {
    note = absl::StrCat("default: ", info.default_note);
  } else {
    note = absl::StrCat("default: ", info.default_value.empty() ? "\"\"" : info.default_value);
  }
  std::string text = absl::StrCat(
      "  ", FlagSynopsis(info), "\n",
      Wrap(absl::StrCat(info.help, " (", note, ")"), kHelpIndent, kHelpIndent, kHelpWidth));
  if (info.details != nullptr) text.append(info.details());
  return text;
}

}  // namespace xdsd::cli
