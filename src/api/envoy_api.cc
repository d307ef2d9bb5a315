#include "api/envoy_api.h"

#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "api_descriptors.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver_util.h"

namespace xdsd::api {
namespace {

constexpr absl::string_view kTypeUrlPrefix = "type.googleapis.com";

// Collects the errors DescriptorPool::BuildFileCollectingErrors() reports, so that a
// broken descriptor set gives one readable Status instead of log lines.
class CollectingErrorCollector : public google::protobuf::DescriptorPool::ErrorCollector {
 public:
  void AddError(const std::string& filename, const std::string& element_name,
                const google::protobuf::Message* /*descriptor*/, ErrorLocation /*location*/,
                const std::string& message) override {
    if (!errors_.empty()) errors_ += "; ";
    absl::StrAppend(&errors_, filename, ": ", element_name, ": ", message);
  }
  const std::string& errors() const { return errors_; }

 private:
  std::string errors_;
};

// Debian's Abseil is built with its own absl::string_view, distinct from std::string_view.
absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// protobuf 3.21 has its own Status type; the codes are the same.
absl::Status FromProtobuf(const google::protobuf::util::Status& status, absl::string_view context) {
  return absl::Status(static_cast<absl::StatusCode>(static_cast<int>(status.code())),
                      absl::StrCat(context, status.message().ToString()));
}

}  // namespace

EnvoyApi::EnvoyApi() : factory_(&pool_) {
  // Dynamic messages of types that are also compiled in must still come from this pool.
  factory_.SetDelegateToGeneratedFactory(false);
}

EnvoyApi::~EnvoyApi() = default;

absl::StatusOr<std::unique_ptr<EnvoyApi>> EnvoyApi::FromDescriptorSet(
    std::string_view serialized_set) {
  google::protobuf::FileDescriptorSet set;
  if (!set.ParseFromArray(serialized_set.data(), static_cast<int>(serialized_set.size()))) {
    return absl::InvalidArgumentError("the Envoy API descriptor set does not parse");
  }
  std::unique_ptr<EnvoyApi> api(new EnvoyApi());
  for (const google::protobuf::FileDescriptorProto& file : set.file()) {
    CollectingErrorCollector errors;
    if (api->pool_.BuildFileCollectingErrors(file, &errors) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("the Envoy API file ", file.name(), " does not build: ", errors.errors()));
    }
  }
  api->resolver_.reset(google::protobuf::util::NewTypeResolverForDescriptorPool(
      std::string(kTypeUrlPrefix), &api->pool_));
  return api;
}

const EnvoyApi& EnvoyApi::Get() {
  static const EnvoyApi* const kInstance = [] {
    absl::StatusOr<std::unique_ptr<EnvoyApi>> api =
        FromDescriptorSet(xdsd::proto::EmbeddedApiDescriptorSet());
    if (!api.ok()) {
      std::cerr << "xdsd: " << api.status().message() << std::endl;
      std::abort();
    }
    return api->release();
  }();
  return *kInstance;
}

absl::StatusOr<std::string> EnvoyApi::JsonToBinary(std::string_view full_type_name,
                                                   std::string_view json) const {
  if (FindType(full_type_name) == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no type ", AbslView(full_type_name), " in the Envoy API"));
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  std::string binary;
  google::protobuf::util::Status status = google::protobuf::util::JsonToBinaryString(
      resolver_.get(), absl::StrCat(kTypeUrlPrefix, "/", AbslView(full_type_name)),
      std::string(json), &binary, options);
  if (!status.ok()) return FromProtobuf(status, "");
  return binary;
}

absl::StatusOr<std::string> EnvoyApi::BinaryToJson(std::string_view full_type_name,
                                                   std::string_view bytes) const {
  if (FindType(full_type_name) == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no type ", AbslView(full_type_name), " in the Envoy API"));
  }
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  google::protobuf::util::Status status = google::protobuf::util::BinaryToJsonString(
      resolver_.get(), absl::StrCat(kTypeUrlPrefix, "/", AbslView(full_type_name)),
      std::string(bytes), &json, options);
  if (!status.ok()) return FromProtobuf(status, absl::StrCat(AbslView(full_type_name), ": "));
  return json;
}

const google::protobuf::Descriptor* EnvoyApi::FindType(std::string_view full_type_name) const {
  return pool_.FindMessageTypeByName(std::string(full_type_name));
}

std::unique_ptr<google::protobuf::Message> EnvoyApi::NewMessage(
    std::string_view full_type_name) const {
  const google::protobuf::Descriptor* descriptor = FindType(full_type_name);
  if (descriptor == nullptr) return nullptr;
  const google::protobuf::Message* prototype = factory_.GetPrototype(descriptor);
  if (prototype == nullptr) return nullptr;
  return std::unique_ptr<google::protobuf::Message>(prototype->New());
}

}  // namespace xdsd::api
