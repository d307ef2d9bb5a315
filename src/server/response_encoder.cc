#include "server/response_encoder.h"

#include <grpcpp/support/slice.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/snapshot_memo.h"
#include "xdsd/resource_map.h"

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
  return grpc::Slice(
      const_cast<char*>(resource->any_bytes().data()), resource->any_bytes().size(),
      [](void* p) { delete static_cast<ResourcePtr*>(p); }, owner);
}

constexpr std::string_view kResourceWrapperType =
    "type.googleapis.com/envoy.service.discovery.v3.Resource";
constexpr char kResourceAliasesTag = Tag(4);
constexpr char kResourceTtlTag = Tag(6);

// google.protobuf.Duration{seconds = 1, nanos = 2} of a TTL.
std::string EncodeDuration(std::chrono::milliseconds ttl) {
  std::string duration;
  const int64_t seconds = ttl.count() / 1000;
  const int64_t nanos = (ttl.count() % 1000) * 1000000;
  if (seconds != 0) {
    duration.push_back(0x08);
    AppendVarint(duration, static_cast<uint64_t>(seconds));
  }
  if (nanos != 0) {
    duration.push_back(0x10);
    AppendVarint(duration, static_cast<uint64_t>(nanos));
  }
  return duration;
}

// An envoy.service.discovery.v3.Resource{name, version, ttl?, resource?}: everything but the
// body in `prefix`, the body (when `with_body`) to follow as the shared slice. Returns the
// message's size.
size_t ResourceWrapper(const Resource& resource, bool with_ttl, bool with_body,
                       std::string* prefix) {
  const size_t any_size = resource.any_bytes().size();
  std::string fields;
  AppendStringField(fields, kResourceNameTag, resource.name());
  AppendStringField(fields, kResourceVersionTag, resource.version());
  for (const std::string& alias : resource.aliases()) {
    AppendStringField(fields, kResourceAliasesTag, alias);
  }
  if (with_ttl && resource.ttl().count() > 0) {
    AppendStringField(fields, kResourceTtlTag, EncodeDuration(resource.ttl()));
  }
  size_t size = fields.size();
  if (with_body) {
    fields.push_back(kResourceBodyTag);
    AppendVarint(fields, any_size);
    size = fields.size() + any_size;
  }
  prefix->append(fields);
  return size;
}

// Appends one entry of a response's `resources` field holding an envoy Resource wrapper; for
// state of the world (`in_any`) the wrapper itself goes inside an Any.
void AppendWrapped(std::vector<grpc::Slice>& slices, const ResourcePtr& resource, bool with_ttl,
                   bool with_body, bool in_any) {
  std::string wrapper;
  const size_t wrapper_size = ResourceWrapper(*resource, with_ttl, with_body, &wrapper);
  std::string prefix;
  prefix.push_back(kResourcesTag);
  if (in_any) {
    std::string any_head;
    AppendStringField(any_head, Tag(1), kResourceWrapperType);
    any_head.push_back(Tag(2));
    AppendVarint(any_head, wrapper_size);
    AppendVarint(prefix, any_head.size() + wrapper_size);
    prefix.append(any_head);
  } else {
    AppendVarint(prefix, wrapper_size);
  }
  prefix.append(wrapper);
  slices.emplace_back(prefix);
  if (with_body) slices.push_back(SharedSlice(resource));
}

// The fields every response starts with: version, type URL, nonce.
std::string Head(std::string_view version, std::string_view type_url, std::string_view nonce) {
  std::string head;
  AppendStringField(head, kVersionInfoTag, version);
  AppendStringField(head, kTypeUrlTag, type_url);
  AppendStringField(head, kNonceTag, nonce);
  return head;
}

}  // namespace

namespace {

// A slice over a buffer shared by the streams, kept alive while gRPC holds it.
grpc::Slice SharedSlice(std::shared_ptr<const std::string> bytes) {
  auto* owner = new std::shared_ptr<const std::string>(std::move(bytes));
  return grpc::Slice(
      const_cast<char*>((*owner)->data()), (*owner)->size(),
      [](void* p) { delete static_cast<std::shared_ptr<const std::string>*>(p); }, owner);
}

// Names the resources of a response, order aside: a memo key's part.
uint64_t ContentHash(const std::vector<ResourcePtr>& resources) {
  uint64_t content = 0;
  for (const ResourcePtr& resource : resources) {
    content += ResourceMap::EntryHash(resource->name(), resource->version());
  }
  return content;
}

// The `resources` fields of a plain response: each resource's tag, length and Any bytes.
std::string EncodeResources(const std::vector<ResourcePtr>& resources) {
  size_t size = 0;
  for (const ResourcePtr& resource : resources) size += resource->any_bytes().size() + 11;
  std::string body;
  body.reserve(size);
  for (const ResourcePtr& resource : resources) {
    body.push_back(kResourcesTag);
    AppendVarint(body, resource->any_bytes().size());
    body.append(resource->any_bytes());
  }
  return body;
}

}  // namespace

grpc::ByteBuffer EncodeSotwResponse(const SotwResponse& response) {
  std::vector<grpc::Slice> slices;
  slices.reserve(2 * response.resources.size() + 1);
  slices.emplace_back(Head(response.version, response.type_url, response.nonce));

  const bool plain = !response.heartbeat &&
                     !(response.wrap_ttl &&
                       std::any_of(response.resources.begin(), response.resources.end(),
                                   [](const ResourcePtr& r) { return r->ttl().count() > 0; }));
  if (plain && response.snapshot != nullptr) {
    // Every stream sent these resources of this snapshot shares one encoding of them.
    const std::string key = absl::StrCat("sotw|", response.type_url, "|", response.resources.size(),
                                         "|", ContentHash(response.resources));
    slices.push_back(SharedSlice(SnapshotMemo::Memoize(
        *response.snapshot, key, [&response] { return EncodeResources(response.resources); })));
    return grpc::ByteBuffer(slices.data(), slices.size());
  }

  for (const ResourcePtr& resource : response.resources) {
    if (response.wrap_ttl && resource->ttl().count() > 0) {
      // PROTOCOL 28: in the Resource wrapper with its TTL; bodiless in a heartbeat.
      AppendWrapped(slices, resource, /*with_ttl=*/true, /*with_body=*/!response.heartbeat,
                    /*in_any=*/true);
      continue;
    }
    // The field tag and length in a small owned slice, then the shared Any bytes.
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
  if (!response.heartbeat && response.snapshot != nullptr && !response.resources.empty()) {
    // Every stream sent these resources of this snapshot shares one encoding of them.
    const std::string key =
        absl::StrCat("delta|", response.type_url, "|", response.send_ttl ? "ttl" : "", "|",
                     response.resources.size(), "|", ContentHash(response.resources));
    slices.push_back(SharedSlice(SnapshotMemo::Memoize(*response.snapshot, key, [&response] {
      std::vector<grpc::Slice> parts;
      for (const ResourcePtr& resource : response.resources) {
        AppendWrapped(parts, resource, response.send_ttl, /*with_body=*/true, /*in_any=*/false);
      }
      std::string bytes;
      for (const grpc::Slice& part : parts) {
        bytes.append(reinterpret_cast<const char*>(part.begin()), part.size());
      }
      return bytes;
    })));
  } else {
    // Each resource: Resource{name, version, ttl?, resource: <shared Any bytes>}; the body is
    // the last field, so everything before it goes in one small owned slice.
    for (const ResourcePtr& resource : response.resources) {
      AppendWrapped(slices, resource, response.send_ttl, /*with_body=*/!response.heartbeat,
                    /*in_any=*/false);
    }
  }
  // A virtual host that does not exist: Resource{name, aliases: [name]} and nothing else.
  for (const std::string& name : response.not_found) {
    std::string entry;
    AppendStringField(entry, kResourceNameTag, name);
    AppendStringField(entry, kResourceAliasesTag, name);
    std::string field;
    AppendStringField(field, kResourcesTag, entry);
    slices.emplace_back(field);
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
