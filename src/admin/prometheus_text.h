#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace xdsd::admin {

// Writes metrics in the Prometheus text exposition format, version 0.0.4: for each family a
// `# HELP` and a `# TYPE` line, then its samples, `name{label="value",...} value`, one a line.
// Label values are escaped (backslash, double quote, line feed), and so is the help text
// (backslash, line feed).
//
// The caller writes a family's samples right after its Family() call and keeps names and label
// names valid ([a-zA-Z_:][a-zA-Z0-9_:]*); they are not checked.
//
// Thread-compatible.
class PrometheusText {
 public:
  using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

  static constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";

  // Starts a family; `type` is "counter", "gauge", "histogram", "summary" or "untyped".
  void Family(std::string_view name, std::string_view type, std::string_view help);

  void Sample(std::string_view name, Labels labels, uint64_t value);
  void Sample(std::string_view name, Labels labels, int64_t value);
  // Floating-point values are written in their shortest exact form; infinities as +Inf/-Inf.
  void Sample(std::string_view name, Labels labels, double value);

  const std::string& text() const { return text_; }
  std::string Take() { return std::move(text_); }

  // The text form of a sample value, as Sample writes it ("0.005", "+Inf", "NaN").
  static std::string FormatValue(double value);

 private:
  void SampleStart(std::string_view name, Labels labels);

  std::string text_;
};

}  // namespace xdsd::admin
