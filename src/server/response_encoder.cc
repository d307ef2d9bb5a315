#include "server/response_encoder.h"

#include <vector>

#include <grpcpp/support/slice.h>

namespace xdsd::server {
namespace {

// Field tags: field number << 3 | wire type 2 (length-delimited).
constexpr char Tag(int field) { return static_cast<char>((field << 3) | 2); }
// DiscoveryResponse; DeltaDiscoveryResponse has the same numbers but for removed_resources.
constexpr char kVersionInfoTag = Tag(1);  // system_version_info in delta
constexpr char kResourcesTag = Tag(2);
constexpr char kTypeUrlTag = Tag(4);
constexpr char kNonceTag = Tag(5);
constexpr char kRemovedResourcesTag = Tag(6);
// envoy.service.discovery.v3.Resource
constexpr char kResourceVersionTag = Tag(1);
constexpr char kResourceBodyTag = Tag(2);
constexpr char kResourceNameTag = Tag(3);

size_t VarintSize(uint64_t value) {
  size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

size_t StringFieldSize(size_t length) { return 1 + VarintSize(length) + length; }

void AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void AppendStringField(std::string& out, char tag, std::string_view value) {
  out.push_back(tag);
  AppendVarint(out, value.size());
  out.append(value);
}

// A slice over a resource's Any bytes that keeps the resource alive while gRPC holds it.
grpc::Slice SharedSlice(const ResourcePtr& resource) {
  auto* owner = new ResourcePtr(resource);
  return grpc::Slice(const_cast<char*>(resource->any_bytes().data()), resource->any_bytes().size(),
                     [](void* p) { delete static_cast<ResourcePtr*>(p); }, owner);
}

}  // namespace

// The fields every response starts with: version, type URL, nonce.
std::string Head(std::string_view version, std::string_view type_url, std::string_view nonce) {
  std::string head;
  AppendStringField(head, kVersionInfoTag, version);
  AppendStringField(head, kTypeUrlTag, type_url);
  AppendStringField(head, kNonceTag, nonce);
  return head;
}

grpc::ByteBuffer EncodeSotwResponse(const SotwResponse& response) {
  std::vector<grpc::Slice> slices;
  slices.reserve(2 * response.resources.size() + 1);
  slices.emplace_back(Head(response.version, response.type_url, response.nonce));

  // Each resource: its field tag and length in a small owned slice, then the shared Any bytes.
  for (const ResourcePtr& resource : response.resources) {
    std::string prefix;
    prefix.push_back(kResourcesTag);
    AppendVarint(prefix, resource->any_bytes().size());
    slices.emplace_back(prefix);
    slices.push_back(SharedSlice(resource));
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

grpc::ByteBuffer EncodeDeltaResponse(const DeltaResponse& response) {
  std::vector<grpc::Slice> slices;
  slices.reserve(2 * response.resources.size() + 2);
  slices.emplace_back(Head(response.system_version, response.type_url, response.nonce));

  // Each resource: Resource{name, version, resource: <shared Any bytes>}. The Any is the last
  // field, so everything before it goes in one small owned slice.
  for (const ResourcePtr& resource : response.resources) {
    const size_t any_size = resource->any_bytes().size();
    const size_t body_size = StringFieldSize(resource->name().size()) +
                             StringFieldSize(resource->version().size()) +
                             StringFieldSize(any_size);
    std::string prefix;
    prefix.push_back(kResourcesTag);
    AppendVarint(prefix, body_size);
    AppendStringField(prefix, kResourceNameTag, resource->name());
    AppendStringField(prefix, kResourceVersionTag, resource->version());
    prefix.push_back(kResourceBodyTag);
    AppendVarint(prefix, any_size);
    slices.emplace_back(prefix);
    slices.push_back(SharedSlice(resource));
  }
  if (!response.removed.empty()) {
    std::string removed;
    for (const std::string& name : response.removed) {
      AppendStringField(removed, kRemovedResourcesTag, name);
    }
    slices.emplace_back(removed);
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

}  // namespace xdsd::server
