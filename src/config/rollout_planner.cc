#include "config/rollout_planner.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "xdsd/resource_types.h"

namespace xdsd::config {
namespace {

SnapshotPtr SnapshotOfGroup(const Config& config, const std::string& group) {
  if (group.empty()) return config.default_snapshot;
  for (const NodeGroup& candidate : config.groups) {
    if (candidate.name == group) return candidate.snapshot;
  }
  return nullptr;
}

// The types whose versions differ from `from` to `to`.
std::set<std::string> ChangedTypes(const SnapshotPtr& from, const SnapshotPtr& to) {
  std::set<std::string> changed;
  for (const ResourceType& type : kResourceTypes) {
    const std::string version_from = from == nullptr ? "" : from->Version(type.type_url);
    const std::string version_to = to == nullptr ? "" : to->Version(type.type_url);
    if (version_from != version_to) changed.insert(std::string(type.type_url));
  }
  return changed;
}

}  // namespace

std::string RolloutKeyName(std::string_view group, int64_t revision) {
  return absl::StrCat(absl::string_view(group.data(), group.size()), "@r", revision);
}

RolloutKey SplitRolloutKey(std::string_view key) {
  const size_t at = key.rfind("@r");
  int64_t revision = 0;
  if (at == std::string_view::npos ||
      !absl::SimpleAtoi(absl::string_view(key.data() + at + 2, key.size() - at - 2), &revision) ||
      revision <= 0) {
    return RolloutKey{std::string(key), 0};
  }
  return RolloutKey{std::string(key.substr(0, at)), revision};
}

RolloutPlanner::RolloutPlanner(SnapshotCache* cache, Options options)
    : cache_(cache), options_(std::move(options)) {
  if (options_.tick <= absl::ZeroDuration()) return;
  ticker_ = std::thread([this] {
    while (true) {
      {
        absl::MutexLock lock(&stop_mu_);
        if (stop_mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.tick)) return;
      }
      Tick(absl::Now());
    }
  });
}

RolloutPlanner::~RolloutPlanner() {
  {
    absl::MutexLock lock(&stop_mu_);
    stopping_ = true;
  }
  if (ticker_.joinable()) ticker_.join();
}

void RolloutPlanner::SetPolicies(const Config& source) {
  absl::MutexLock lock(&mu_);
  policies_.clear();
  if (source.rollout.has_value()) policies_[""] = *source.rollout;
  for (const NodeGroup& group : source.groups) {
    if (group.rollout.has_value()) policies_[group.name] = *group.rollout;
  }
}

const RolloutPolicy* RolloutPlanner::PolicyOfLocked(const std::string& group) const {
  auto it = policies_.find(group);
  return it == policies_.end() ? nullptr : &it->second;
}

void RolloutPlanner::Serve(int64_t revision, std::shared_ptr<const Config> content, bool at_once) {
  absl::MutexLock running(&run_mu_);
  Steps steps;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    const bool first = content_ == nullptr;
    content_ = std::move(content);
    std::set<std::string> groups = {""};
    for (const NodeGroup& group : content_->groups) groups.insert(group.name);
    for (const std::string& group : groups) {
      const SnapshotPtr snapshot = SnapshotOfGroup(*content_, group);
      const RolloutPolicy* policy = PolicyOfLocked(group);
      auto base = base_snapshot_.find(group);
      auto rollout = rollouts_.find(group);
      const bool under_way = rollout != rollouts_.end() &&
                             (Active(rollout->second) || rollout->second.state == State::kHalted);
      if (first || at_once || policy == nullptr || base == base_snapshot_.end() ||
          ChangedTypes(base->second, snapshot).empty()) {
        steps.push_back({Step::kSet, group, "", snapshot});
        base_snapshot_[group] = snapshot;
        base_revision_[group] = revision;
        if (under_way) EndLocked(group, rollout->second, &steps);
        if (rollout != rollouts_.end() && (under_way || at_once)) rollouts_.erase(rollout);
        continue;
      }
      if (under_way && ChangedTypes(rollout->second.snapshot, snapshot).empty()) continue;
      if (under_way) stale_keys_[rollout->second.key] = rollout->second.revision;
      Rollout& next = rollouts_[group];
      next = Rollout{};
      next.policy = *policy;
      next.revision = revision;
      next.previous = base_revision_[group];
      next.key = RolloutKeyName(group, revision);
      next.snapshot = snapshot;
      next.changed_types = ChangedTypes(base->second, snapshot);
      next.started_at = now;
      steps.push_back({Step::kSet, next.key, "", snapshot});
      StartWaveLocked(group, next, 0, now, &steps);
    }
    // A group that is gone: its nodes keep what they were sent until they reconnect.
    for (auto it = base_snapshot_.begin(); it != base_snapshot_.end();) {
      if (groups.contains(it->first)) {
        ++it;
        continue;
      }
      steps.push_back({Step::kClear, it->first, "", nullptr});
      if (auto rollout = rollouts_.find(it->first); rollout != rollouts_.end()) {
        steps.push_back({Step::kClear, rollout->second.key, "", nullptr});
        rollouts_.erase(rollout);
      }
      base_revision_.erase(it->first);
      it = base_snapshot_.erase(it);
    }
    ClearUnusedKeysLocked(&steps);
  }
  Run(steps);
}

std::string RolloutPlanner::PlaceLocked(const envoy::config::core::v3::Node& node,
                                        const std::string& group) const {
  auto rollout = rollouts_.find(group);
  if (rollout != rollouts_.end() && Active(rollout->second) &&
      WaveOf(rollout->second.policy, node) <= rollout->second.wave) {
    return rollout->second.key;
  }
  return group;
}

std::string RolloutPlanner::KeyOf(const envoy::config::core::v3::Node& node) const {
  absl::MutexLock lock(&mu_);
  const std::string group = content_ == nullptr ? "" : GroupOf(*content_, node);
  // A connected node stays where its streams are (a moved node, a halted canary): all its
  // watches on one revision.
  if (auto entry = nodes_.find(node.id()); entry != nodes_.end()) {
    const std::string& key = entry->second.key;
    auto rollout = rollouts_.find(group);
    if (SplitRolloutKey(key).group == group && SplitRolloutKey(key).revision != 0 &&
        (stale_keys_.contains(key) || (rollout != rollouts_.end() && rollout->second.key == key))) {
      return key;
    }
  }
  return PlaceLocked(node, group);
}

void RolloutPlanner::MoveGroupLocked(const std::string& group, const std::string& key,
                                     std::optional<size_t> wave, Steps* steps) {
  const absl::Time now = absl::Now();
  const RolloutPolicy* policy =
      rollouts_.contains(group) ? &rollouts_.at(group).policy : PolicyOfLocked(group);
  for (auto& [id, entry] : nodes_) {
    if (entry.key == key || GroupOf(*content_, entry.node) != group) continue;
    if (wave.has_value() && (policy == nullptr || WaveOf(*policy, entry.node) > *wave)) continue;
    entry.key = key;
    entry.placed_at = now;
    steps->push_back({Step::kMove, key, id, nullptr});
  }
}

void RolloutPlanner::StartWaveLocked(const std::string& group, Rollout& rollout, size_t wave,
                                     absl::Time now, Steps* steps) {
  rollout.wave = wave;
  rollout.state = State::kRolling;
  rollout.wave_started_at = now;
  rollout.bake_until = absl::InfinitePast();
  MoveGroupLocked(group, rollout.key, wave, steps);
}

void RolloutPlanner::FinishLocked(const std::string& group, Rollout& rollout, Steps* steps) {
  steps->push_back({Step::kSet, group, "", rollout.snapshot});
  base_snapshot_[group] = rollout.snapshot;
  base_revision_[group] = rollout.revision;
  EndLocked(group, rollout, steps);
  rollout.state = State::kDone;
}

void RolloutPlanner::EndLocked(const std::string& group, Rollout& rollout, Steps* steps) {
  MoveGroupLocked(group, group, std::nullopt, steps);
  stale_keys_[rollout.key] = rollout.revision;
}

bool RolloutPlanner::WaveAckedLocked(const std::string& group, const Rollout& rollout,
                                     absl::Time now) const {
  for (const auto& [id, entry] : nodes_) {
    if (entry.key != rollout.key) continue;
    const std::optional<NodeStatus> status = cache_->GetNodeStatus(id);
    if (!status.has_value()) continue;
    for (const TypeStatus& type : status->types) {
      if (!rollout.changed_types.contains(type.type_url)) continue;
      const std::string version = rollout.snapshot->Version(type.type_url);
      if (type.version_acked == version) continue;
      if (!rollout.policy.halt_on_nack && type.version_nacked == version) continue;
      // Sent nothing of this type since the move (nothing it asked for changed).
      const bool answered =
          type.version_sent == type.version_acked || type.version_sent == type.version_nacked;
      if (answered && type.version_sent != version && now - entry.placed_at >= options_.settle) {
        continue;
      }
      return false;
    }
  }
  return true;
}

void RolloutPlanner::ClearUnusedKeysLocked(Steps* steps) {
  for (auto it = stale_keys_.begin(); it != stale_keys_.end();) {
    const bool used = std::any_of(nodes_.begin(), nodes_.end(),
                                  [&](const auto& node) { return node.second.key == it->first; });
    if (used) {
      ++it;
      continue;
    }
    steps->push_back({Step::kClear, it->first, "", nullptr});
    it = stale_keys_.erase(it);
  }
}

void RolloutPlanner::Tick(absl::Time now) {
  absl::MutexLock running(&run_mu_);
  Steps steps;
  {
    absl::MutexLock lock(&mu_);
    steps = std::move(recent_moves_);
    const size_t repeated = steps.size();
    for (auto& [group, rollout] : rollouts_) {
      if (rollout.state == State::kHalted && rollout.policy.auto_rollback && !rollout.rolled_back) {
        MoveGroupLocked(group, group, std::nullopt, &steps);
        rollout.rolled_back = true;
      }
      if (rollout.state == State::kRolling && WaveAckedLocked(group, rollout, now)) {
        rollout.state = State::kBaking;
        rollout.bake_until = now + rollout.policy.bake;
      }
      if (rollout.state == State::kBaking && now >= rollout.bake_until) {
        if (rollout.wave + 1 < rollout.policy.waves.size()) {
          StartWaveLocked(group, rollout, rollout.wave + 1, now, &steps);
        } else {
          FinishLocked(group, rollout, &steps);
        }
      }
    }
    ClearUnusedKeysLocked(&steps);
    recent_moves_.clear();
    for (size_t i = repeated; i < steps.size(); ++i) {
      if (steps[i].kind == Step::kMove) recent_moves_.push_back(steps[i]);
    }
  }
  Run(steps);
}

absl::Status RolloutPlanner::Promote() {
  absl::MutexLock running(&run_mu_);
  Steps steps;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    bool any = false;
    for (auto& [group, rollout] : rollouts_) {
      if (!Active(rollout) && rollout.state != State::kHalted) continue;
      any = true;
      rollout.rolled_back = false;
      if (rollout.wave + 1 < rollout.policy.waves.size()) {
        StartWaveLocked(group, rollout, rollout.wave + 1, now, &steps);
      } else {
        FinishLocked(group, rollout, &steps);
      }
    }
    if (!any) return absl::FailedPreconditionError("no rollout is under way or halted");
    ClearUnusedKeysLocked(&steps);
  }
  Run(steps);
  return absl::OkStatus();
}

absl::Status RolloutPlanner::Abort() {
  absl::MutexLock running(&run_mu_);
  Steps steps;
  {
    absl::MutexLock lock(&mu_);
    bool any = false;
    for (auto& [group, rollout] : rollouts_) {
      if (!Active(rollout) && rollout.state != State::kHalted) continue;
      any = true;
      EndLocked(group, rollout, &steps);
      rollout.state = State::kAborted;
    }
    if (!any) return absl::FailedPreconditionError("no rollout is under way or halted");
    ClearUnusedKeysLocked(&steps);
  }
  Run(steps);
  return absl::OkStatus();
}

void RolloutPlanner::Run(const Steps& steps) {
  // Consecutive moves (a wave, an abort, a rollback) go to the cache as one change: one
  // generation per target key and one push, however many nodes.
  std::vector<std::pair<std::string, std::string>> moves;
  auto flush_moves = [&] {
    if (moves.empty()) return;
    cache_->MoveNodes(moves);
    moves.clear();
  };
  for (const Step& step : steps) {
    if (step.kind == Step::kMove) {
      moves.emplace_back(step.node_id, step.key);
      continue;
    }
    flush_moves();
    if (step.kind == Step::kSet) {
      cache_->SetSnapshot(step.key, step.snapshot);
    } else {
      cache_->ClearSnapshot(step.key);
    }
  }
  flush_moves();
}

absl::Status RolloutPlanner::OnStreamNode(const StreamInfo&,
                                          const envoy::config::core::v3::Node& node) {
  absl::MutexLock lock(&mu_);
  NodeEntry& entry = nodes_[node.id()];
  if (entry.streams++ == 0) {
    entry.node.set_id(node.id());
    entry.node.set_cluster(node.cluster());
    entry.key = PlaceLocked(node, content_ == nullptr ? "" : GroupOf(*content_, node));
    entry.placed_at = absl::Now();
  }
  return absl::OkStatus();
}

void RolloutPlanner::OnStreamClosed(const StreamInfo&, const envoy::config::core::v3::Node& node) {
  if (node.id().empty()) return;
  absl::MutexLock lock(&mu_);
  auto entry = nodes_.find(node.id());
  if (entry != nodes_.end() && --entry->second.streams <= 0) nodes_.erase(entry);
}

void RolloutPlanner::OnNack(const StreamInfo&, const envoy::config::core::v3::Node& node,
                            const AnswerInfo& answer) {
  absl::MutexLock lock(&mu_);
  auto entry = nodes_.find(node.id());
  if (entry == nodes_.end() || content_ == nullptr) return;
  auto rollout = rollouts_.find(GroupOf(*content_, entry->second.node));
  if (rollout == rollouts_.end()) return;
  Rollout& current = rollout->second;
  if (!Active(current) || entry->second.key != current.key ||
      !current.changed_types.contains(answer.type_url) ||
      answer.version != current.snapshot->Version(answer.type_url) ||
      !current.policy.halt_on_nack) {
    return;
  }
  // The moves back (auto_rollback) are the ticker's: this runs on a stream's reaction.
  current.state = State::kHalted;
  current.halt = RolloutReport::Halt{node.id(), answer.type_url,
                                     options_.redact ? options_.redact(answer.error) : answer.error,
                                     absl::Now()};
  ++halts_;
}

uint64_t RolloutPlanner::halts() const {
  absl::MutexLock lock(&mu_);
  return halts_;
}

std::vector<RolloutReport> RolloutPlanner::Report() const {
  absl::MutexLock lock(&mu_);
  std::vector<RolloutReport> reports;
  for (const auto& [group, rollout] : rollouts_) {
    RolloutReport report;
    report.group = group;
    report.revision = rollout.revision;
    report.previous_revision = rollout.previous;
    static constexpr const char* kStates[] = {"rolling", "baking", "halted", "aborted", "done"};
    report.state = kStates[static_cast<int>(rollout.state)];
    report.wave = rollout.wave + 1;
    report.waves = rollout.policy.waves.size();
    report.bake = rollout.policy.bake;
    report.bake_until = rollout.bake_until;
    report.rolled_back = rollout.rolled_back;
    report.halt = rollout.halt;
    report.started_at = rollout.started_at;
    report.wave_nodes.resize(report.waves);
    report.wave_node_counts.resize(report.waves);
    for (const auto& [id, entry] : nodes_) {
      if (content_ == nullptr || GroupOf(*content_, entry.node) != group) continue;
      int64_t revision = base_revision_.contains(group) ? base_revision_.at(group) : 0;
      if (entry.key == rollout.key) revision = rollout.revision;
      if (auto stale = stale_keys_.find(entry.key); stale != stale_keys_.end()) {
        revision = stale->second;
      }
      ++report.nodes_per_revision[revision];
      const size_t wave = WaveOf(rollout.policy, entry.node);
      if (wave >= report.waves) continue;
      ++report.wave_node_counts[wave];
      if (report.wave_nodes[wave].size() < kMaxIdsPerWave) report.wave_nodes[wave].push_back(id);
    }
    reports.push_back(std::move(report));
  }
  return reports;
}

}  // namespace xdsd::config
