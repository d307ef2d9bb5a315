#include "config/mass_removal.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace xdsd::config {
namespace {

using ::testing::HasSubstr;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

TEST(MassRemovalTest, NothingServedYetIsNeverGuarded) {
  EXPECT_TRUE(CheckMassRemoval({}, {}, 0.5).ok());
}

TEST(MassRemovalTest, AnEmptyConfigIsRefusedNamingWhatWouldGo) {
  const ServedNames served = {{"clusters", {"a", "b"}}, {"listeners", {"l"}}};
  const absl::Status status = CheckMassRemoval(served, {}, 0.5);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(status), HasSubstr("every one of the clusters, listeners served now"));
  EXPECT_THAT(Message(status), HasSubstr("clusters a, b; listeners l"));
  EXPECT_THAT(Message(status), HasSubstr("allow_mass_removal: true"));
  EXPECT_THAT(Message(status), HasSubstr("--max-removal 100%"));
}

TEST(MassRemovalTest, RemovingEveryResourceOfOneTypeIsRefused) {
  const ServedNames served = {{"clusters", {"a", "b", "c"}}, {"listeners", {"l"}}};
  const ServedNames next = {{"clusters", {"a", "b", "c"}}};
  EXPECT_THAT(Message(CheckMassRemoval(served, next, 0.5)),
              HasSubstr("every one of the listeners served now"));
}

TEST(MassRemovalTest, TheShareIsBoundedByMaxRemoval) {
  const ServedNames served = {{"clusters", {"a", "b", "c", "d"}}};
  const ServedNames two_left = {{"clusters", {"a", "b"}}};
  const ServedNames one_left = {{"clusters", {"a"}}};
  EXPECT_TRUE(CheckMassRemoval(served, two_left, 0.5).ok());
  const absl::Status status = CheckMassRemoval(served, one_left, 0.5);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(
      Message(status),
      HasSubstr("remove 3 of the 4 resources served now (75%, more than --max-removal 50%)"));
  EXPECT_TRUE(CheckMassRemoval(served, one_left, 0.75).ok());
  // 100% lets anything through, an emptied type included.
  EXPECT_TRUE(CheckMassRemoval(served, {}, 1.0).ok());
  EXPECT_FALSE(CheckMassRemoval(served, {}, 0.99).ok());
}

TEST(MassRemovalTest, AddingAndRenamingFewIsFine) {
  const ServedNames served = {{"clusters", {"a", "b", "c"}}};
  const ServedNames next = {{"clusters", {"a", "b", "x", "y"}}};
  EXPECT_TRUE(CheckMassRemoval(served, next, 0.5).ok());
}

TEST(MassRemovalTest, ParsesPercentages) {
  double share = 0;
  ASSERT_TRUE(ParseRemovalShare("50%", &share).ok());
  EXPECT_DOUBLE_EQ(share, 0.5);
  ASSERT_TRUE(ParseRemovalShare("100", &share).ok());
  EXPECT_DOUBLE_EQ(share, 1);
  EXPECT_FALSE(ParseRemovalShare("150%", &share).ok());
  EXPECT_FALSE(ParseRemovalShare("half", &share).ok());
}

TEST(MassRemovalTest, NamesSurviveJson) {
  const ServedNames names = {{"clusters", {"a", "b (group edge)"}}, {"listeners", {"l"}}};
  absl::StatusOr<ServedNames> back = ServedNamesFromJson(ServedNamesToJson(names));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, names);
  EXPECT_FALSE(ServedNamesFromJson("[]").ok());
  EXPECT_FALSE(ServedNamesFromJson(R"({"clusters": [1]})").ok());
}

}  // namespace
}  // namespace xdsd::config
