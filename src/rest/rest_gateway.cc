#include "rest/rest_gateway.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "api/envoy_api.h"
#include "api/redaction.h"
#include "xdsd/fetch.h"
#include "xdsd/refusals.h"
#include "xdsd/resource.h"
#include "xdsd/status_codes.h"

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

}  // namespace

RestGateway::RestGateway(const Cache* cache, Callbacks* callbacks)
    : cache_(cache), callbacks_(callbacks) {}

HttpReply RestGateway::Handle(std::string_view type, std::string_view body) const {
  const ResourceType* resource_type = FindResourceTypeByRestPath(type);
  const std::string_view type_url =
      resource_type != nullptr ? resource_type->type_url : std::string_view();
  if (type_url.empty()) {
    return Error(404, absl::StrCat("unknown xDS type \"", std::string(type), "\""));
  }
  if (api::IsSecretType(type_url)) {
    CountRefusal("rest_secrets", "secrets are served over authenticated xDS streams only");
    return Error(403,
                 "secrets are not served over the REST gateway: they go only over authenticated "
                 "xDS gRPC streams (SDS or ADS)");
  }
  DiscoveryRequest request;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(body.data(), body.size()), &request);
  if (!parsed.ok()) {
    return Error(400, absl::StrCat("malformed DiscoveryRequest: ", parsed.message().as_string()));
  }
  absl::StatusOr<FetchResult> answer = Fetch(*cache_, callbacks_, type_url, request);
  if (IsNotModified(answer.status())) return HttpReply{304, "application/json", ""};
  if (!answer.ok()) {
    return Error(HttpStatusCode(answer.status()), std::string(answer.status().message()));
  }
  DiscoveryResponse response;
  response.set_version_info(answer->version);
  response.set_type_url(answer->type_url);
  for (const ResourcePtr& resource : answer->resources) {
    google::protobuf::Any* any = response.add_resources();
    any->ParseFromString(resource->any_bytes());
    api::RedactSecrets(any);  // an inline key of a cluster or listener is a secret too
  }
  // Printed through the whole API's descriptors, so that every extension inside an Any prints.
  absl::StatusOr<std::string> json = api::EnvoyApi::Get().BinaryToJson(
      response.GetDescriptor()->full_name(), response.SerializeAsString());
  if (!json.ok()) return Error(500, std::string(json.status().message()));
  return HttpReply{200, "application/json", *std::move(json)};
}

}  // namespace xdsd::rest
