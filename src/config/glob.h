#pragma once

#include <string_view>

namespace xdsd::config {

// True when `text` matches `glob`, where `*` matches any run of characters (none included) and
// `?` any one character; every other character, brackets included, matches itself. A `*` in
// the text is an ordinary character: the glob "*b" matches "*ab".
//
// Linear in practice and never exponential: iterative, backtracking only to the last `*` seen,
// so a glob such as "*a*a*a*b" against a long run of a's costs O(glob * text) at worst.
// Used for node groups (node.cluster, node.id) and for `xdsd status --node`.
bool GlobMatches(std::string_view glob, std::string_view text);

}  // namespace xdsd::config
