#include "xdsd/server.h"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_callback.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <memory>

#include "absl/strings/str_cat.h"
#include "envoy/service/cluster/v3/cds.grpc.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "envoy/service/endpoint/v3/eds.grpc.pb.h"
#include "envoy/service/extension/v3/config_discovery.grpc.pb.h"
#include "envoy/service/listener/v3/lds.grpc.pb.h"
#include "envoy/service/route/v3/rds.grpc.pb.h"
#include "envoy/service/route/v3/srds.grpc.pb.h"
#include "envoy/service/runtime/v3/rtds.grpc.pb.h"
#include "envoy/service/secret/v3/sds.grpc.pb.h"
#include "absl/synchronization/mutex.h"
#include "server/response_encoder.h"
#include "server/delta_stream_state.h"
#include "server/sotw_stream_state.h"

namespace xdsd {
namespace {

using envoy::config::core::v3::Node;
using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DeltaDiscoveryRequest;
using server::DeltaRequestOutcome;
using server::DeltaResponse;
using server::DeltaStreamState;
using server::SotwRequestOutcome;
using server::SotwResponse;
using server::SotwStreamState;

grpc::Status ToGrpcStatus(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

bool ParseMessage(const grpc::ByteBuffer& buffer, google::protobuf::Message* request) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return false;
  if (slices.size() == 1) {
    return request->ParseFromArray(slices[0].begin(), static_cast<int>(slices[0].size()));
  }
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return request->ParseFromString(bytes);
}

// PROTOCOL 28: resource TTLs go to clients that say they take them; in state of the world they
// must also take the Resource wrapper.
bool SupportsTtl(const Node& node, bool state_of_the_world) {
  const auto& features = node.client_features();
  auto has = [&](std::string_view feature) {
    return std::find(features.begin(), features.end(), feature) != features.end();
  };
  return has("xds.config.supports-resource-ttl") &&
         (!state_of_the_world || has("xds.config.resource-in-sotw"));
}

ResponseInfo InfoOf(const SotwResponse& response) {
  ResponseInfo info;
  info.type_url = response.type_url;
  info.version = response.version;
  info.nonce = response.nonce;
  info.resource_names.reserve(response.resources.size());
  for (const ResourcePtr& resource : response.resources) info.resource_names.push_back(resource->name());
  return info;
}

ResponseInfo InfoOf(const DeltaResponse& response) {
  ResponseInfo info;
  info.type_url = response.type_url;
  info.version = response.system_version;
  info.nonce = response.nonce;
  info.resource_names.reserve(response.resources.size());
  for (const ResourcePtr& resource : response.resources) info.resource_names.push_back(resource->name());
  info.removed_names = response.removed;
  return info;
}

}  // namespace

// Something that wants the time now and then: the streams whose clients hold resources with a
// TTL, for their heartbeats.
class Ticking {
 public:
  virtual ~Ticking() = default;
  virtual void OnTick() = 0;
};

class XdsServer::Impl : public grpc::CallbackGenericService {
 public:
  // How often streams with TTL resources are given the time: heartbeats go out within this of
  // being due (half a TTL).
  static constexpr absl::Duration kTickInterval = absl::Milliseconds(200);

  Impl(SnapshotCache* cache, Callbacks* callbacks)
      : cache_(cache), callbacks_(callbacks), ticker_([this] { TickLoop(); }) {}
  ~Impl() override {
    {
      absl::MutexLock lock(&tick_mu_);
      stopping_ = true;
    }
    ticker_.join();
  }

  // Registers a stream for ticks until it expires (weakly held: a stream that is gone drops out).
  void AddTicking(std::weak_ptr<Ticking> ticking) {
    absl::MutexLock lock(&tick_mu_);
    ticking_.push_back(std::move(ticking));
  }

  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* context) override;

  SnapshotCache* cache() const { return cache_; }
  Callbacks* callbacks() { return callbacks_ != nullptr ? callbacks_ : &no_callbacks_; }

  // The typed raw services (built on first use; they refer back to this Impl).
  std::vector<grpc::Service*> typed_services();
  int64_t NewStreamId() { return next_stream_id_.fetch_add(1) + 1; }

  std::atomic<int64_t> open_streams{0};

 private:
  void TickLoop() {
    while (true) {
      std::vector<std::shared_ptr<Ticking>> now;
      {
        absl::MutexLock lock(&tick_mu_);
        tick_mu_.AwaitWithTimeout(absl::Condition(&stopping_), kTickInterval);
        if (stopping_) return;
        std::erase_if(ticking_, [&](const std::weak_ptr<Ticking>& weak) {
          std::shared_ptr<Ticking> ticking = weak.lock();
          if (ticking == nullptr) return true;
          now.push_back(std::move(ticking));
          return false;
        });
      }
      for (const auto& ticking : now) ticking->OnTick();  // outside tick_mu_
    }
  }

  SnapshotCache* const cache_;
  Callbacks* const callbacks_;
  Callbacks no_callbacks_;
  std::atomic<int64_t> next_stream_id_{0};
  std::vector<std::unique_ptr<grpc::Service>> typed_services_;  // set once by typed_services()

  absl::Mutex tick_mu_;
  bool stopping_ ABSL_GUARDED_BY(tick_mu_) = false;
  std::vector<std::weak_ptr<Ticking>> ticking_ ABSL_GUARDED_BY(tick_mu_);
  std::thread ticker_;  // last: started once the rest is constructed
};

namespace {

// Answers a method that xdsd does not serve.
class UnimplementedReactor : public grpc::ServerGenericBidiReactor {
 public:
  explicit UnimplementedReactor(const std::string& method) {
    Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                        absl::StrCat("xdsd does not serve ", method)));
  }
  void OnDone() override { delete this; }
};

// Receives the snapshots of a stream's node key, and the server's ticks, and passes them to the
// stream while it lives. Shared-owned by the cache's watch list (the ticker holds it weakly), so
// a late delivery never reaches a deleted stream.
template <typename Stream>
class StreamWatcher : public SnapshotWatcher, public Ticking {
 public:
  explicit StreamWatcher(Stream* stream) : stream_(stream) {}
  void OnSnapshot(SnapshotPtr snapshot, uint64_t generation) override {
    absl::MutexLock lock(&mu_);
    if (stream_ != nullptr) stream_->OnSnapshot(std::move(snapshot), generation);
  }
  void OnTick() override {
    absl::MutexLock lock(&mu_);
    if (stream_ != nullptr) stream_->OnTick();
  }
  void Detach() {
    absl::MutexLock lock(&mu_);
    stream_ = nullptr;
  }

 private:
  absl::Mutex mu_;
  Stream* stream_ ABSL_GUARDED_BY(mu_);
};

// The two stream variants, as the stream reactor below sees them.
struct SotwVariant {
  static constexpr bool kStateOfTheWorld = true;
  static std::string Name(bool ads) { return ads ? "sotw-ads" : "sotw"; }
  using Request = DiscoveryRequest;
  using State = SotwStreamState;
  using Response = SotwResponse;
  using Outcome = SotwRequestOutcome;
  static grpc::ByteBuffer Encode(const Response& r) { return server::EncodeSotwResponse(r); }
  static const std::string& VersionOf(const Response& r) { return r.version; }
  static ResponseInfo InfoOf(const Response& r) { return xdsd::InfoOf(r); }
  static absl::Status OnRequest(Callbacks& callbacks, int64_t id, const Node& node,
                                const Request& request) {
    return callbacks.OnStreamRequest(id, node, request);
  }
};

struct DeltaVariant {
  static constexpr bool kStateOfTheWorld = false;
  static std::string Name(bool ads) { return ads ? "delta-ads" : "delta"; }
  using Request = DeltaDiscoveryRequest;
  using State = DeltaStreamState;
  using Response = DeltaResponse;
  using Outcome = DeltaRequestOutcome;
  static grpc::ByteBuffer Encode(const Response& r) { return server::EncodeDeltaResponse(r); }
  static const std::string& VersionOf(const Response& r) { return r.system_version; }
  static ResponseInfo InfoOf(const Response& r) { return xdsd::InfoOf(r); }
  static absl::Status OnRequest(Callbacks& callbacks, int64_t id, const Node& node,
                                const Request& request) {
    return callbacks.OnStreamDeltaRequest(id, node, request);
  }
};

// One xDS stream, state of the world or delta, ADS or per-type: reads requests, feeds the
// state machine, writes what it returns, one message at a time.
//
// Thread-safe: gRPC reactions and snapshot deliveries come on any thread; mu_ guards the state,
// and no gRPC operation is started while mu_ is held.
template <typename Variant>
class XdsStream : public grpc::ServerGenericBidiReactor {
 public:
  using Request = typename Variant::Request;
  using Response = typename Variant::Response;
  using Outcome = typename Variant::Outcome;

  XdsStream(XdsServer::Impl* server, std::string method, std::string peer,
            std::string_view type_url)
      : server_(server),
        id_(server->NewStreamId()),
        method_(std::move(method)),
        peer_(std::move(peer)),
        ads_(type_url.empty()),
        state_(type_url) {
    ++server_->open_streams;
    absl::Status allowed = server_->callbacks()->OnStreamOpen(id_, method_, peer_);
    if (!allowed.ok()) {
      FinishOnce(ToGrpcStatus(allowed));
      return;
    }
    StartRead(&read_buffer_);
  }

  void OnSnapshot(SnapshotPtr snapshot, uint64_t generation) {
    {
      absl::MutexLock lock(&mu_);
      if (generation <= generation_) return;  // a delivery that overtook a newer one
      generation_ = generation;
      state_.OnSnapshot(std::move(snapshot));
    }
    MaybeWrite();
  }

  // A tick of the server's clock: a heartbeat may be due.
  void OnTick() { MaybeWrite(); }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client closed its side, or the stream broke
      FinishOnce(grpc::Status::OK);
      return;
    }
    Request request;
    if (!ParseMessage(read_buffer_, &request)) {
      FinishOnce(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              absl::StrCat("malformed ", request.GetDescriptor()->name())));
      return;
    }
    absl::Status status = HandleRequest(request);
    if (!status.ok()) {
      FinishOnce(ToGrpcStatus(status));
      return;
    }
    MaybeWrite();
    StartRead(&read_buffer_);
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
    }
    if (!ok) {
      FinishOnce(grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed"));
      return;
    }
    MaybeWrite();
  }

  void OnDone() override {
    if (watcher_ != nullptr) {
      watcher_->Detach();
      server_->cache()->Unwatch(watch_key_, node_.id(), watcher_.get());
    }
    if (node_known_) server_->cache()->RecordStreamClosed(node_.id());
    server_->callbacks()->OnStreamClosed(id_, node_);
    --server_->open_streams;
    delete this;
  }

 private:
  // Called from OnReadDone only (one read at a time), so node_ needs no lock for its writes.
  absl::Status HandleRequest(const Request& request) {
    if (!node_known_) {
      if (!request.has_node()) {
        return absl::InvalidArgumentError("the first request of a stream must name its node");
      }
      node_ = request.node();
      node_known_ = true;
      const bool ttl = SupportsTtl(node_, Variant::kStateOfTheWorld);
      server_->cache()->RecordStreamOpen(node_, peer_, Variant::Name(ads_));
      watcher_ = std::make_shared<StreamWatcher<XdsStream>>(this);
      SnapshotCache::WatchStart start = server_->cache()->Watch(node_, watcher_);
      watch_key_ = start.key;
      if (ttl) server_->AddTicking(watcher_);
      absl::MutexLock lock(&mu_);
      state_.set_ttl_supported(ttl);
      if (start.generation > generation_) {
        generation_ = start.generation;
        state_.OnSnapshot(std::move(start.snapshot));
      }
    }
    absl::Status allowed = Variant::OnRequest(*server_->callbacks(), id_, node_, request);
    if (!allowed.ok()) return allowed;

    absl::StatusOr<Outcome> outcome;
    {
      absl::MutexLock lock(&mu_);
      outcome = state_.OnRequest(request);
    }
    if (!outcome.ok()) return outcome.status();
    RecordOutcome(*outcome);
    return absl::OkStatus();
  }

  void RecordOutcome(const Outcome& outcome) {
    SnapshotCache& cache = *server_->cache();
    switch (outcome.kind) {
      case Outcome::Kind::kAck:
        cache.RecordAck(node_.id(), outcome.type_url, VersionOfOutcome(outcome));
        break;
      case Outcome::Kind::kNack:
        cache.RecordNack(node_.id(), outcome.type_url, VersionOfOutcome(outcome), outcome.error,
                         outcome.running_version);
        break;
      case Outcome::Kind::kSubscription:
      case Outcome::Kind::kStale:
        cache.RecordRequest(node_.id(), outcome.type_url);
        break;
    }
    if (!outcome.holds_current_version.empty()) {
      cache.RecordAck(node_.id(), outcome.type_url, outcome.holds_current_version);
    }
  }

  static const std::string& VersionOfOutcome(const SotwRequestOutcome& o) { return o.version; }
  static const std::string& VersionOfOutcome(const DeltaRequestOutcome& o) {
    return o.system_version;
  }

  // Starts writing the next due response unless a write is under way or the stream finished.
  void MaybeWrite() {
    std::optional<Response> response;
    ResponseInfo info;
    {
      absl::MutexLock lock(&mu_);
      if (writing_ || finished_) return;
      if (state_.ttl_supported()) state_.OnTick(absl::Now());
      response = state_.NextResponse();
      if (!response.has_value()) return;
      writing_ = true;
      write_buffer_ = Variant::Encode(*response);
      info = Variant::InfoOf(*response);
      info.encoded_bytes = write_buffer_.Length();
    }
    server_->cache()->RecordSent(node_.id(), response->type_url, Variant::VersionOf(*response),
                                 response->nonce);
    server_->callbacks()->OnStreamResponse(id_, node_, info);
    StartWrite(&write_buffer_);
  }

  void FinishOnce(const grpc::Status& status) {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      finished_ = true;
    }
    Finish(status);
  }

  XdsServer::Impl* const server_;
  const int64_t id_;
  const std::string method_;
  const std::string peer_;
  const bool ads_;

  // Confined to the reading side (OnReadDone), which gRPC runs one at a time; read by OnDone
  // after every reaction has finished.
  grpc::ByteBuffer read_buffer_;
  Node node_;
  bool node_known_ = false;
  std::shared_ptr<StreamWatcher<XdsStream>> watcher_;
  std::string watch_key_;

  absl::Mutex mu_;
  typename Variant::State state_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ByteBuffer write_buffer_;  // owned by the write under way
};

// Answers a unary Fetch (one DiscoveryRequest) from the node's current snapshot.
grpc::Status AnswerFetch(XdsServer::Impl* server, std::string_view type_url,
                         const grpc::ByteBuffer& request_bytes, grpc::ByteBuffer* response_bytes) {
  DiscoveryRequest request;
  if (!ParseMessage(request_bytes, &request)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "malformed DiscoveryRequest");
  }
  if (!request.type_url().empty() && request.type_url() != type_url) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("a request for ", request.type_url(), " on Fetch for ",
                                     std::string(type_url)));
  }
  absl::Status allowed = server->callbacks()->OnFetchRequest(request);
  if (!allowed.ok()) return ToGrpcStatus(allowed);
  SnapshotCache& cache = *server->cache();
  SnapshotPtr snapshot = cache.GetSnapshot(cache.KeyOf(request.node()));
  if (snapshot == nullptr) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "no configuration for this node yet");
  }
  const SotwResponse response = server::FetchResponse(type_url, request, *snapshot);
  server->callbacks()->OnFetchResponse(request, InfoOf(response));
  *response_bytes = server::EncodeSotwResponse(response);
  return grpc::Status::OK;
}

using RawBidiReactor = grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>;

// A stream of `Variant` for a typed raw method of `Service`.
template <typename Variant, typename Service>
RawBidiReactor* NewStream(XdsServer::Impl* server, grpc::CallbackServerContext* context,
                          std::string_view method, std::string_view type_url) {
  return new XdsStream<Variant>(
      server, absl::StrCat("/", Service::service_full_name(), "/", std::string(method)),
      context->peer(), type_url);
}

grpc::ServerUnaryReactor* Fetch(XdsServer::Impl* server, grpc::CallbackServerContext* context,
                                std::string_view type_url, const grpc::ByteBuffer* request,
                                grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(AnswerFetch(server, type_url, *request, response));
  return reactor;
}

// The xDS services as typed services whose methods take raw bytes: the same streams as the
// generic service, but registered by name, so that server reflection lists them and grpcurl
// can describe them from the descriptors linked into xdsd.
using envoy::service::discovery::v3::AggregatedDiscoveryService;
class AdsService : public AggregatedDiscoveryService::WithRawCallbackMethod_StreamAggregatedResources<
                       AggregatedDiscoveryService::WithRawCallbackMethod_DeltaAggregatedResources<
                           AggregatedDiscoveryService::Service>> {
 public:
  explicit AdsService(XdsServer::Impl* server) : server_(server) {}
  RawBidiReactor* StreamAggregatedResources(grpc::CallbackServerContext* context) override {
    return NewStream<SotwVariant, AggregatedDiscoveryService>(server_, context,
                                                              "StreamAggregatedResources", "");
  }
  RawBidiReactor* DeltaAggregatedResources(grpc::CallbackServerContext* context) override {
    return NewStream<DeltaVariant, AggregatedDiscoveryService>(server_, context,
                                                               "DeltaAggregatedResources", "");
  }

 private:
  XdsServer::Impl* const server_;
};

// A per-type service with Stream<Suffix>, Delta<Suffix> and Fetch<Suffix>.
// NOLINTBEGIN(bugprone-macro-parentheses): Svc names a class, which cannot be parenthesized.
#define XDSD_PER_TYPE_SERVICE(Name, Svc, Suffix, TypeUrl)                                      \
  class Name : public Svc::WithRawCallbackMethod_Stream##Suffix<                              \
                   Svc::WithRawCallbackMethod_Delta##Suffix<                                  \
                       Svc::WithRawCallbackMethod_Fetch##Suffix<Svc::Service>>> {            \
   public:                                                                                    \
    explicit Name(XdsServer::Impl* server) : server_(server) {}                              \
    RawBidiReactor* Stream##Suffix(grpc::CallbackServerContext* context) override {          \
      return NewStream<SotwVariant, Svc>(server_, context, "Stream" #Suffix, TypeUrl);        \
    }                                                                                         \
    RawBidiReactor* Delta##Suffix(grpc::CallbackServerContext* context) override {           \
      return NewStream<DeltaVariant, Svc>(server_, context, "Delta" #Suffix, TypeUrl);        \
    }                                                                                         \
    grpc::ServerUnaryReactor* Fetch##Suffix(grpc::CallbackServerContext* context,            \
                                            const grpc::ByteBuffer* request,                   \
                                            grpc::ByteBuffer* response) override {            \
      return Fetch(server_, context, TypeUrl, request, response);                             \
    }                                                                                         \
                                                                                              \
   private:                                                                                   \
    XdsServer::Impl* const server_;                                                           \
  }
// NOLINTEND(bugprone-macro-parentheses)

XDSD_PER_TYPE_SERVICE(ClusterService, envoy::service::cluster::v3::ClusterDiscoveryService,
                      Clusters, kClusterType);
XDSD_PER_TYPE_SERVICE(EndpointService, envoy::service::endpoint::v3::EndpointDiscoveryService,
                      Endpoints, kEndpointType);
XDSD_PER_TYPE_SERVICE(ListenerService, envoy::service::listener::v3::ListenerDiscoveryService,
                      Listeners, kListenerType);
XDSD_PER_TYPE_SERVICE(RouteService, envoy::service::route::v3::RouteDiscoveryService, Routes,
                      kRouteType);
XDSD_PER_TYPE_SERVICE(ScopedRouteService, envoy::service::route::v3::ScopedRoutesDiscoveryService,
                      ScopedRoutes, kScopedRouteType);
XDSD_PER_TYPE_SERVICE(SecretService, envoy::service::secret::v3::SecretDiscoveryService, Secrets,
                      kSecretType);
XDSD_PER_TYPE_SERVICE(RuntimeService, envoy::service::runtime::v3::RuntimeDiscoveryService,
                      Runtime, kRuntimeType);
XDSD_PER_TYPE_SERVICE(ExtensionConfigService,
                      envoy::service::extension::v3::ExtensionConfigDiscoveryService,
                      ExtensionConfigs, kExtensionConfigType);
#undef XDSD_PER_TYPE_SERVICE

using envoy::service::route::v3::VirtualHostDiscoveryService;
class VirtualHostService : public VirtualHostDiscoveryService::WithRawCallbackMethod_DeltaVirtualHosts<
                               VirtualHostDiscoveryService::Service> {
 public:
  explicit VirtualHostService(XdsServer::Impl* server) : server_(server) {}
  RawBidiReactor* DeltaVirtualHosts(grpc::CallbackServerContext* context) override {
    return NewStream<DeltaVariant, VirtualHostDiscoveryService>(server_, context,
                                                                "DeltaVirtualHosts", kVirtualHostType);
  }

 private:
  XdsServer::Impl* const server_;
};

}  // namespace

std::vector<grpc::Service*> XdsServer::Impl::typed_services() {
  if (typed_services_.empty()) {
    typed_services_.push_back(std::make_unique<AdsService>(this));
    typed_services_.push_back(std::make_unique<ClusterService>(this));
    typed_services_.push_back(std::make_unique<EndpointService>(this));
    typed_services_.push_back(std::make_unique<ListenerService>(this));
    typed_services_.push_back(std::make_unique<RouteService>(this));
    typed_services_.push_back(std::make_unique<ScopedRouteService>(this));
    typed_services_.push_back(std::make_unique<VirtualHostService>(this));
    typed_services_.push_back(std::make_unique<SecretService>(this));
    typed_services_.push_back(std::make_unique<RuntimeService>(this));
    typed_services_.push_back(std::make_unique<ExtensionConfigService>(this));
  }
  std::vector<grpc::Service*> services;
  for (const auto& service : typed_services_) services.push_back(service.get());
  return services;
}

grpc::ServerGenericBidiReactor* XdsServer::Impl::CreateReactor(
    grpc::GenericCallbackServerContext* context) {
  // Every xDS method is a typed service's; what reaches the generic service is not served.
  return new UnimplementedReactor(context->method());
}

XdsServer::XdsServer(SnapshotCache* cache, Callbacks* callbacks)
    : impl_(std::make_unique<Impl>(cache, callbacks)) {}

XdsServer::~XdsServer() = default;

void XdsServer::RegisterOn(grpc::ServerBuilder& builder) {
  for (grpc::Service* service : impl_->typed_services()) builder.RegisterService(service);
  // Methods no typed service has (a misdirected client) get a clear UNIMPLEMENTED.
  builder.RegisterCallbackGenericService(impl_.get());
}

int64_t XdsServer::open_streams() const { return impl_->open_streams.load(); }

absl::StatusOr<std::unique_ptr<grpc::Server>> StartGrpcServer(
    XdsServer& xds, const std::string& address, int* bound_port,
    const std::function<void(grpc::ServerBuilder&)>& configure) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), bound_port);
  // xDS streams live long: keep them alive through idle periods and NATs, and let clients ping.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  // gRPC turns SO_REUSEPORT on by default: a second xdsd on a port in use would start and
  // share the connections silently. A port in use must be an error.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(16 * 1024 * 1024);
  builder.SetMaxSendMessageSize(-1);
  xds.RegisterOn(builder);
  if (configure) configure(builder);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address));
  }
  return server;
}

}  // namespace xdsd
