#include <grpc/grpc_security_constants.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/support/server_callback.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>

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
#include "server/xds_stream.h"
#include "xdsd/fetch.h"
#include "xdsd/server.h"
#include "xdsd/status_codes.h"

namespace xdsd {

// The services and what their streams share.
class XdsServer::Impl : public server::StreamContext {
 public:
  using StreamContext::StreamContext;
  std::vector<std::unique_ptr<grpc::Service>> services;  // set once, by the constructor
};

namespace {

using server::DeltaVariant;
using server::RawBidiReactor;
using server::SotwVariant;
using server::StreamContext;
using server::XdsStream;

// A stream of `Variant` for a typed raw method of `Service`.
template <typename Variant, typename Service>
RawBidiReactor* NewStream(StreamContext* context, grpc::CallbackServerContext* grpc_context,
                          std::string_view method, std::string_view type_url) {
  // Read once: the identities of a connection cannot change during a stream.
  std::shared_ptr<const grpc::AuthContext> auth = grpc_context->auth_context();
  return new XdsStream<Variant>(
      context, grpc_context,
      absl::StrCat("/", Service::service_full_name(), "/", std::string(method)),
      grpc_context->peer(), auth != nullptr ? PeerIdentities(*auth) : std::vector<std::string>{},
      type_url);
}

// A unary Fetch, answered from the node's current snapshot (see xdsd/fetch.h).
grpc::ServerUnaryReactor* AnswerFetch(StreamContext* context,
                                      grpc::CallbackServerContext* grpc_context,
                                      std::string_view type_url,
                                      const grpc::ByteBuffer* request_bytes,
                                      grpc::ByteBuffer* response_bytes) {
  grpc::ServerUnaryReactor* reactor = grpc_context->DefaultReactor();
  envoy::service::discovery::v3::DiscoveryRequest request;
  if (absl::Status size = server::CheckMessageSize(*request_bytes, context->limits()); !size.ok()) {
    reactor->Finish(ToGrpcStatus(size));
    return reactor;
  }
  if (!server::ParseMessage(*request_bytes, &request)) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "malformed DiscoveryRequest"));
    return reactor;
  }
  // The program's callbacks; the cache's observer follows streams, not Fetch.
  absl::StatusOr<FetchResult> answer =
      Fetch(context->cache(), &context->callbacks(), type_url, request);
  if (!answer.ok()) {
    reactor->Finish(ToGrpcStatus(answer.status()));
    return reactor;
  }
  server::SotwResponse response;
  response.type_url = answer->type_url;
  response.version = answer->version;
  response.resources = std::move(answer->resources);
  *response_bytes = server::EncodeSotwResponse(response);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

// The xDS services as typed services whose methods take raw bytes: registered by name, so that
// server reflection lists them and grpcurl can describe them from the descriptors linked into
// xdsd, and any method they lack is UNIMPLEMENTED by gRPC itself.
using envoy::service::discovery::v3::AggregatedDiscoveryService;
class AdsService
    : public AggregatedDiscoveryService::WithRawCallbackMethod_StreamAggregatedResources<
          AggregatedDiscoveryService::WithRawCallbackMethod_DeltaAggregatedResources<
              AggregatedDiscoveryService::Service>> {
 public:
  explicit AdsService(StreamContext* context) : context_(context) {}
  RawBidiReactor* StreamAggregatedResources(grpc::CallbackServerContext* context) override {
    return NewStream<SotwVariant, AggregatedDiscoveryService>(context_, context,
                                                              "StreamAggregatedResources", "");
  }
  RawBidiReactor* DeltaAggregatedResources(grpc::CallbackServerContext* context) override {
    return NewStream<DeltaVariant, AggregatedDiscoveryService>(context_, context,
                                                               "DeltaAggregatedResources", "");
  }

 private:
  StreamContext* const context_;
};

// A per-type service with Stream<Suffix>, Delta<Suffix> and Fetch<Suffix> (the suffixes are
// ResourceType::method_suffix).
// NOLINTBEGIN(bugprone-macro-parentheses): Svc names a class, which cannot be parenthesized.
#define XDSD_PER_TYPE_SERVICE(Name, Svc, Suffix, TypeUrl)                                          \
  class Name                                                                                       \
      : public Svc::WithRawCallbackMethod_Stream##Suffix<Svc::WithRawCallbackMethod_Delta##Suffix< \
            Svc::WithRawCallbackMethod_Fetch##Suffix<Svc::Service>>> {                             \
   public:                                                                                         \
    explicit Name(StreamContext* context) : context_(context) {}                                   \
    RawBidiReactor* Stream##Suffix(grpc::CallbackServerContext* context) override {                \
      return NewStream<SotwVariant, Svc>(context_, context, "Stream" #Suffix, TypeUrl);            \
    }                                                                                              \
    RawBidiReactor* Delta##Suffix(grpc::CallbackServerContext* context) override {                 \
      return NewStream<DeltaVariant, Svc>(context_, context, "Delta" #Suffix, TypeUrl);            \
    }                                                                                              \
    grpc::ServerUnaryReactor* Fetch##Suffix(grpc::CallbackServerContext* context,                  \
                                            const grpc::ByteBuffer* request,                       \
                                            grpc::ByteBuffer* response) override {                 \
      return AnswerFetch(context_, context, TypeUrl, request, response);                           \
    }                                                                                              \
                                                                                                   \
   private:                                                                                        \
    StreamContext* const context_;                                                                 \
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
XDSD_PER_TYPE_SERVICE(RuntimeService, envoy::service::runtime::v3::RuntimeDiscoveryService, Runtime,
                      kRuntimeType);
XDSD_PER_TYPE_SERVICE(ExtensionConfigService,
                      envoy::service::extension::v3::ExtensionConfigDiscoveryService,
                      ExtensionConfigs, kExtensionConfigType);
#undef XDSD_PER_TYPE_SERVICE

using envoy::service::route::v3::VirtualHostDiscoveryService;
class VirtualHostService
    : public VirtualHostDiscoveryService::WithRawCallbackMethod_DeltaVirtualHosts<
          VirtualHostDiscoveryService::Service> {
 public:
  explicit VirtualHostService(StreamContext* context) : context_(context) {}
  RawBidiReactor* DeltaVirtualHosts(grpc::CallbackServerContext* context) override {
    return NewStream<DeltaVariant, VirtualHostDiscoveryService>(
        context_, context, "DeltaVirtualHosts", kVirtualHostType);
  }

 private:
  StreamContext* const context_;
};

}  // namespace

XdsServer::XdsServer(Cache* cache, Callbacks* callbacks, StreamLimits limits)
    : impl_(std::make_unique<Impl>(cache, callbacks, limits)) {
  auto& services = impl_->services;
  services.push_back(std::make_unique<AdsService>(impl_.get()));
  services.push_back(std::make_unique<ClusterService>(impl_.get()));
  services.push_back(std::make_unique<EndpointService>(impl_.get()));
  services.push_back(std::make_unique<ListenerService>(impl_.get()));
  services.push_back(std::make_unique<RouteService>(impl_.get()));
  services.push_back(std::make_unique<ScopedRouteService>(impl_.get()));
  services.push_back(std::make_unique<VirtualHostService>(impl_.get()));
  services.push_back(std::make_unique<SecretService>(impl_.get()));
  services.push_back(std::make_unique<RuntimeService>(impl_.get()));
  services.push_back(std::make_unique<ExtensionConfigService>(impl_.get()));
}

XdsServer::~XdsServer() = default;

void XdsServer::RegisterOn(grpc::ServerBuilder& builder) {
  for (const auto& service : impl_->services) builder.RegisterService(service.get());
}

void XdsServer::SetMaxNamesPerStream(size_t max_names) { impl_->max_names_per_stream = max_names; }

void XdsServer::SetErrorTextRedactor(std::function<std::string(std::string_view)> redact) {
  impl_->redact_error_text = std::move(redact);
}

void XdsServer::SetSotwFullResponses(bool full) { impl_->sotw_full_responses = full; }

int64_t XdsServer::open_streams() const { return impl_->open_streams.load(); }

const StreamLimits& XdsServer::limits() const { return impl_->limits(); }

absl::StatusOr<std::unique_ptr<grpc::Server>> StartGrpcServer(
    XdsServer& xds, const std::string& address, int* bound_port,
    const std::function<void(grpc::ServerBuilder&)>& configure) {
  return StartGrpcServer(xds, address, grpc::InsecureServerCredentials(), bound_port, configure);
}

namespace {

// Checks that `path` is readable and holds a PEM block of `kind` ("CERTIFICATE", "PRIVATE KEY"
// also matches "RSA PRIVATE KEY" and "EC PRIVATE KEY"), so that a wrong path fails at startup
// rather than in every handshake.
absl::Status CheckPemFile(const std::string& flag, const std::string& path, std::string_view kind) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  const std::string pem = std::move(text).str();
  const size_t begin = pem.find("-----BEGIN ");
  if (begin == std::string::npos || pem.find(kind, begin) == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", path, " holds no PEM ", std::string(kind)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerTlsCredentials(
    const ServerTlsOptions& options) {
  if (absl::Status s = CheckPemFile("--xds-tls-cert", options.cert_file, "CERTIFICATE"); !s.ok())
    return s;
  if (absl::Status s = CheckPemFile("--xds-tls-key", options.key_file, "PRIVATE KEY"); !s.ok())
    return s;
  const bool mutual = !options.client_ca_file.empty();
  if (mutual) {
    if (absl::Status s = CheckPemFile("--xds-client-ca", options.client_ca_file, "CERTIFICATE");
        !s.ok())
      return s;
  }
  const auto refresh_seconds =
      static_cast<unsigned int>(std::max<int64_t>(1, absl::ToInt64Seconds(options.refresh)));
  // gRPC's provider reads the files again every refresh_seconds and keeps the last good
  // contents when a read fails (a rotation caught half-written).
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      options.key_file, options.cert_file, options.client_ca_file, refresh_seconds);
  grpc::experimental::TlsServerCredentialsOptions tls(provider);
  tls.watch_identity_key_cert_pairs();
  if (mutual) {
    tls.watch_root_certs();
    // The handshake fails unless the client presents a certificate the CA signed.
    tls.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    tls.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  // gRPC's TLS credentials negotiate TLS 1.2 or 1.3 only (their minimum is TLS 1.2).
  return grpc::experimental::TlsServerCredentials(tls);
}

std::vector<std::string> PeerIdentities(const grpc::AuthContext& auth_context) {
  std::vector<std::string> identities;
  if (!auth_context.IsPeerAuthenticated()) return identities;
  for (const char* property : {GRPC_PEER_URI_PROPERTY_NAME, GRPC_PEER_DNS_PROPERTY_NAME}) {
    for (const grpc::string_ref& value : auth_context.FindPropertyValues(property)) {
      identities.emplace_back(value.data(), value.size());
    }
  }
  return identities;
}

absl::StatusOr<std::unique_ptr<grpc::Server>> StartGrpcServer(
    XdsServer& xds, const std::string& address,
    const std::shared_ptr<grpc::ServerCredentials>& credentials, int* bound_port,
    const std::function<void(grpc::ServerBuilder&)>& configure) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, credentials, bound_port);
  // xDS streams live long: keep them alive through idle periods and NATs, and let clients ping.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  // gRPC turns SO_REUSEPORT on by default: a second xdsd on a port in use would start and
  // share the connections silently. A port in use must be an error.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  if (xds.limits().max_streams_per_connection > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                               xds.limits().max_streams_per_connection);
  }
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(std::min<size_t>(xds.limits().max_message_bytes * kGrpcMessageCeilingFactor,
                                        std::numeric_limits<int>::max())));
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
