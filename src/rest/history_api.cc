#include "rest/history_api.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/input_limits.h"
#include "rest/json_reply.h"
#include "xdsd/status_codes.h"

namespace xdsd::rest {
namespace {

// The revision a query parameter names ("12" or "r12").
absl::StatusOr<config::RevisionPtr> FindRevision(const std::vector<config::RevisionPtr>& revisions,
                                                 std::string_view name, std::string_view text) {
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == 'r') digits.remove_prefix(1);
  int64_t number = 0;
  if (!absl::SimpleAtoi(absl::string_view(digits.data(), digits.size()), &number)) {
    return absl::InvalidArgumentError(
        absl::StrCat("give ", std::string(name), "=N, a revision number (GET /v1/config/history)"));
  }
  for (const config::RevisionPtr& revision : revisions) {
    if (revision->number == number) return revision;
  }
  return absl::NotFoundError(absl::StrCat("the history has no revision ", number));
}

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

}  // namespace

nlohmann::json RolloutToJson(const config::RolloutReport& report) {
  nlohmann::json nodes = nlohmann::json::object();
  for (const auto& [revision, count] : report.nodes_per_revision) {
    nodes[absl::StrCat("r", revision)] = count;
  }
  nlohmann::json waves = nlohmann::json::array();
  for (size_t i = 0; i < report.wave_nodes.size(); ++i) {
    waves.push_back({{"wave", i + 1},
                     {"nodes", report.wave_node_counts[i]},
                     {"node_ids", report.wave_nodes[i]}});
  }
  nlohmann::json json = {{"group", report.group},
                         {"revision", report.revision},
                         {"previous_revision", report.previous_revision},
                         {"state", report.state},
                         {"wave", report.wave},
                         {"waves", report.waves},
                         {"bake", absl::FormatDuration(report.bake)},
                         {"started_at", Rfc3339(report.started_at)},
                         {"rolled_back", report.rolled_back},
                         {"nodes", std::move(nodes)},
                         {"wave_nodes", std::move(waves)}};
  if (report.state == "baking") json["bake_until"] = Rfc3339(report.bake_until);
  if (report.halt.has_value()) {
    json["halt"] = {{"node", report.halt->node_id},
                    {"type", std::string(TypeShortName(report.halt->type_url))},
                    {"error", report.halt->error},
                    {"at", Rfc3339(report.halt->at)}};
  }
  return json;
}

HttpReply HistoryApi::Rollout() const {
  nlohmann::json rollouts = nlohmann::json::array();
  if (planner_ != nullptr) {
    for (const config::RolloutReport& report : planner_->Report()) {
      rollouts.push_back(RolloutToJson(report));
    }
  }
  return JsonReply(200, {{"served", publisher_->status().revision}, {"rollouts", rollouts}});
}

HttpReply HistoryApi::Promote() const {
  if (planner_ == nullptr) return ErrorReply(404, "no rollout planner");
  if (absl::Status promoted = planner_->Promote(); !promoted.ok()) return ErrorReply(promoted);
  return Rollout();
}

HttpReply HistoryApi::Abort() const {
  if (planner_ == nullptr) return ErrorReply(404, "no rollout planner");
  if (absl::Status aborted = planner_->Abort(); !aborted.ok()) return ErrorReply(aborted);
  return Rollout();
}

absl::StatusOr<std::vector<config::RevisionPtr>> HistoryApi::Revisions() const {
  if (shared_ != nullptr) return shared_->Revisions();
  return publisher_->history().All();
}

HttpReply HistoryApi::History() const {
  absl::StatusOr<std::vector<config::RevisionPtr>> kept = Revisions();
  if (!kept.ok()) return ErrorReply(kept.status());
  const config::ConfigStatus status = publisher_->status();
  int64_t served = shared_ == nullptr ? status.revision : 0;
  nlohmann::json revisions = nlohmann::json::array();
  for (const config::RevisionPtr& revision : *kept) {
    revisions.push_back(config::RevisionToJson(*revision));
    // Shared: the newest revision with the content served.
    if (shared_ != nullptr && revision->version == status.version) served = revision->number;
  }
  return JsonReply(200, {{"served", served},
                         {"source_version", status.source_version},
                         {"revisions", std::move(revisions)}});
}

HttpReply HistoryApi::Diff(std::string_view from, std::string_view to) const {
  absl::StatusOr<std::vector<config::RevisionPtr>> kept = Revisions();
  if (!kept.ok()) return ErrorReply(kept.status());
  absl::StatusOr<config::RevisionPtr> a = FindRevision(*kept, "from", from);
  if (!a.ok()) return ErrorReply(a.status());
  absl::StatusOr<config::RevisionPtr> b = FindRevision(*kept, "to", to);
  if (!b.ok()) return ErrorReply(b.status());
  return JsonReply(200, {{"from", (*a)->number},
                         {"to", (*b)->number},
                         {"changes", config::DiffConfigs(*(*a)->content, *(*b)->content)}});
}

HttpReply HistoryApi::Rollback(std::string_view body, std::string_view who) const {
  if (absl::Status depth = api::CheckJsonNesting(body); !depth.ok()) {
    return ErrorReply(400, std::string(depth.message()));
  }
  const nlohmann::json request = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!request.is_object() || request.size() != 1 || !request.contains("revision") ||
      !request["revision"].is_number_integer()) {
    return ErrorReply(400, "the body must be {\"revision\": N}");
  }
  const int64_t number = request["revision"].get<int64_t>();
  const std::string version_before = publisher_->status().version;
  absl::StatusOr<config::RevisionPtr> revision =
      shared_ != nullptr ? shared_->Rollback(number, std::string(who))
                         : publisher_->Rollback(number, std::string(who));
  if (!revision.ok()) return ErrorReply(revision.status());
  return JsonReply(200, {{"revision", (*revision)->number},
                         {"version", (*revision)->version},
                         {"changed", (*revision)->version != version_before}});
}

}  // namespace xdsd::rest
