#pragma once

#include <grpcpp/support/byte_buffer.h>

#include "server/delta_stream_state.h"
#include "server/sotw_stream_state.h"

namespace xdsd::server {

// Encodes `response` as a serialized envoy.service.discovery.v3.DiscoveryResponse. Each
// resource's bytes are not copied: the buffer's slices point into the shared Resource objects
// and hold a reference to them until gRPC is done with the buffer.
grpc::ByteBuffer EncodeSotwResponse(const SotwResponse& response);

// Encodes `response` as a serialized envoy.service.discovery.v3.DeltaDiscoveryResponse, each
// resource wrapped in an envoy.service.discovery.v3.Resource with its name and version; the
// resources' bytes are shared as above.
grpc::ByteBuffer EncodeDeltaResponse(const DeltaResponse& response);

}  // namespace xdsd::server
