#include "status/server_reflection_v1.h"

#include <array>
#include <set>
#include <string>
#include <vector>

#include "api/envoy_api.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"

namespace xdsd::status {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptor;
using google::protobuf::FileDescriptorProto;
using grpc::reflection::v1::ServerReflectionRequest;
using grpc::reflection::v1::ServerReflectionResponse;

// `file` and everything it imports, each once, the file first.
void AddFileAndImports(const FileDescriptor* file, std::set<std::string>* seen,
                       grpc::reflection::v1::FileDescriptorResponse* out) {
  if (file == nullptr || !seen->insert(file->name()).second) return;
  FileDescriptorProto proto;
  file->CopyTo(&proto);
  proto.SerializeToString(out->add_file_descriptor_proto());
  for (int i = 0; i < file->dependency_count(); ++i) {
    AddFileAndImports(file->dependency(i), seen, out);
  }
}

void NotFound(const std::string& what, ServerReflectionResponse* response) {
  response->mutable_error_response()->set_error_code(grpc::StatusCode::NOT_FOUND);
  response->mutable_error_response()->set_error_message(what);
}

// One stream: reads a request, writes its answer, until the client is done.
class Reactor final
    : public grpc::ServerBidiReactor<ServerReflectionRequest, ServerReflectionResponse> {
 public:
  explicit Reactor(const ServerReflectionV1* service) : service_(service) { StartRead(&request_); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);
      return;
    }
    response_ = service_->Answer(request_);
    StartWrite(&response_);
  }
  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::UNKNOWN, "write failed"));
      return;
    }
    StartRead(&request_);
  }
  void OnDone() override { delete this; }

 private:
  const ServerReflectionV1* const service_;
  ServerReflectionRequest request_;
  ServerReflectionResponse response_;  // kept until OnWriteDone
};

}  // namespace

grpc::ServerBidiReactor<ServerReflectionRequest, ServerReflectionResponse>*
ServerReflectionV1::ServerReflectionInfo(grpc::CallbackServerContext* /*context*/) {
  return new Reactor(this);
}

ServerReflectionResponse ServerReflectionV1::Answer(const ServerReflectionRequest& request) const {
  // The generated code linked in (gRPC's own services, CSDS, reflection), then the whole Envoy
  // API that xdsd embeds: the xDS services' files are there even when their generated
  // descriptors were left out by the linker.
  const std::array<const DescriptorPool*, 2> pools = {DescriptorPool::generated_pool(),
                                                      &api::EnvoyApi::Get().pool()};
  auto find = [&pools](auto lookup) -> decltype(lookup(pools[0])) {
    for (const DescriptorPool* pool : pools) {
      if (auto found = lookup(pool)) return found;
    }
    return nullptr;
  };
  ServerReflectionResponse response;
  response.set_valid_host(request.host());
  *response.mutable_original_request() = request;
  std::set<std::string> seen;
  switch (request.message_request_case()) {
    case ServerReflectionRequest::kFileByFilename: {
      const FileDescriptor* file = find([&](const DescriptorPool* pool) {
        return pool->FindFileByName(request.file_by_filename());
      });
      if (file == nullptr) {
        NotFound("no file " + request.file_by_filename(), &response);
      } else {
        AddFileAndImports(file, &seen, response.mutable_file_descriptor_response());
      }
      break;
    }
    case ServerReflectionRequest::kFileContainingSymbol: {
      const FileDescriptor* file = find([&](const DescriptorPool* pool) {
        return pool->FindFileContainingSymbol(request.file_containing_symbol());
      });
      if (file == nullptr) {
        NotFound("no symbol " + request.file_containing_symbol(), &response);
      } else {
        AddFileAndImports(file, &seen, response.mutable_file_descriptor_response());
      }
      break;
    }
    case ServerReflectionRequest::kFileContainingExtension: {
      const auto& wanted = request.file_containing_extension();
      const auto* extension = find([&](const DescriptorPool* pool) {
        const auto* type = pool->FindMessageTypeByName(wanted.containing_type());
        return type == nullptr ? nullptr
                               : pool->FindExtensionByNumber(type, wanted.extension_number());
      });
      if (extension == nullptr) {
        NotFound("no such extension", &response);
      } else {
        AddFileAndImports(extension->file(), &seen, response.mutable_file_descriptor_response());
      }
      break;
    }
    case ServerReflectionRequest::kAllExtensionNumbersOfType: {
      const auto* type = find([&](const DescriptorPool* pool) {
        return pool->FindMessageTypeByName(request.all_extension_numbers_of_type());
      });
      if (type == nullptr) {
        NotFound("no type " + request.all_extension_numbers_of_type(), &response);
        break;
      }
      std::vector<const google::protobuf::FieldDescriptor*> extensions;
      type->file()->pool()->FindAllExtensions(type, &extensions);
      auto* numbers = response.mutable_all_extension_numbers_response();
      numbers->set_base_type_name(type->full_name());
      for (const auto* extension : extensions) numbers->add_extension_number(extension->number());
      break;
    }
    case ServerReflectionRequest::kListServices:
      for (const std::string& name : services_) {
        response.mutable_list_services_response()->add_service()->set_name(name);
      }
      break;
    case ServerReflectionRequest::MESSAGE_REQUEST_NOT_SET:
      response.mutable_error_response()->set_error_code(grpc::StatusCode::INVALID_ARGUMENT);
      response.mutable_error_response()->set_error_message("empty request");
      break;
  }
  return response;
}

}  // namespace xdsd::status
