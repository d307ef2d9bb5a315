#include "config/rollout_policy.h"

#include <xxhash.h>

#include "absl/strings/str_cat.h"
#include "api/yaml_location.h"
#include "config/glob.h"

namespace xdsd::config {
namespace {

constexpr char kPolicyKeys[] = "waves, bake, halt_on_nack, auto_rollback";
constexpr char kWaveKeys[] = "nodes, clusters, percent";

class PolicyReader {
 public:
  PolicyReader(absl::string_view file, LoadErrors* errors) : file_(file), errors_(errors) {}

  void Error(const YAML::Node& node, absl::string_view path, absl::string_view message) {
    errors_->Add(file_, api::LineOf(node.Mark()), path, message);
    ok_ = false;
  }
  bool ok() const { return ok_; }

  void ReadGlobs(const YAML::Node& node, const std::string& path, std::vector<std::string>* out) {
    if (!node.IsSequence() || node.size() == 0) {
      Error(node, path, "must be a non-empty list of glob strings");
      return;
    }
    for (size_t i = 0; i < node.size(); ++i) {
      if (!node[i].IsScalar() || node[i].Scalar().empty()) {
        Error(node[i], absl::StrCat(path, "[", i, "]"), "must be a non-empty glob string");
        continue;
      }
      out->push_back(node[i].Scalar());
    }
  }

  std::optional<RolloutWave> ReadWave(const YAML::Node& node, const std::string& path) {
    if (!node.IsMap() || node.size() != 1) {
      Error(node, path, absl::StrCat("a wave must be a map with exactly one of ", kWaveKeys));
      return std::nullopt;
    }
    RolloutWave wave;
    const auto entry = *node.begin();
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    const std::string field = absl::StrCat(path, ".", key);
    if (key == "nodes") {
      ReadGlobs(entry.second, field, &wave.node_globs);
    } else if (key == "clusters") {
      ReadGlobs(entry.second, field, &wave.cluster_globs);
    } else if (key == "percent") {
      double percent = -1;
      if (!entry.second.IsScalar() || !YAML::convert<double>::decode(entry.second, percent) ||
          !(percent >= 0 && percent <= 100)) {
        Error(entry.second, field, "must be a number from 0 to 100");
        return std::nullopt;
      }
      wave.percent = percent;
    } else {
      Error(entry.first, field, absl::StrCat("unknown key (a wave has one of ", kWaveKeys, ")"));
      return std::nullopt;
    }
    return wave;
  }

  void ReadBool(const YAML::Node& node, const std::string& path, bool* out) {
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, *out)) {
      Error(node, path, "must be true or false");
    }
  }

 private:
  const absl::string_view file_;
  LoadErrors* const errors_;
  bool ok_ = true;
};

}  // namespace

std::optional<RolloutPolicy> ReadRolloutPolicy(const YAML::Node& node, absl::string_view file,
                                               absl::string_view path, LoadErrors* errors) {
  PolicyReader reader(file, errors);
  const std::string where(path);
  if (!node.IsMap()) {
    reader.Error(node, where, absl::StrCat("must be a map with the keys ", kPolicyKeys));
    return std::nullopt;
  }
  RolloutPolicy policy;
  policy.where = absl::StrCat(file, ":", api::LineOf(node.Mark()));
  bool has_waves = false;
  for (const auto& entry : node) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    const std::string field = absl::StrCat(where, ".", key);
    if (key == "waves") {
      has_waves = true;
      if (!entry.second.IsSequence() || entry.second.size() == 0) {
        reader.Error(entry.second, field, "must be a non-empty list of waves");
        continue;
      }
      std::optional<double> last_percent;
      for (size_t i = 0; i < entry.second.size(); ++i) {
        const std::string wave_path = absl::StrCat(field, "[", i, "]");
        std::optional<RolloutWave> wave = reader.ReadWave(entry.second[i], wave_path);
        if (!wave.has_value()) continue;
        if (wave->percent.has_value()) {
          if (last_percent.has_value() && *wave->percent <= *last_percent) {
            reader.Error(entry.second[i], absl::StrCat(wave_path, ".percent"),
                         absl::StrCat("must be more than the earlier wave's ", *last_percent,
                                      " (percent waves grow)"));
          }
          last_percent = wave->percent;
        }
        policy.waves.push_back(*std::move(wave));
      }
    } else if (key == "bake") {
      absl::Duration bake;
      if (!entry.second.IsScalar() || !absl::ParseDuration(entry.second.Scalar(), &bake) ||
          bake < absl::ZeroDuration()) {
        reader.Error(entry.second, field, "must be a duration such as \"30s\" or \"5m\"");
        continue;
      }
      policy.bake = bake;
    } else if (key == "halt_on_nack") {
      reader.ReadBool(entry.second, field, &policy.halt_on_nack);
    } else if (key == "auto_rollback") {
      reader.ReadBool(entry.second, field, &policy.auto_rollback);
    } else {
      reader.Error(entry.first, field,
                   absl::StrCat("unknown key (a rollout has the keys ", kPolicyKeys, ")"));
    }
  }
  if (!has_waves) reader.Error(node, where, "a rollout needs waves");
  if (!reader.ok()) return std::nullopt;
  return policy;
}

double NodePercentile(std::string_view node_id) {
  // XXH3 is specified byte for byte: the same id gives the same share on every machine.
  const uint64_t hash = XXH3_64bits(node_id.data(), node_id.size());
  return static_cast<double>(hash % 10000) / 100.0;
}

size_t WaveOf(const RolloutPolicy& policy, const envoy::config::core::v3::Node& node) {
  auto any_matches = [](const std::vector<std::string>& globs, std::string_view text) {
    for (const std::string& glob : globs) {
      if (GlobMatches(glob, text)) return true;
    }
    return false;
  };
  for (size_t i = 0; i < policy.waves.size(); ++i) {
    const RolloutWave& wave = policy.waves[i];
    if (wave.percent.has_value()) {
      if (NodePercentile(node.id()) < *wave.percent) return i;
    } else if (any_matches(wave.node_globs, node.id()) ||
               any_matches(wave.cluster_globs, node.cluster())) {
      return i;
    }
  }
  return policy.waves.size();
}

}  // namespace xdsd::config
