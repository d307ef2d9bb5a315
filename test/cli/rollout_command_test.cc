// `xdsd rollout` and the rollout line of `xdsd status`, from the JSON of GET /v1/rollout.
#include <gtest/gtest.h>

#include "cli/command_line.h"
#include "cli/history.h"
#include "nlohmann/json.hpp"

namespace xdsd::cli {
namespace {

nlohmann::json HaltedRollout() {
  return nlohmann::json::parse(R"({
    "group": "", "revision": 12, "previous_revision": 11, "state": "halted", "wave": 2,
    "waves": 3, "bake": "30s", "started_at": "2026-12-02T15:00:00.000Z", "rolled_back": false,
    "nodes": {"r11": 280, "r12": 120},
    "wave_nodes": [{"wave": 1, "nodes": 2, "node_ids": ["canary-1", "canary-2"]},
                   {"wave": 2, "nodes": 118, "node_ids": ["web-1"]},
                   {"wave": 3, "nodes": 280, "node_ids": []}],
    "halt": {"node": "web-1", "type": "clusters", "error": "unsupported lb_policy",
             "at": "2026-12-02T15:01:00.000Z"}})");
}

TEST(RolloutCommandTest, StatusLineSaysTheWaveTheNodesAndTheHalt) {
  EXPECT_EQ(RolloutStatusLine(HaltedRollout()),
            "rollout r12: wave 2/3, 120/400 nodes, halted: web-1 NACKed clusters: "
            "unsupported lb_policy");
  nlohmann::json group = HaltedRollout();
  group["group"] = "edge";
  group["state"] = "baking";
  group.erase("halt");
  EXPECT_EQ(RolloutStatusLine(group), "rollout r12 (group edge): wave 2/3, 120/400 nodes, baking");
  group["state"] = "done";
  EXPECT_EQ(RolloutStatusLine(group), "");  // only while under way or halted
}

TEST(RolloutCommandTest, ShowsEachWaveAndTheHalt) {
  absl::StatusOr<std::string> text =
      RenderRollouts({{"served", 12}, {"rollouts", nlohmann::json::array({HaltedRollout()})}});
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text,
            "default resources: r12 over r11, halted, wave 2/3 (bake 30s)\n"
            "  connected nodes by revision: r11: 280, r12: 120\n"
            "  wave 1: 2 nodes: canary-1, canary-2\n"
            "  wave 2: 118 nodes: web-1, ...\n"
            "  wave 3: 280 nodes\n"
            "  halted: web-1 NACKed clusters: unsupported lb_policy\n");
  EXPECT_EQ(*RenderRollouts({{"served", 1}, {"rollouts", nlohmann::json::array()}}),
            "no rollout (the config has no rollout: policy, or nothing changed)\n");
  EXPECT_FALSE(RenderRollouts({{"rollouts", {{{"group", 3}}}}}).ok());
}

TEST(RolloutCommandTest, TakesPromoteOrAbortOrNothing) {
  for (const char* verb : {"promote", "abort"}) {
    absl::StatusOr<Command> command = ParseCommandLine({"rollout", verb});
    ASSERT_TRUE(command.ok()) << command.status();
    EXPECT_EQ(command->kind, Command::Kind::kRollout);
    EXPECT_EQ(command->admin.args, std::vector<std::string>{verb});
  }
  ASSERT_TRUE(ParseCommandLine({"rollout"}).ok());
  EXPECT_FALSE(ParseCommandLine({"rollout", "forward"}).ok());
  EXPECT_FALSE(ParseCommandLine({"rollout", "promote", "abort"}).ok());
}

}  // namespace
}  // namespace xdsd::cli
