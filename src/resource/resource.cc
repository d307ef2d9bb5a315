#include "xdsd/resource.h"

#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/message.h"
#include "resource/canonical.h"
#include "resource/resources_created.h"

namespace xdsd {
namespace {

constexpr std::string_view kTypeUrlPrefix = "type.googleapis.com/";

// Appends a protobuf varint.
void AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

}  // namespace

absl::StatusOr<std::string> ResourceName(const google::protobuf::Message& message) {
  const google::protobuf::Descriptor* descriptor = message.GetDescriptor();
  // Snapshots name thousands of messages of a few types: remember the last type's field.
  thread_local const google::protobuf::Descriptor* last_descriptor = nullptr;
  thread_local const google::protobuf::FieldDescriptor* last_field = nullptr;
  const google::protobuf::FieldDescriptor* field = last_field;
  if (descriptor != last_descriptor) {
    field = descriptor->FindFieldByName(
        descriptor->full_name() == "envoy.config.endpoint.v3.ClusterLoadAssignment" ? "cluster_name"
                                                                                    : "name");
    last_descriptor = descriptor;
    last_field = field;
  }
  if (field == nullptr || field->type() != google::protobuf::FieldDescriptor::TYPE_STRING ||
      field->is_repeated()) {
    return absl::InvalidArgumentError(absl::StrCat(descriptor->full_name(), " has no name field"));
  }
  return message.GetReflection()->GetString(message, field);
}

std::string ContentHash(std::string_view bytes) {
  uint64_t hash = XXH3_64bits(bytes.data(), bytes.size());
  std::string hex(16, '0');
  for (int i = 15; i >= 0; --i, hash >>= 4) hex[i] = "0123456789abcdef"[hash & 0xf];
  return hex;
}

namespace {
std::atomic<uint64_t> g_instances_created{0};
}  // namespace

namespace resource {
uint64_t ResourcesCreated() { return g_instances_created.load(); }
}  // namespace resource

Resource::Resource(std::string_view type_url, std::string name, std::chrono::milliseconds ttl,
                   std::vector<std::string> aliases)
    : type_url_(type_url), name_(std::move(name)), ttl_(ttl), aliases_(std::move(aliases)) {
  g_instances_created.fetch_add(1, std::memory_order_relaxed);
}

char* Resource::ReserveValue(size_t size) {
  // google.protobuf.Any: type_url = 1, value = 2, both length-delimited.
  any_.reserve(size + type_url_.size() + 16);
  any_.push_back(0x0a);
  AppendVarint(any_, type_url_.size());
  any_.append(type_url_);
  any_.push_back(0x12);
  AppendVarint(any_, size);
  value_offset_ = any_.size();
  any_.resize(value_offset_ + size);
  return any_.data() + value_offset_;
}

void Resource::Seal() {
  version_ = ContentHash(bytes());
  // What a client is sent besides the body is part of the version too.
  if (ttl_.count() > 0 || !aliases_.empty()) {
    version_ = ContentHash(
        absl::StrCat(version_, "/ttl=", ttl_.count(), "/aliases=", absl::StrJoin(aliases_, ",")));
  }
}

absl::StatusOr<std::shared_ptr<const Resource>> Resource::FromMessage(
    const google::protobuf::Message& message, std::chrono::milliseconds ttl,
    std::vector<std::string> aliases) {
  absl::StatusOr<std::string> name = ResourceName(message);
  if (!name.ok()) return name.status();
  // Nested Anys carry the bytes they were built with; the canonical copy re-encodes them, so
  // that equal content gives equal bytes (and versions) whatever the source.
  std::unique_ptr<google::protobuf::Message> canonical = resource::CanonicalCopy(message);
  const google::protobuf::Message& source = canonical != nullptr ? *canonical : message;
  std::shared_ptr<Resource> resource(
      new Resource(absl::StrCat(std::string(kTypeUrlPrefix), message.GetDescriptor()->full_name()),
                   *std::move(name), ttl, std::move(aliases)));
  // Serialized once, straight into the Any that every response will carry.
  const size_t size = source.ByteSizeLong();
  char* value = resource->ReserveValue(size);
  google::protobuf::io::ArrayOutputStream array(value, static_cast<int>(size));
  google::protobuf::io::CodedOutputStream coded(&array);
  coded.SetSerializationDeterministic(true);
  source.SerializeWithCachedSizes(&coded);
  if (coded.HadError() || static_cast<size_t>(coded.ByteCount()) != size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot serialize ", message.GetDescriptor()->full_name(), " ", resource->name()));
  }
  resource->Seal();
  return std::shared_ptr<const Resource>(std::move(resource));
}

std::shared_ptr<const Resource> Resource::FromBytes(std::string_view type_url, std::string name,
                                                    std::string_view bytes,
                                                    std::chrono::milliseconds ttl,
                                                    std::vector<std::string> aliases) {
  std::shared_ptr<Resource> resource(
      new Resource(type_url, std::move(name), ttl, std::move(aliases)));
  if (!bytes.empty())
    std::memcpy(resource->ReserveValue(bytes.size()), bytes.data(), bytes.size());
  else
    resource->ReserveValue(0);
  resource->Seal();
  return resource;
}

}  // namespace xdsd
