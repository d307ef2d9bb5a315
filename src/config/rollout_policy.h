#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "config/parsed_resource.h"
#include "envoy/config/core/v3/base.pb.h"
#include "yaml-cpp/yaml.h"

namespace xdsd::config {

// One wave of a progressive rollout: the nodes it adds, by exactly one of
//   nodes: [GLOB, ...]     globs on node.id
//   clusters: [GLOB, ...]  globs on node.cluster
//   percent: P             the nodes whose stable hash of node.id falls below P% (0 to 100);
//                          the same nodes every time, and a larger P keeps the smaller's nodes
struct RolloutWave {
  std::vector<std::string> node_globs;
  std::vector<std::string> cluster_globs;
  std::optional<double> percent;
};

// The `rollout:` section, top level (the default resources) or of a group (its resources):
//
//   rollout:
//     waves: [{nodes: ["canary-*"]}, {percent: 25}, {percent: 100}]
//     bake: 30s             # after a wave has ACKed, wait this long without a NACK
//     halt_on_nack: true    # the default
//     auto_rollback: false  # true: a halt also returns the finished waves to the previous one
//
// The policy is how a change travels, not what is served: it is not part of a revision's
// content, and a change of the policy alone makes no revision and sends nothing to clients.
struct RolloutPolicy {
  std::vector<RolloutWave> waves;  // never empty
  absl::Duration bake = absl::ZeroDuration();
  bool halt_on_nack = true;
  bool auto_rollback = false;
  std::string where;  // "FILE:LINE" of the section, for messages
};

// Reads a `rollout:` section at `path` of `file`; every mistake is added to `errors` with its
// file, line and path, and then nullopt is returned.
std::optional<RolloutPolicy> ReadRolloutPolicy(const YAML::Node& node, absl::string_view file,
                                               absl::string_view path, LoadErrors* errors);

// The stable share of a node id, in [0, 100): the same for the same id on every run and replica.
double NodePercentile(std::string_view node_id);

// The index of the first wave of `policy` that takes `node`, or waves.size() when none does
// (such a node is switched once the last wave has baked).
size_t WaveOf(const RolloutPolicy& policy, const envoy::config::core::v3::Node& node);

}  // namespace xdsd::config
