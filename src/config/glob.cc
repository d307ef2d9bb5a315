#include "config/glob.h"

namespace xdsd::config {

bool GlobMatches(std::string_view glob, std::string_view text) {
  size_t g = 0;
  size_t t = 0;
  // Where to resume after the last `*`: the glob after it, and the text it swallows up to.
  // Only the last `*` matters: whatever an earlier one swallowed, a later one can take over.
  size_t star_g = std::string_view::npos;
  size_t star_t = 0;
  while (t < text.size()) {
    // `*` is tested first: in the glob it is always a wildcard, even against a `*` of the text.
    if (g < glob.size() && glob[g] == '*') {
      star_g = ++g;
      star_t = t;
    } else if (g < glob.size() && (glob[g] == '?' || glob[g] == text[t])) {
      ++g;
      ++t;
    } else if (star_g != std::string_view::npos) {
      g = star_g;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

}  // namespace xdsd::config
