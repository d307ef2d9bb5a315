// xdsd_embed_example: serves a configuration that the program builds itself, with libxdsd.
//
//   xdsd_embed_example [PORT]      (default 18000)
//
// It serves version 1 (one cluster, one listener) to every node, waits for the first node to
// connect, then publishes a new version with one more cluster and listener each time a line
// is read on standard input, until end of input. See README.md.

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/core/v3/address.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "grpcpp/server.h"
#include "xdsd/resource.h"
#include "xdsd/server.h"
#include "xdsd/snapshot.h"
#include "xdsd/snapshot_cache.h"

namespace {

using envoy::config::cluster::v3::Cluster;
using envoy::config::core::v3::SocketAddress;
using envoy::config::listener::v3::Listener;
using envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager;

// Every node is served the same snapshot: the node hash maps all of them to this key.
constexpr char kEveryNode[] = "every-node";

void SetAddress(const std::string& ip, int port, SocketAddress* address) {
  address->set_address(ip);
  address->set_port_value(port);
}

// service_<i>: a static cluster of one endpoint, 127.0.0.1:(8000 + i).
Cluster MakeCluster(int i) {
  Cluster cluster;
  cluster.set_name(absl::StrCat("service_", i));
  cluster.set_type(Cluster::STATIC);
  cluster.mutable_connect_timeout()->set_seconds(1);
  cluster.set_lb_policy(Cluster::ROUND_ROBIN);
  auto* assignment = cluster.mutable_load_assignment();
  assignment->set_cluster_name(cluster.name());
  auto* endpoint = assignment->add_endpoints()->add_lb_endpoints()->mutable_endpoint();
  SetAddress("127.0.0.1", 8000 + i, endpoint->mutable_address()->mutable_socket_address());
  return cluster;
}

// listener_<i>: HTTP on 0.0.0.0:(10000 + i), every request routed to service_<i>.
Listener MakeListener(int i) {
  HttpConnectionManager manager;
  manager.set_stat_prefix(absl::StrCat("ingress_", i));
  auto* route_config = manager.mutable_route_config();
  route_config->set_name(absl::StrCat("local_route_", i));
  auto* virtual_host = route_config->add_virtual_hosts();
  virtual_host->set_name("all");
  virtual_host->add_domains(std::string("*"));
  auto* route = virtual_host->add_routes();
  route->mutable_match()->set_prefix("/");
  route->mutable_route()->set_cluster(absl::StrCat("service_", i));
  auto* router = manager.add_http_filters();
  router->set_name("envoy.filters.http.router");
  router->mutable_typed_config()->PackFrom(envoy::extensions::filters::http::router::v3::Router());

  Listener listener;
  listener.set_name(absl::StrCat("listener_", i));
  SetAddress("0.0.0.0", 10000 + i, listener.mutable_address()->mutable_socket_address());
  auto* filter = listener.add_filter_chains()->add_filters();
  filter->set_name("envoy.filters.network.http_connection_manager");
  filter->mutable_typed_config()->PackFrom(manager);
  return listener;
}

absl::Status Add(const google::protobuf::Message& message,
                 std::vector<xdsd::ResourcePtr>* resources) {
  absl::StatusOr<xdsd::ResourcePtr> resource = xdsd::Resource::FromMessage(message);
  if (!resource.ok()) return resource.status();
  resources->push_back(*std::move(resource));
  return absl::OkStatus();
}

// Configuration `n`: clusters and listeners 0 .. n-1. Each resource is serialized once, here;
// the snapshot's per-type versions are content hashes, so an unchanged type keeps its version.
absl::StatusOr<xdsd::SnapshotPtr> MakeSnapshot(int n) {
  std::vector<xdsd::ResourcePtr> resources;
  for (int i = 0; i < n; ++i) {
    if (absl::Status status = Add(MakeCluster(i), &resources); !status.ok()) return status;
    if (absl::Status status = Add(MakeListener(i), &resources); !status.ok()) return status;
  }
  return xdsd::Snapshot::Create(std::move(resources));
}

void PrintVersions(int n, const xdsd::Snapshot& snapshot) {
  std::printf("published configuration %d: clusters version %s, listeners version %s\n", n,
              snapshot.Version(xdsd::kClusterType).c_str(),
              snapshot.Version(xdsd::kListenerType).c_str());
  std::fflush(stdout);
}

absl::Status Publish(int n, xdsd::SnapshotCache& cache) {
  absl::StatusOr<xdsd::SnapshotPtr> snapshot = MakeSnapshot(n);
  if (!snapshot.ok()) return snapshot.status();
  cache.SetSnapshot(kEveryNode, *snapshot);
  PrintVersions(n, **snapshot);
  return absl::OkStatus();
}

absl::Status Run(int port) {
  xdsd::SnapshotCache cache(
      [](const envoy::config::core::v3::Node&) { return std::string(kEveryNode); });
  int n = 1;
  if (absl::Status status = Publish(n, cache); !status.ok()) return status;

  xdsd::XdsServer xds(&cache, /*callbacks=*/nullptr);
  int bound_port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      xdsd::StartGrpcServer(xds, absl::StrCat("0.0.0.0:", port), &bound_port);
  if (!server.ok()) return server.status();
  std::printf("serving xDS on 0.0.0.0:%d; waiting for a node to connect...\n", bound_port);
  std::fflush(stdout);

  // A program may simply poll the cache's node status; a callback (xdsd::Callbacks) would
  // tell at once.
  std::vector<xdsd::NodeStatus> nodes;
  while ((nodes = cache.NodeStatuses(/*connected_only=*/true)).empty()) {
    absl::SleepFor(absl::Milliseconds(200));
  }
  std::printf("node \"%s\" connected\n", nodes.front().node.id().c_str());
  std::printf("press Enter to publish one more cluster and listener (end of input stops)\n");
  std::fflush(stdout);

  std::string line;
  while (std::getline(std::cin, line)) {
    if (absl::Status status = Publish(++n, cache); !status.ok()) return status;
  }
  (*server)->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  int port = 18000;
  if (argc > 2 || (argc == 2 && (!absl::SimpleAtoi(argv[1], &port) || port < 0 || port > 65535))) {
    std::fprintf(stderr, "usage: %s [PORT]   (default 18000)\n", argv[0]);
    return 2;
  }
  const absl::Status status = Run(port);
  if (!status.ok()) {
    std::fprintf(stderr, "xdsd_embed_example: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
