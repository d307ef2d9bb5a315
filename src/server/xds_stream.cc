#include "server/xds_stream.h"

#include <grpcpp/support/proto_buffer_reader.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "xdsd/refusals.h"

namespace xdsd::server {

namespace {

// A deadline is noticed at most a quarter of it late; never busier than 20 ticks a second.
absl::Duration DeadlineTickInterval(const StreamLimits& limits) {
  const absl::Duration shortest = std::min(limits.first_request_timeout, limits.send_timeout);
  return std::clamp(shortest / 4, absl::Milliseconds(50), absl::Seconds(1));
}

}  // namespace

StreamContext::StreamContext(Cache* cache, Callbacks* callbacks, StreamLimits limits)
    : cache_(cache),
      callbacks_({callbacks, cache->StreamObserver()}),
      limits_(limits),
      deadline_ticker_(DeadlineTickInterval(limits)) {}

bool ParseMessage(const grpc::ByteBuffer& buffer, google::protobuf::Message* request) {
  // Read in place from gRPC's slices: a request naming a thousand resources spans several, and
  // gathering them into one string first costs a large allocation per request.
  grpc::ByteBuffer shared(buffer);  // a reference to the same slices, not a copy of them
  grpc::ProtoBufferReader reader(&shared);
  return request->ParseFromZeroCopyStream(&reader);
}

absl::Status CheckMessageSize(const grpc::ByteBuffer& buffer, const StreamLimits& limits) {
  const size_t size = buffer.Length();
  if (size <= limits.max_message_bytes) return absl::OkStatus();
  CountRefusal("grpc_message_too_large", absl::StrCat(size, " bytes"));
  return absl::ResourceExhaustedError(absl::StrCat("a request of ", size, " bytes; at most ",
                                                   limits.max_message_bytes,
                                                   " are allowed (--max-grpc-message-bytes)"));
}

bool SupportsTtl(const envoy::config::core::v3::Node& node, bool state_of_the_world) {
  const auto& features = node.client_features();
  auto has = [&](std::string_view feature) {
    return std::find(features.begin(), features.end(), feature) != features.end();
  };
  return has("xds.config.supports-resource-ttl") &&
         (!state_of_the_world || has("xds.config.resource-in-sotw"));
}

namespace {

template <typename Response>
ResponseInfo InfoOfResponse(const Response& response, const std::string& version) {
  ResponseInfo info;
  info.type_url = response.type_url;
  info.version = version;
  info.nonce = response.nonce;
  info.resource_names.reserve(response.resources.size());
  for (const ResourcePtr& resource : response.resources) {
    info.resource_names.push_back(resource->name());
  }
  return info;
}

}  // namespace

ResponseInfo InfoOf(const SotwResponse& response) {
  return InfoOfResponse(response, response.version);
}

ResponseInfo InfoOf(const DeltaResponse& response) {
  ResponseInfo info = InfoOfResponse(response, response.system_version);
  info.removed_names = response.removed;
  return info;
}

}  // namespace xdsd::server
