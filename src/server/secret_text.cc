#include "xdsd/secret_text.h"

namespace xdsd {

std::string RedactPrivateKeyBlocks(std::string_view text) {
  constexpr std::string_view kBegin = "-----BEGIN ";
  constexpr std::string_view kEnd = "-----END ";
  constexpr std::string_view kDashes = "-----";
  std::string out;
  size_t at = 0;
  while (at < text.size()) {
    const size_t begin = text.find(kBegin, at);
    if (begin == std::string_view::npos) break;
    const size_t label_start = begin + kBegin.size();
    const size_t label_end = text.find(kDashes, label_start);
    // A label is one short line; anything else is not a PEM header.
    const std::string_view label = label_end == std::string_view::npos
                                       ? std::string_view()
                                       : text.substr(label_start, label_end - label_start);
    if (label.empty() || label.size() > 64 || label.find('\n') != std::string_view::npos ||
        label.find("KEY") == std::string_view::npos) {
      out.append(text.substr(at, label_start - at));
      at = label_start;
      continue;
    }
    out.append(text.substr(at, begin - at));
    out.append("[redacted]");
    // The block ends after "-----END <label>-----"; a quote cut short runs to the end.
    const size_t end = text.find(kEnd, label_end + kDashes.size());
    const size_t end_dashes =
        end == std::string_view::npos ? end : text.find(kDashes, end + kEnd.size());
    at = end_dashes == std::string_view::npos ? text.size() : end_dashes + kDashes.size();
  }
  if (at < text.size()) out.append(text.substr(at));
  return out;
}

}  // namespace xdsd
