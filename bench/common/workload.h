#pragma once

// The benchmark workload: a deterministic set of Envoy resources that every bench server
// (xdsd, the raw floor, the go-control-plane peer) builds the same way from the same numbers,
// so that one load generator drives all three with the same payloads.
//
//   clusters      "cluster-00000".. : EDS clusters over ADS, 1 s connect timeout, round robin
//   endpoints     one ClusterLoadAssignment per cluster, `endpoints_per_cluster` endpoints in
//                 one locality, 10.a.b.c:8000+j
//   listeners     "listener-0".. on port 10000+i, an HTTP connection manager whose routes come
//                 from RDS "route-<i>" over ADS
//   routes        "route-0".. each one virtual host "*" with 10 prefix routes to clusters
//
// A change of a cluster's endpoints is counted per cluster (`generation`): generation g moves the
// first endpoint's port to 20000 + g, so every generation has different bytes.
//
// The go-control-plane peer (bench/peers/go-control-plane/workload.go) mirrors this file.
//
// Thread-compatible: plain functions and values.

#include <cstdint>
#include <string>
#include <vector>

#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"

namespace xdsd::bench {

struct WorkloadSize {
  int clusters = 10000;
  int endpoints_per_cluster = 10;
  int listeners = 10;  // and as many route configurations
};

std::string ClusterName(int i);
std::string ListenerName(int i);
std::string RouteName(int i);

envoy::config::cluster::v3::Cluster MakeCluster(int i);
envoy::config::endpoint::v3::ClusterLoadAssignment MakeEndpoints(int i, int endpoints,
                                                                 uint64_t generation);
envoy::config::listener::v3::Listener MakeListener(int i);
envoy::config::route::v3::RouteConfiguration MakeRoute(int i, int clusters);

// The workload's resources as protobuf's JSON of each, to write as one xdsd config file.
struct WorkloadJson {
  std::vector<std::string> clusters, endpoints, listeners, routes;
  // The config file: {"resources": {"clusters": [...], ...}}, one resource per line.
  std::string Config() const;
};
WorkloadJson MakeWorkloadJson(const WorkloadSize& size);
// Cluster i's endpoints at `generation`, as JSON.
std::string EndpointsJson(int i, int endpoints, uint64_t generation);

// The flags every micro-benchmark takes: --clusters N --endpoints N --repeat N.
struct BenchFlags {
  int clusters = 10000;
  int endpoints = 10;
  int repeat = 3;
};
BenchFlags ParseBenchFlags(int argc, char** argv, BenchFlags defaults);

// Which clusters a churn tick changes: `count` consecutive clusters (mod `clusters`), starting
// where the previous tick stopped.
inline int ChurnCluster(uint64_t tick, int count, int k, int clusters) {
  return static_cast<int>((tick * static_cast<uint64_t>(count) + static_cast<uint64_t>(k)) %
                          static_cast<uint64_t>(clusters));
}

}  // namespace xdsd::bench
