// The xdsd side of the benchmarks: libxdsd's SnapshotCache and XdsServer serving the bench
// workload (common/workload.h) to every node, with callbacks that timestamp each ACK, driven by
// the control commands of common/control.h on stdin.
//
//   xdsd_bench_server --port 18000 --clusters 10000 --endpoints 10 --listeners 10
//                     [--config-file PATH]
//
// With --config-file the workload goes through the config path as `xdsd serve --config` takes
// it (W8): every publish writes the whole workload to PATH as JSON (renamed over it, as an
// editor saves), loads it again (config::ConfigLoadCache: only the changed resource is parsed)
// and publishes the loaded snapshot; the time of a publish includes the reload.
//
// Prints "ready port=<port> build_ms=<ms>" once it serves.

#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/control.h"
#include "common/workload.h"
#include "config/config_load_cache.h"
#include "xdsd/callbacks.h"
#include "xdsd/server.h"
#include "xdsd/snapshot_cache.h"

namespace xdsd::bench {
namespace {

struct Options {
  int port = 18000;
  WorkloadSize size;
  std::string config_file;  // empty: resources built in memory
};

class TrackingCallbacks : public Callbacks {
 public:
  explicit TrackingCallbacks(AckTracker* tracker) : tracker_(tracker) {}
  absl::Status OnStreamOpen(const StreamInfo&) override {
    tracker_->OnStreamOpen();
    return absl::OkStatus();
  }
  void OnStreamClosed(const StreamInfo&, const envoy::config::core::v3::Node& node) override {
    tracker_->OnNodeClosed(node.id());
  }
  void OnAck(const StreamInfo&, const envoy::config::core::v3::Node& node,
             const AnswerInfo& answer) override {
    tracker_->OnAck(node.id(), answer.type_url, answer.version);
  }

 private:
  AckTracker* const tracker_;
};

// The workload as libxdsd resources; every publish re-serializes only the changed clusters. With
// a config file, every publish writes and reloads it instead.
class XdsdTarget : public BenchTarget {
 public:
  XdsdTarget(SnapshotCache* cache, XdsServer* server, WorkloadSize size, std::string config_file)
      : cache_(cache),
        server_(server),
        size_(size),
        config_file_(std::move(config_file)),
        generations_(size.clusters, 0) {
    if (!config_file_.empty()) {
      json_ = MakeWorkloadJson(size);
      return;
    }
    for (int i = 0; i < size.clusters; ++i) {
      clusters_.push_back(*Resource::FromMessage(MakeCluster(i)));
      endpoints_.push_back(*Resource::FromMessage(MakeEndpoints(i, size.endpoints_per_cluster, 0)));
    }
    for (int i = 0; i < size.listeners; ++i) {
      others_.push_back(*Resource::FromMessage(MakeListener(i)));
      others_.push_back(*Resource::FromMessage(MakeRoute(i, size.clusters)));
    }
  }

  TypeVersions Publish() {
    SnapshotPtr snapshot = config_file_.empty() ? Build() : WriteAndReload();
    TypeVersions versions;
    for (std::string_view type : {kClusterType, kEndpointType, kListenerType, kRouteType}) {
      versions[std::string(type)] = snapshot->Version(type);
    }
    cache_->SetSnapshot("bench", std::move(snapshot));
    return versions;
  }

  TypeVersions PublishEndpointChange(const std::vector<int>& clusters) override {
    for (int i : clusters) {
      ++generations_[i];
      if (config_file_.empty()) {
        endpoints_[i] =
            *Resource::FromMessage(MakeEndpoints(i, size_.endpoints_per_cluster, generations_[i]));
      } else {
        json_.endpoints[i] = EndpointsJson(i, size_.endpoints_per_cluster, generations_[i]);
      }
    }
    return Publish();
  }
  int64_t OpenStreams() override { return server_->open_streams(); }
  int clusters() const override { return size_.clusters; }

 private:
  SnapshotPtr Build() {
    std::vector<ResourcePtr> all;
    all.reserve(clusters_.size() + endpoints_.size() + others_.size());
    all.insert(all.end(), clusters_.begin(), clusters_.end());
    all.insert(all.end(), endpoints_.begin(), endpoints_.end());
    all.insert(all.end(), others_.begin(), others_.end());
    return *Snapshot::Create(std::move(all));
  }

  SnapshotPtr WriteAndReload() {
    const std::string temporary = config_file_ + ".tmp";
    std::ofstream(temporary, std::ios::trunc) << json_.Config();
    std::rename(temporary.c_str(), config_file_.c_str());
    absl::StatusOr<std::shared_ptr<const config::Config>> loaded =
        load_cache_.Load(config_file_, size_t{1} << 30);
    if (!loaded.ok()) {
      std::cerr << loaded.status() << "\n";
      std::exit(1);
    }
    return (*loaded)->default_snapshot;
  }

  SnapshotCache* const cache_;
  XdsServer* const server_;
  const WorkloadSize size_;
  const std::string config_file_;
  std::vector<uint64_t> generations_;
  std::vector<ResourcePtr> clusters_, endpoints_, others_;
  WorkloadJson json_;  // with a config file: what it holds
  config::ConfigLoadCache load_cache_;
};

int Run(const Options& options) {
  AckTracker tracker;
  TrackingCallbacks callbacks(&tracker);
  SnapshotCache cache([](const envoy::config::core::v3::Node&) { return std::string("bench"); });
  XdsServer xds(&cache, &callbacks);
  const absl::Time start = absl::Now();
  XdsdTarget target(&cache, &xds, options.size, options.config_file);
  tracker.Publish(target.Publish());
  const double build_ms = absl::ToDoubleMilliseconds(absl::Now() - start);
  int port = 0;
  auto server = StartGrpcServer(xds, "127.0.0.1:" + std::to_string(options.port), &port);
  if (!server.ok()) {
    std::cerr << server.status() << "\n";
    return 1;
  }
  std::cout << "ready port=" << port << " build_ms=" << build_ms << std::endl;
  RunControlLoop(target, tracker);
  (*server)->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  return 0;
}

}  // namespace
}  // namespace xdsd::bench

int main(int argc, char** argv) {
  // As the xdsd daemon does (src/cli/main.cc): Debian's Abseil checks lock order on every lock.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  xdsd::bench::Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (flag == "--config-file")
      options.config_file = argv[i + 1];
    else if (flag == "--port")
      options.port = value;
    else if (flag == "--clusters")
      options.size.clusters = value;
    else if (flag == "--endpoints")
      options.size.endpoints_per_cluster = value;
    else if (flag == "--listeners")
      options.size.listeners = value;
    else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  return xdsd::bench::Run(options);
}
