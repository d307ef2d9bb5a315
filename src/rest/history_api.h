#pragma once

#include <string_view>

#include "config/config_publisher.h"
#include "config/shared_history.h"
#include "rest/rest_gateway.h"

namespace xdsd::rest {

// The history of the config served, over HTTP (see ConfigHistory and ConfigPublisher::Rollback):
//
//   GET  /v1/config/history              {"served": N, "source_version": V, "revisions": [...]}
//                                        oldest first (RevisionToJson)
//   GET  /v1/config/diff?from=A&to=B     the resources that differ from revision A to B
//                                        (DiffConfigs): secrets redacted; 404 for a revision
//                                        no longer kept
//   POST /v1/config/rollback             body {"revision": N}: serves N's content again as a
//                                        new revision; answers {"revision": NEW, "version": V}
//   GET  /v1/rollout                     {"rollouts": [...]}: each group's rollout (RolloutToJson)
//   POST /v1/rollout/promote             the next wave now; 400 when no rollout is under way
//   POST /v1/rollout/abort               every node back to the previous revision; 400 likewise
//
// With a SharedHistory (the config in etcd), the revisions are that history's, the same on every
// replica, and a rollback is written to the source, so that every replica serves it.
//
// Thread-safe. The publisher, the planner and the shared history must outlive it.
class HistoryApi {
 public:
  // `shared` (may be null): the history the replicas share; without it, the publisher's own.
  explicit HistoryApi(config::ConfigPublisher* publisher, config::RolloutPlanner* planner = nullptr,
                      config::SharedHistory* shared = nullptr)
      : publisher_(publisher), planner_(planner), shared_(shared) {}

  HttpReply History() const;
  HttpReply Diff(std::string_view from, std::string_view to) const;
  HttpReply Rollback(std::string_view body, std::string_view who) const;
  HttpReply Rollout() const;
  HttpReply Promote() const;
  HttpReply Abort() const;
  // The planner, for metrics; null when there is none.
  const config::RolloutPlanner* planner() const { return planner_; }

 private:
  absl::StatusOr<std::vector<config::RevisionPtr>> Revisions() const;

  config::ConfigPublisher* const publisher_;
  config::RolloutPlanner* const planner_;  // null: no rollouts
  config::SharedHistory* const shared_;
};

// A group's rollout as GET /v1/rollout shows it: {"group", "revision", "previous_revision",
// "state", "wave", "waves", "bake", "bake_until" (while baking), "started_at", "rolled_back",
// "nodes": {"rN": COUNT, ...} (connected nodes by revision served), "wave_nodes": [{"wave": 1,
// "nodes": COUNT, "node_ids": [at most 20]}, ...], "halt": {"node", "type", "error", "at"}}.
nlohmann::json RolloutToJson(const config::RolloutReport& report);

}  // namespace xdsd::rest
