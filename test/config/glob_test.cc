#include "config/glob.h"

#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace xdsd::config {
namespace {

struct GlobCase {
  std::string_view glob;
  std::string_view text;
  bool matches;
};

TEST(GlobTest, MatchesStarAsAnyRunAndQuestionMarkAsOneCharacter) {
  constexpr GlobCase kCases[] = {
      {"*", "", true},
      {"*", "anything", true},
      {"", "", true},
      {"", "a", false},
      {"?", "", false},
      {"a?c", "abc", true},
      {"a?c", "ac", false},
      {"edge-*", "edge-", true},
      {"edge-*", "core-1", false},
      {"edge-*-eu", "edge-1-2-eu", true},
      {"edge", "edge-1", false},
      {"envoy-*", "envoy", false},
      {"*-?", "edge-eu-1", true},
      {"*-?", "edge-eu-12", false},
      {"a*b*c", "aXXbYYbZc", true},
      {"a*b*c", "aXXbYYbZ", false},
      {"exact", "exact", true},
      {"exact", "exactly", false},
      {"*.svc", "a.b.svc", true},
      {"**", "x", true},
      {"[x]", "[x]", true},  // Brackets are not special.
      {"[x]", "x", false},
      // A `*` of the glob is a wildcard even where the text has a `*`.
      {"*b", "*ab", true},
      {"*", "*", true},
      {"a*", "a*", true},
      {"?", "*", true},
      {"\\*", "*", false},  // No escapes: a backslash is a character.
  };
  for (const GlobCase& c : kCases) {
    EXPECT_EQ(GlobMatches(c.glob, c.text), c.matches)
        << "glob \"" << c.glob << "\", text \"" << c.text << "\"";
  }
}

TEST(GlobTest, PathologicalGlobsStayFast) {
  // A backtracking matcher that recursed on every `*` would take exponential time here.
  const std::string a_run(100000, 'a');
  EXPECT_FALSE(GlobMatches("*a*a*a*a*a*b", a_run));
  EXPECT_TRUE(GlobMatches("*a*a*a*a*a*a", a_run));
  EXPECT_FALSE(GlobMatches("a*a*a*a*a*a*a*a*a*a*?b", a_run));
  EXPECT_TRUE(GlobMatches(std::string(1000, '*') + "a", a_run));
}

}  // namespace
}  // namespace xdsd::config
