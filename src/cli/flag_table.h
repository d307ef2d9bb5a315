#pragma once

// A command's flags as a table: what --help says about each flag and how its value is parsed
// into the command's options. The parser of the command line and the help text both read the
// same table, so what is documented is what is accepted.

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "spdlog/common.h"

namespace xdsd::cli {

// What --help shows of a flag, and how to recognise it on the command line.
struct FlagInfo {
  absl::string_view name;        // with dashes: "xds-port"
  absl::string_view value_name;  // the placeholder of its value; empty for a boolean flag
  absl::string_view help;        // one paragraph, wrapped when printed
  // The default as written on the command line: `--name=<default_value>` changes nothing.
  absl::string_view default_value = {};
  // What --help says after "default: " instead of default_value, when not empty.
  absl::string_view default_note = {};
  bool required = false;  // the command fails without it; --help says "required"
  // Lines --help prints after the help, when set (the endpoints behind --http-port).
  std::string (*details)() = nullptr;

  bool is_boolean() const { return value_name.empty(); }
};

// One flag of a command whose options are `Options`. `parse` reads the flag's value (for a
// boolean flag given alone, "true") into `options`, or says why the value is refused: the caller
// puts that reason in an error naming the argument. Tables of them are constant data, read
// concurrently without locks.
template <typename Options>
struct Flag {
  FlagInfo info;
  absl::Status (*parse)(absl::string_view value, Options* options);
};

// The `parse` of a Flag whose value `kParseValue` (one of the parsers below) reads into the
// member `kMember` of the options: ParseInto<&ServeOptions::xds_port, ParsePort>.
template <auto kMember, auto kParseValue, typename Options>
absl::Status ParseInto(absl::string_view value, Options* options) {
  return kParseValue(value, &(options->*kMember));
}

// The names of a flag (`--xds-port`, `--xds_port`) as one: dashes for underscores.
std::string CanonicalFlagName(absl::string_view name);

// The flag of `table` that `name` (as written, dashes or underscores) names, or null.
template <typename Options>
const Flag<Options>* FindFlag(absl::Span<const Flag<Options>> table, absl::string_view name) {
  const std::string canonical = CanonicalFlagName(name);
  for (const Flag<Options>& flag : table) {
    if (flag.info.name == canonical) return &flag;
  }
  return nullptr;
}

// Parsers of the kinds of values flags take. Each fails with InvalidArgument saying what the
// value must be.
absl::Status ParseString(absl::string_view text, std::string* value);  // any text
absl::Status ParsePort(absl::string_view text, int* port);             // 0 to 65535
absl::Status ParseBool(absl::string_view text, bool* value);  // true/false, yes/no, 1/0, t/f
absl::Status ParseNonNegativeInt(absl::string_view text, int* value);  // 0 to 2^31-1
// An Abseil duration ("30s", "2m", "1m30s", "500ms", "0"), finite and not negative.
absl::Status ParseDuration(absl::string_view text, absl::Duration* duration);
// A number of bytes, with an optional unit KiB, MiB or GiB ("64MiB"); at least 1.
absl::Status ParseByteSize(absl::string_view text, size_t* bytes);
// A whole number from 1 up.
absl::Status ParseCount(absl::string_view text, size_t* count);
// trace, debug, info, warn or error.
absl::Status ParseLogLevel(absl::string_view text, spdlog::level::level_enum* level);

// `text` as lines of at most `width` characters (longer words stay whole): the first starts with
// `first_prefix`, the others with `indent`. Ends with a newline.
std::string Wrap(absl::string_view text, absl::string_view first_prefix, absl::string_view indent,
                 size_t width);

// How --help shows one flag: `  --name=VALUE` and its help with the default, wrapped.
std::string FlagHelp(const FlagInfo& info);

// `--name=VALUE` (`--name` for a boolean flag).
std::string FlagSynopsis(const FlagInfo& info);

}  // namespace xdsd::cli
