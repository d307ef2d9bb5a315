#include "admin/prometheus_text.h"

#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace xdsd::admin {
namespace {

// `# HELP` text escapes only backslash and line feed; label values also escape double quotes.
void AppendEscaped(std::string_view text, bool escape_quotes, std::string& out) {
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '"':
        out += escape_quotes ? "\\\"" : "\"";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace

void PrometheusText::Family(std::string_view name, std::string_view type, std::string_view help) {
  text_ += "# HELP ";
  text_ += name;
  text_ += ' ';
  AppendEscaped(help, /*escape_quotes=*/false, text_);
  text_ += "\n# TYPE ";
  text_ += name;
  text_ += ' ';
  text_ += type;
  text_ += '\n';
}

void PrometheusText::SampleStart(std::string_view name, Labels labels) {
  text_ += name;
  if (labels.size() > 0) {
    text_ += '{';
    bool first = true;
    for (const auto& [label, value] : labels) {
      if (!first) text_ += ',';
      first = false;
      text_ += label;
      text_ += "=\"";
      AppendEscaped(value, /*escape_quotes=*/true, text_);
      text_ += '"';
    }
    text_ += '}';
  }
  text_ += ' ';
}

void PrometheusText::Sample(std::string_view name, Labels labels, uint64_t value) {
  SampleStart(name, labels);
  absl::StrAppend(&text_, value, "\n");
}

void PrometheusText::Sample(std::string_view name, Labels labels, int64_t value) {
  SampleStart(name, labels);
  absl::StrAppend(&text_, value, "\n");
}

void PrometheusText::Sample(std::string_view name, Labels labels, double value) {
  SampleStart(name, labels);
  text_ += FormatValue(value);
  text_ += '\n';
}

std::string PrometheusText::FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

}  // namespace xdsd::admin
