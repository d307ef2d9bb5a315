#include "rest/rest_gateway.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "api/envoy_api.h"
#include "server/sotw_stream_state.h"
#include "xdsd/resource.h"

namespace xdsd::rest {
namespace {

using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;

HttpReply Error(int status, std::string_view message) {
  HttpReply reply;
  reply.status = status;
  reply.content_type = "text/plain; charset=utf-8";
  reply.body = absl::StrCat(std::string(message), "\n");
  return reply;
}

int HttpStatusOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

}  // namespace

RestGateway::RestGateway(const SnapshotCache* cache, Callbacks* callbacks)
    : cache_(cache), callbacks_(callbacks) {}

HttpReply RestGateway::Handle(std::string_view type, std::string_view body) const {
  const ResourceType* resource_type = FindResourceTypeByRestPath(type);
  const std::string_view type_url =
      resource_type != nullptr ? resource_type->type_url : std::string_view();
  if (type_url.empty()) {
    return Error(404, absl::StrCat("unknown xDS type \"", std::string(type), "\""));
  }
  DiscoveryRequest request;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(body.data(), body.size()), &request);
  if (!parsed.ok()) {
    return Error(400, absl::StrCat("malformed DiscoveryRequest: ", parsed.message().as_string()));
  }
  if (!request.has_node()) return Error(400, "the request has no node");
  if (!request.type_url().empty() && request.type_url() != type_url) {
    return Error(400, absl::StrCat("type_url ", request.type_url(), " on the path for ",
                                   std::string(type_url)));
  }
  if (callbacks_ != nullptr) {
    if (absl::Status allowed = callbacks_->OnFetchRequest(request); !allowed.ok()) {
      return Error(HttpStatusOf(allowed), std::string(allowed.message()));
    }
  }
  SnapshotPtr snapshot = cache_->GetSnapshot(cache_->KeyOf(request.node()));
  if (snapshot == nullptr) return Error(503, "no configuration for this node yet");
  if (!request.version_info().empty() && request.version_info() == snapshot->Version(type_url)) {
    return HttpReply{304, "application/json", ""};
  }

  const server::SotwResponse answer = server::FetchResponse(type_url, request, *snapshot);
  DiscoveryResponse response;
  response.set_version_info(answer.version);
  response.set_type_url(answer.type_url);
  ResponseInfo info{answer.type_url, answer.version, "", {}};
  for (const ResourcePtr& resource : answer.resources) {
    response.add_resources()->ParseFromString(resource->any_bytes());
    info.resource_names.push_back(resource->name());
  }
  // Printed through the whole API's descriptors, so that every extension inside an Any prints.
  absl::StatusOr<std::string> json = api::EnvoyApi::Get().BinaryToJson(
      response.GetDescriptor()->full_name(), response.SerializeAsString());
  if (!json.ok()) return Error(500, std::string(json.status().message()));
  if (callbacks_ != nullptr) callbacks_->OnFetchResponse(request, info);
  return HttpReply{200, "application/json", *std::move(json)};
}

}  // namespace xdsd::rest
