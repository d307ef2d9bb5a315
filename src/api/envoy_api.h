#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/type_resolver.h"

namespace xdsd::api {

// The full name of the message type a type URL names:
// "type.googleapis.com/envoy.config.cluster.v3.Cluster" -> "envoy.config.cluster.v3.Cluster".
// Only the part after the last '/' counts (the prefix is free); a name without '/' is itself.
constexpr std::string_view FullTypeName(std::string_view type_url) {
  const size_t slash = type_url.rfind('/');
  return slash == std::string_view::npos ? type_url : type_url.substr(slash + 1);
}

// The whole Envoy v3 API, known at run time: a DescriptorPool built from the
// FileDescriptorSet embedded in the binary (xdsd::proto::EmbeddedApiDescriptorSet()), not
// from the generated pool, so that every extension type (the ones xdsd has no generated
// code for) can be parsed inside an Any. Converts between Envoy's JSON and the binary wire
// format, and makes dynamic messages of any type in the API.
//
// Thread-safe after construction: the pool, the message factory and the type resolver are
// only read (DescriptorPool and DynamicMessageFactory are documented thread-safe for
// lookups and GetPrototype()).
class EnvoyApi {
 public:
  // The process-wide instance, built on first use from the embedded descriptor set.
  // Never destroyed. Aborts if the embedded set does not build (a build defect).
  static const EnvoyApi& Get();

  // Builds a pool from a serialized FileDescriptorSet whose files are in dependency order
  // (what `protoc --include_imports` writes). InvalidArgument when it does not parse or a
  // file does not build.
  static absl::StatusOr<std::unique_ptr<EnvoyApi>> FromDescriptorSet(
      std::string_view serialized_set);

  EnvoyApi(const EnvoyApi&) = delete;
  EnvoyApi& operator=(const EnvoyApi&) = delete;
  ~EnvoyApi();

  // Parses Envoy's JSON for a message of `full_type_name` (e.g.
  // "envoy.config.listener.v3.Listener") into its serialized binary form. Any fields are
  // resolved through this pool ("@type": "type.googleapis.com/..."). Unknown fields are
  // errors: InvalidArgument whose message names the field (protobuf's text). NotFound when
  // the type is not in the API.
  absl::StatusOr<std::string> JsonToBinary(std::string_view full_type_name,
                                           std::string_view json) const;

  // The inverse: Envoy's JSON (proto field names, not lowerCamelCase) of a serialized
  // message of `full_type_name`.
  absl::StatusOr<std::string> BinaryToJson(std::string_view full_type_name,
                                           std::string_view bytes) const;

  // The descriptor of a message type of the API by full name, or null.
  const google::protobuf::Descriptor* FindType(std::string_view full_type_name) const;

  // A new, empty dynamic message of `full_type_name`, or null when the type is unknown. The
  // message refers to this EnvoyApi, which must outlive it.
  std::unique_ptr<google::protobuf::Message> NewMessage(std::string_view full_type_name) const;

  const google::protobuf::DescriptorPool& pool() const { return pool_; }

 private:
  EnvoyApi();

  google::protobuf::DescriptorPool pool_;
  // mutable: GetPrototype() is logically const and thread-safe, but not declared const.
  mutable google::protobuf::DynamicMessageFactory factory_;
  std::unique_ptr<google::protobuf::util::TypeResolver> resolver_;
};

}  // namespace xdsd::api
