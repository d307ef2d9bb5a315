#pragma once

#include <string>
#include <vector>

#include "grpc/reflection/v1/reflection.grpc.pb.h"

namespace xdsd::status {

// gRPC server reflection v1 (grpc.reflection.v1.ServerReflection), beside the v1alpha service
// that Debian's libgrpc++_reflection provides: current grpcurl and grpc_cli ask v1 first.
// Answers from the protobuf descriptors linked into the process (the generated pool) and the
// whole Envoy API xdsd embeds (api::EnvoyApi): files by name or by a symbol they define, with
// every file they import; extensions; and the services given at construction for
// list_services. Unknown names get an error_response NOT_FOUND, as
// gRPC's own implementation answers.
//
// Thread-safe: each stream has its own reactor; the service itself is immutable.
class ServerReflectionV1 final : public grpc::reflection::v1::ServerReflection::CallbackService {
 public:
  explicit ServerReflectionV1(std::vector<std::string> services) : services_(std::move(services)) {}

  grpc::ServerBidiReactor<grpc::reflection::v1::ServerReflectionRequest,
                          grpc::reflection::v1::ServerReflectionResponse>*
  ServerReflectionInfo(grpc::CallbackServerContext* context) override;

  // The answer to one request.
  grpc::reflection::v1::ServerReflectionResponse Answer(
      const grpc::reflection::v1::ServerReflectionRequest& request) const;

 private:
  const std::vector<std::string> services_;
};

}  // namespace xdsd::status
