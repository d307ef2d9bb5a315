// The config path: the bench workload (1,000 EDS clusters with 10 endpoints each, 10 listeners,
// 10 route configurations by default; about 3.2 MB) written as one JSON config file, loaded the
// way `xdsd serve --config` loads it (config::ConfigLoadCache::Load: read, parse, check, build
// the snapshots), then loaded again three ways: unchanged, with one cluster's endpoints changed
// (one resource's text differs), and cold (a new cache). Writing the file is not timed.
//
//   config_load_bench [--clusters 1000] [--endpoints 10] [--repeat 3] [--format json|yaml]
//
// --format yaml writes the same config as block-style YAML (config.yaml) instead.
//
// Prints one line per case with the best of --repeat runs and MB/s for the cold load.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/clock.h"
#include "common/workload.h"
#include "config/config_load_cache.h"
#include "yaml-cpp/yaml.h"

namespace xdsd::bench {
namespace {

// Writes the JSON `text` to `path`, as block-style YAML when `yaml` (JSON is YAML: yaml-cpp
// reads it and writes it back in its default, block style).
void Write(const std::string& path, const std::string& text, bool yaml) {
  std::ofstream out(path, std::ios::trunc);
  if (!yaml) {
    out << text;
    return;
  }
  YAML::Emitter emitter;
  emitter << YAML::Load(text);
  out << emitter.c_str() << "\n";
}

size_t FileSize(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  return static_cast<size_t>(in.tellg());
}

// Best wall time of `repeat` runs of `load` in ms; exits on a failed load.
template <typename Load>
double BestMs(int repeat, Load load) {
  double best = 1e18;
  for (int r = 0; r < repeat; ++r) {
    const absl::Time start = absl::Now();
    absl::Status status = load();
    const double ms = absl::ToDoubleMilliseconds(absl::Now() - start);
    if (!status.ok()) {
      std::fprintf(stderr, "load failed: %s\n", std::string(status.message()).c_str());
      std::exit(1);
    }
    best = std::min(best, ms);
  }
  return best;
}

int Run(int clusters, int endpoints, int repeat, bool yaml) {
  char dir_template[] = "/tmp/config_load_bench.XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (dir == nullptr) return 1;
  const std::string path = std::string(dir) + (yaml ? "/config.yaml" : "/config.json");
  WorkloadJson json = MakeWorkloadJson({clusters, endpoints, 10});
  const std::string base = json.Config();
  uint64_t generation = 0;  // of cluster 0's endpoints
  Write(path, base, yaml);
  const size_t bytes = FileSize(path);
  constexpr size_t kMaxBytes = size_t{64} << 20;

  const double cold = BestMs(repeat, [&] {
    config::ConfigLoadCache cache;
    return cache.Load(path, kMaxBytes).status();
  });
  config::ConfigLoadCache cache;
  (void)cache.Load(path, kMaxBytes);
  const double unchanged = BestMs(repeat, [&] { return cache.Load(path, kMaxBytes).status(); });
  double changed = 1e18;
  for (int r = 0; r < repeat; ++r) {
    json.endpoints[0] = EndpointsJson(0, endpoints, ++generation);
    Write(path, json.Config(), yaml);
    changed = std::min(changed, BestMs(1, [&] { return cache.Load(path, kMaxBytes).status(); }));
  }
  const double mb = static_cast<double>(bytes) / 1e6;
  std::printf(
      "config_load format=%s clusters=%d endpoints=%d bytes=%zu cold_ms=%.1f cold_mb_per_s=%.1f "
      "unchanged_ms=%.2f one_resource_changed_ms=%.1f\n",
      yaml ? "yaml" : "json", clusters, endpoints, bytes, cold, mb / (cold / 1e3), unchanged,
      changed);
  std::remove(path.c_str());
  rmdir(dir);
  return 0;
}

}  // namespace
}  // namespace xdsd::bench

int main(int argc, char** argv) {
  const xdsd::bench::BenchFlags flags = xdsd::bench::ParseBenchFlags(argc, argv, {1000, 10, 3});
  bool yaml = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string_view(argv[i]) == "--format") yaml = std::string_view(argv[i + 1]) == "yaml";
  }
  return xdsd::bench::Run(flags.clusters, flags.endpoints, flags.repeat, yaml);
}
