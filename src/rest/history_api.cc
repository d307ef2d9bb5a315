#include "rest/history_api.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/input_limits.h"
#include "rest/json_reply.h"
#include "xdsd/status_codes.h"

namespace xdsd::rest {
namespace {

// The revision a query parameter names ("12" or "r12").
absl::StatusOr<config::RevisionPtr> FindRevision(const config::ConfigHistory& history,
                                                 std::string_view name, std::string_view text) {
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == 'r') digits.remove_prefix(1);
  int64_t number = 0;
  if (!absl::SimpleAtoi(absl::string_view(digits.data(), digits.size()), &number)) {
    return absl::InvalidArgumentError(
        absl::StrCat("give ", std::string(name), "=N, a revision number (GET /v1/config/history)"));
  }
  config::RevisionPtr revision = history.Get(number);
  if (revision == nullptr) {
    return absl::NotFoundError(absl::StrCat("the history has no revision ", number));
  }
  return revision;
}

}  // namespace

HttpReply HistoryApi::History() const {
  nlohmann::json revisions = nlohmann::json::array();
  for (const config::RevisionPtr& revision : publisher_->history().All()) {
    revisions.push_back(config::RevisionToJson(*revision));
  }
  const config::ConfigStatus status = publisher_->status();
  return JsonReply(200, {{"served", status.revision},
                         {"source_version", status.source_version},
                         {"revisions", std::move(revisions)}});
}

HttpReply HistoryApi::Diff(std::string_view from, std::string_view to) const {
  absl::StatusOr<config::RevisionPtr> a = FindRevision(publisher_->history(), "from", from);
  if (!a.ok()) return ErrorReply(a.status());
  absl::StatusOr<config::RevisionPtr> b = FindRevision(publisher_->history(), "to", to);
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
  const int64_t served_before = publisher_->status().revision;
  absl::StatusOr<config::RevisionPtr> revision = publisher_->Rollback(number, std::string(who));
  if (!revision.ok()) return ErrorReply(revision.status());
  return JsonReply(200, {{"revision", (*revision)->number},
                         {"version", (*revision)->version},
                         {"changed", (*revision)->number != served_before}});
}

}  // namespace xdsd::rest
