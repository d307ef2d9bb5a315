// The config path: the bench workload (1,000 EDS clusters with 10 endpoints each, 10 listeners,
// 10 route configurations by default; about 3.2 MB) written as one JSON config file, loaded the
// way `xdsd serve --config` loads it (config::ConfigLoadCache::Load: read, parse, check, build
// the snapshots), then loaded again three ways: unchanged, with one cluster's endpoints changed
// (one resource's text differs), and cold (a new cache). Writing the file is not timed.
//
//   config_load_bench [--clusters 1000] [--endpoints 10] [--repeat 3]
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

namespace xdsd::bench {
namespace {

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
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

int Run(int clusters, int endpoints, int repeat) {
  char dir_template[] = "/tmp/config_load_bench.XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (dir == nullptr) return 1;
  const std::string path = std::string(dir) + "/config.json";
  WorkloadJson json = MakeWorkloadJson({clusters, endpoints, 10});
  const std::string base = json.Config();
  uint64_t generation = 0;  // of cluster 0's endpoints
  Write(path, base);
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
    Write(path, json.Config());
    changed = std::min(changed, BestMs(1, [&] { return cache.Load(path, kMaxBytes).status(); }));
  }
  const double mb = static_cast<double>(base.size()) / 1e6;
  std::printf(
      "config_load clusters=%d endpoints=%d bytes=%zu cold_ms=%.1f cold_mb_per_s=%.1f "
      "unchanged_ms=%.2f one_resource_changed_ms=%.1f\n",
      clusters, endpoints, base.size(), cold, mb / (cold / 1e3), unchanged, changed);
  std::remove(path.c_str());
  rmdir(dir);
  return 0;
}

}  // namespace
}  // namespace xdsd::bench

int main(int argc, char** argv) {
  const xdsd::bench::BenchFlags flags = xdsd::bench::ParseBenchFlags(argc, argv, {1000, 10, 3});
  return xdsd::bench::Run(flags.clusters, flags.endpoints, flags.repeat);
}
