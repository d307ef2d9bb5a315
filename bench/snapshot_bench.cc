// W5: building a snapshot of the bench workload (10,000 clusters, 100,000 endpoints by default)
// with libxdsd — Resource::FromMessage for every resource (deterministic serialization, content
// hash, Any framing) and Snapshot::Create — against plain protobuf serialization of the same
// messages (SerializeToString, default and deterministic). Message construction is not timed.
//
//   snapshot_bench [--clusters 10000] [--endpoints 10] [--repeat 5]
//
// Prints one line: "w5 clusters=.. endpoints=.. bytes=.. xdsd_build_ms=.. plain_ms=..
// plain_deterministic_ms=.. ratio=.." (best of --repeat runs each).

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "common/workload.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "xdsd/snapshot.h"

namespace xdsd::bench {
namespace {

int Run(int clusters, int endpoints, int repeat) {
  std::vector<std::unique_ptr<google::protobuf::Message>> messages;
  for (int i = 0; i < clusters; ++i) {
    messages.push_back(std::make_unique<envoy::config::cluster::v3::Cluster>(MakeCluster(i)));
    messages.push_back(std::make_unique<envoy::config::endpoint::v3::ClusterLoadAssignment>(
        MakeEndpoints(i, endpoints, 0)));
  }
  for (int i = 0; i < 10; ++i) {
    messages.push_back(std::make_unique<envoy::config::listener::v3::Listener>(MakeListener(i)));
    messages.push_back(
        std::make_unique<envoy::config::route::v3::RouteConfiguration>(MakeRoute(i, clusters)));
  }
  double best_xdsd = 1e18, best_plain = 1e18, best_det = 1e18;
  size_t bytes = 0;
  for (int r = 0; r < repeat; ++r) {
    absl::Time start = absl::Now();
    std::vector<ResourcePtr> resources;
    resources.reserve(messages.size());
    for (const auto& m : messages) resources.push_back(*Resource::FromMessage(*m));
    SnapshotPtr snapshot = *Snapshot::Create(std::move(resources));
    best_xdsd = std::min(best_xdsd, absl::ToDoubleMilliseconds(absl::Now() - start));

    start = absl::Now();
    std::vector<std::string> plain(messages.size());
    for (size_t i = 0; i < messages.size(); ++i) messages[i]->SerializeToString(&plain[i]);
    best_plain = std::min(best_plain, absl::ToDoubleMilliseconds(absl::Now() - start));
    bytes = 0;
    for (const auto& s : plain) bytes += s.size();

    start = absl::Now();
    std::vector<std::string> det(messages.size());
    for (size_t i = 0; i < messages.size(); ++i) {
      google::protobuf::io::StringOutputStream stream(&det[i]);
      google::protobuf::io::CodedOutputStream coded(&stream);
      coded.SetSerializationDeterministic(true);
      messages[i]->SerializeToCodedStream(&coded);
    }
    best_det = std::min(best_det, absl::ToDoubleMilliseconds(absl::Now() - start));
  }
  char line[512];
  std::snprintf(line, sizeof(line),
                "w5 clusters=%d endpoints=%d bytes=%zu xdsd_build_ms=%.3f plain_ms=%.3f "
                "plain_deterministic_ms=%.3f ratio=%.3f",
                clusters, clusters * endpoints, bytes, best_xdsd, best_plain, best_det,
                best_xdsd / best_plain);
  std::cout << line << std::endl;
  return 0;
}

}  // namespace
}  // namespace xdsd::bench

int main(int argc, char** argv) {
  const xdsd::bench::BenchFlags flags = xdsd::bench::ParseBenchFlags(argc, argv, {10000, 10, 5});
  return xdsd::bench::Run(flags.clusters, flags.endpoints, flags.repeat);
}
