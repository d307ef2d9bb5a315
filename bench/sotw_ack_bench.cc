// The server's own work per state-of-the-world stream and update, without gRPC or sockets: the
// W2 loop of one endpoint change fanned out to streams that each watch --clusters EDS clusters.
// Per stream and update: the snapshot delivered and the response made and encoded ("respond"),
// then the client's ACK, which repeats every name, parsed from its bytes ("parse") and taken by
// the stream's state machine ("ack").
//
//   sotw_ack_bench [--streams 200] [--clusters 1000] [--updates 20]
//
// Prints one line: "sotw_ack streams=.. clusters=.. updates=.. respond_us=.. parse_us=..
// ack_us=.." (µs per stream per update; best of three rounds of the updates).

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "common/workload.h"
#include "server/response_encoder.h"
#include "server/sotw_stream_state.h"
#include "server/xds_stream.h"
#include "xdsd/resource.h"
#include "xdsd/snapshot.h"

namespace xdsd::bench {
namespace {

using envoy::service::discovery::v3::DiscoveryRequest;

SnapshotPtr MakeSnapshot(int clusters, uint64_t generation) {
  std::vector<ResourcePtr> resources;
  for (int i = 0; i < clusters; ++i) {
    resources.push_back(*Resource::FromMessage(MakeEndpoints(i, 10, i == 0 ? generation : 0)));
  }
  return *Snapshot::Create(std::move(resources));
}

grpc::ByteBuffer Bytes(const DiscoveryRequest& request) {
  const std::string wire = request.SerializeAsString();
  grpc::Slice slice(wire);
  return grpc::ByteBuffer(&slice, 1);
}

struct Times {
  double respond = 0, parse = 0, ack = 0;
};

int Run(int streams, int clusters, int updates) {
  DiscoveryRequest request;
  request.set_type_url(std::string(kEndpointType));
  request.mutable_node()->set_id("node");
  for (int i = 0; i < clusters; ++i) request.add_resource_names(ClusterName(i));

  std::vector<std::unique_ptr<server::SotwStreamState>> states;
  SnapshotPtr snapshot = MakeSnapshot(clusters, 0);
  for (int s = 0; s < streams; ++s) {
    auto state = std::make_unique<server::SotwStreamState>(kEndpointType);
    state->OnSnapshot(snapshot);
    (void)state->OnRequest(request);
    std::optional<server::SotwResponse> first = state->NextResponse();
    DiscoveryRequest ack = request;
    ack.set_version_info(first->version);
    ack.set_response_nonce(first->nonce);
    (void)state->OnRequest(ack);
    states.push_back(std::move(state));
  }

  Times best{1e18, 1e18, 1e18};
  uint64_t generation = 0;
  DiscoveryRequest parsed;  // reused, as the server's per-thread message is
  for (int round = 0; round < 3; ++round) {
    Times total;
    for (int u = 0; u < updates; ++u) {
      snapshot = MakeSnapshot(clusters, ++generation);
      std::vector<grpc::ByteBuffer> acks(streams);
      for (int s = 0; s < streams; ++s) {
        absl::Time start = absl::Now();
        states[s]->OnSnapshot(snapshot);
        std::optional<server::SotwResponse> response = states[s]->NextResponse();
        if (!response.has_value()) {
          std::fprintf(stderr, "no response to update %d\n", u);
          return 1;
        }
        grpc::ByteBuffer encoded = server::EncodeSotwResponse(*response);
        total.respond += absl::ToDoubleMicroseconds(absl::Now() - start);
        request.set_version_info(response->version);
        request.set_response_nonce(response->nonce);
        acks[s] = Bytes(request);  // the client's work: not timed
      }
      for (int s = 0; s < streams; ++s) {
        const absl::Time start = absl::Now();
        if (!server::ParseMessage(acks[s], &parsed)) return 1;
        const absl::Time parsed_at = absl::Now();
        absl::StatusOr<server::SotwRequestOutcome> outcome = states[s]->OnRequest(parsed);
        const absl::Time done = absl::Now();
        if (!outcome.ok() || outcome->kind != server::SotwRequestOutcome::Kind::kAck) return 1;
        total.parse += absl::ToDoubleMicroseconds(parsed_at - start);
        total.ack += absl::ToDoubleMicroseconds(done - parsed_at);
      }
    }
    const double n = static_cast<double>(streams) * updates;
    best.respond = std::min(best.respond, total.respond / n);
    best.parse = std::min(best.parse, total.parse / n);
    best.ack = std::min(best.ack, total.ack / n);
  }
  std::printf(
      "sotw_ack streams=%d clusters=%d updates=%d respond_us=%.2f parse_us=%.2f ack_us=%.2f\n",
      streams, clusters, updates, best.respond, best.parse, best.ack);
  return 0;
}

}  // namespace
}  // namespace xdsd::bench

int main(int argc, char** argv) {
  int streams = 200, clusters = 1000, updates = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    const int value = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--streams") == 0) streams = value;
    if (std::strcmp(argv[i], "--clusters") == 0) clusters = value;
    if (std::strcmp(argv[i], "--updates") == 0) updates = value;
  }
  return xdsd::bench::Run(streams, clusters, updates);
}
