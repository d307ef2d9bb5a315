#include "delta_client/delta_xds_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "envoy/service/cluster/v3/cds.grpc.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "envoy/service/endpoint/v3/eds.grpc.pb.h"
#include "envoy/service/listener/v3/lds.grpc.pb.h"
#include "envoy/service/route/v3/rds.grpc.pb.h"
#include "envoy/service/secret/v3/sds.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace xdsd::testing {

using envoy::service::discovery::v3::DeltaDiscoveryRequest;
using envoy::service::discovery::v3::DeltaDiscoveryResponse;

std::vector<const ReceivedResponse*> DeltaClientState::ResponsesOf(const std::string& type_url,
                                                                   size_t from) const {
  std::vector<const ReceivedResponse*> found;
  for (size_t i = from; i < responses.size(); ++i) {
    if (type_url.empty() || responses[i].type_url == type_url) found.push_back(&responses[i]);
  }
  return found;
}

namespace {

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  // A channel of its own (no subchannel shared with other clients of the process), which
  // comes back quickly after the server restarts.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

}  // namespace

DeltaXdsClient::DeltaXdsClient(Options options)
    : options_(std::move(options)), channel_(MakeChannel(options_.address)) {}

DeltaXdsClient::~DeltaXdsClient() { Disconnect(); }

std::unique_ptr<DeltaXdsClient::Stream> DeltaXdsClient::OpenStream(grpc::ClientContext* context) {
  const std::string& type = options_.stream_type_url;
  if (type.empty()) {
    return envoy::service::discovery::v3::AggregatedDiscoveryService::NewStub(channel_)
        ->DeltaAggregatedResources(context);
  }
  if (type == kClusterType) {
    return envoy::service::cluster::v3::ClusterDiscoveryService::NewStub(channel_)->DeltaClusters(
        context);
  }
  if (type == kEndpointType) {
    return envoy::service::endpoint::v3::EndpointDiscoveryService::NewStub(channel_)
        ->DeltaEndpoints(context);
  }
  if (type == kListenerType) {
    return envoy::service::listener::v3::ListenerDiscoveryService::NewStub(channel_)
        ->DeltaListeners(context);
  }
  if (type == kRouteType) {
    return envoy::service::route::v3::RouteDiscoveryService::NewStub(channel_)->DeltaRoutes(
        context);
  }
  if (type == kSecretType) {
    return envoy::service::secret::v3::SecretDiscoveryService::NewStub(channel_)->DeltaSecrets(
        context);
  }
  return nullptr;
}

absl::Status DeltaXdsClient::Connect(absl::Duration timeout) {
  if (reader_.joinable()) return absl::FailedPreconditionError("already connected");
  if (!channel_->WaitForConnected(absl::ToChronoTime(absl::Now() + timeout))) {
    return absl::DeadlineExceededError(absl::StrCat("could not connect to ", options_.address,
                                                    " within ", absl::FormatDuration(timeout)));
  }
  auto context = std::make_unique<grpc::ClientContext>();
  std::unique_ptr<Stream> stream = OpenStream(context.get());
  if (stream == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat("no per-type delta stream for ", options_.stream_type_url));
  }
  int stream_number = 0;
  {
    absl::MutexLock lock(&mu_);
    stream_number = ++state_.stream;
    state_.stream_open = true;
    for (auto& [type_url, interest] : interest_) interest.requested = false;
    unanswered_.clear();
  }
  Stream* raw = stream.get();
  {
    absl::MutexLock lock(&write_mu_);
    context_ = std::move(context);
    live_context_.store(context_.get());
    stream_ = std::move(stream);
    node_sent_ = false;
  }
  reader_ = std::thread([this, raw, stream_number] { ReadLoop(raw, stream_number); });
  return absl::OkStatus();
}

void DeltaXdsClient::Disconnect() {
  // The context and the stream are only replaced here and in Connect, which do not race.
  // Without the write lock: a write may be blocked until the cancel.
  if (grpc::ClientContext* context = live_context_.load(); context != nullptr) {
    context->TryCancel();
  }
  if (reader_.joinable()) reader_.join();
  absl::MutexLock lock(&write_mu_);
  stream_.reset();
  live_context_.store(nullptr);
  context_.reset();
}

absl::Status DeltaXdsClient::Reconnect(absl::Duration timeout) {
  Disconnect();
  if (absl::Status connected = Connect(timeout); !connected.ok()) return connected;
  std::vector<DeltaDiscoveryRequest> requests;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [type_url, interest] : interest_) {
      if (!interest.wildcard && interest.names.empty()) continue;
      DeltaDiscoveryRequest request;
      request.set_type_url(type_url);
      if (interest.wildcard && !interest.legacy_wildcard) request.add_resource_names_subscribe("*");
      for (const std::string& name : interest.names) request.add_resource_names_subscribe(name);
      for (const auto& [name, held] : state_.held[type_url]) {
        if (interest.wildcard || interest.names.contains(name)) {
          (*request.mutable_initial_resource_versions())[name] = held.version;
        }
      }
      interest.requested = true;
      requests.push_back(std::move(request));
    }
  }
  // As Envoy: on ADS in make-before-break order (clusters, endpoints, listeners, routes).
  auto rank = [](const std::string& type_url) {
    if (type_url == kClusterType) return 0;
    if (type_url == kEndpointType) return 1;
    if (type_url == kListenerType) return 2;
    if (type_url == kRouteType) return 3;
    return 4;
  };
  std::stable_sort(requests.begin(), requests.end(), [&](const auto& a, const auto& b) {
    return rank(a.type_url()) < rank(b.type_url());
  });
  for (DeltaDiscoveryRequest& request : requests) {
    if (absl::Status written = Write(std::move(request)); !written.ok()) return written;
  }
  return absl::OkStatus();
}

absl::Status DeltaXdsClient::Subscribe(const std::string& type_url,
                                       const std::vector<std::string>& names) {
  DeltaDiscoveryRequest request;
  request.set_type_url(type_url);
  {
    absl::MutexLock lock(&mu_);
    Interest& interest = interest_[type_url];
    for (const std::string& name : names) {
      if (name == "*") {
        interest.wildcard = true;
        interest.legacy_wildcard = false;
      } else {
        interest.names.insert(name);
      }
      request.add_resource_names_subscribe(name);
    }
    interest.requested = true;
  }
  return Write(std::move(request));
}

absl::Status DeltaXdsClient::Unsubscribe(const std::string& type_url,
                                         const std::vector<std::string>& names) {
  DeltaDiscoveryRequest request;
  request.set_type_url(type_url);
  {
    absl::MutexLock lock(&mu_);
    Interest& interest = interest_[type_url];
    for (const std::string& name : names) {
      if (name == "*") {
        interest.wildcard = false;
        interest.legacy_wildcard = false;
      } else {
        interest.names.erase(name);
      }
      request.add_resource_names_unsubscribe(name);
    }
    // What is no longer of interest is dropped.
    std::map<std::string, HeldResource>& held = state_.held[type_url];
    std::erase_if(held, [&](const auto& entry) {
      return !interest.wildcard && !interest.names.contains(entry.first);
    });
    std::set<std::string>& missing = state_.reported_missing[type_url];
    for (const std::string& name : names) missing.erase(name);
  }
  return Write(std::move(request));
}

absl::Status DeltaXdsClient::SubscribeLegacyWildcard(const std::string& type_url) {
  {
    absl::MutexLock lock(&mu_);
    Interest& interest = interest_[type_url];
    if (interest.requested) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the legacy wildcard is a first request, and ", type_url, " had one on this stream"));
    }
    interest.wildcard = true;
    interest.legacy_wildcard = true;
    interest.requested = true;
  }
  DeltaDiscoveryRequest request;
  request.set_type_url(type_url);
  return Write(std::move(request));
}

absl::Status DeltaXdsClient::SendRaw(DeltaDiscoveryRequest request) {
  {
    absl::MutexLock lock(&mu_);
    if (!request.type_url().empty()) interest_[request.type_url()].requested = true;
  }
  return Write(std::move(request));
}

void DeltaXdsClient::SetNackPolicy(const std::string& type_url, NackPolicy policy) {
  absl::MutexLock lock(&mu_);
  interest_[type_url].nack_policy = std::move(policy);
}

void DeltaXdsClient::HoldAcks(const std::string& type_url, bool hold) {
  absl::MutexLock lock(&mu_);
  interest_[type_url].hold_acks = hold;
}

absl::Status DeltaXdsClient::Ack(const std::string& nonce) {
  DeltaDiscoveryRequest ack;
  {
    absl::MutexLock lock(&mu_);
    auto it = unanswered_.find(nonce);
    if (it == unanswered_.end()) {
      return absl::NotFoundError(absl::StrCat("no unanswered response with nonce ", nonce));
    }
    const std::string type_url =
        it->second.type_url().empty() ? options_.stream_type_url : it->second.type_url();
    ApplyLocked(it->second, type_url);
    unanswered_.erase(it);
    ack.set_type_url(type_url);
    ack.set_response_nonce(nonce);
  }
  return Write(std::move(ack));
}

absl::Status DeltaXdsClient::Write(DeltaDiscoveryRequest request) {
  absl::MutexLock write_lock(&write_mu_);
  return WriteLocked(std::move(request));
}

absl::Status DeltaXdsClient::WriteLocked(DeltaDiscoveryRequest request) {
  if (stream_ == nullptr) return absl::FailedPreconditionError("not connected");
  if (!node_sent_) {
    *request.mutable_node() = options_.node;
    node_sent_ = true;
  }
  int stream_number = 0;
  {
    absl::MutexLock lock(&mu_);
    stream_number = state_.stream;
    state_.requests.push_back(SentRequest{stream_number, request});
  }
  if (!stream_->Write(request)) {
    return absl::UnavailableError(absl::StrCat("stream ", stream_number, " is closed"));
  }
  return absl::OkStatus();
}

void DeltaXdsClient::ReadLoop(Stream* stream, int stream_number) {
  DeltaDiscoveryResponse response;
  while (stream->Read(&response)) OnResponse(response, stream_number);
  grpc::Status status;
  {
    // No write may run while the call finishes.
    absl::MutexLock write_lock(&write_mu_);
    status = stream->Finish();
  }
  absl::MutexLock lock(&mu_);
  if (state_.stream == stream_number) {
    state_.stream_open = false;
    state_.last_stream_status = status;
  }
}

bool DeltaXdsClient::HoldsLocked(const std::string& type_url, const std::string& name) const {
  auto type = state_.held.find(type_url);
  return type != state_.held.end() && type->second.contains(name);
}

void DeltaXdsClient::ApplyLocked(const DeltaDiscoveryResponse& response,
                                 const std::string& type_url) {
  std::map<std::string, HeldResource>& held = state_.held[type_url];
  std::set<std::string>& missing = state_.reported_missing[type_url];
  for (const auto& resource : response.resources()) {
    if (!resource.has_resource()) {
      // A heartbeat (PROTOCOL 28, resources with a TTL): the same version, no body; what is
      // held stays as it is.
      auto it = held.find(resource.name());
      if (it != held.end()) it->second.version = resource.version();
      continue;
    }
    held[resource.name()] = HeldResource{resource.version(), resource.resource().value()};
    missing.erase(resource.name());
  }
  for (const std::string& name : response.removed_resources()) {
    if (held.erase(name) == 0) missing.insert(name);
  }
}

void DeltaXdsClient::OnResponse(const DeltaDiscoveryResponse& response, int stream_number) {
  const std::string type_url =
      response.type_url().empty() ? options_.stream_type_url : response.type_url();
  NackPolicy policy;
  bool hold = false;
  {
    absl::MutexLock lock(&mu_);
    const Interest& interest = interest_[type_url];
    policy = interest.nack_policy;
    hold = interest.hold_acks;
  }
  // The policy runs without the lock: it may look at the client.
  std::optional<std::string> error;
  if (!hold && policy) error = policy(response);

  // The answer is written before any request the test sends after seeing the response: the
  // write lock is held from the moment the response becomes visible until the answer is out.
  absl::MutexLock write_lock(&write_mu_);
  DeltaDiscoveryRequest answer;
  {
    absl::MutexLock lock(&mu_);
    ReceivedResponse record;
    record.index = state_.responses.size();
    record.stream = stream_number;
    record.type_url = type_url;
    record.nonce = response.nonce();
    record.system_version = response.system_version_info();
    for (const auto& resource : response.resources()) {
      record.names.push_back(resource.name());
      record.resource_bytes += resource.ByteSizeLong();
    }
    record.resource_count = record.names.size();
    record.removed.assign(response.removed_resources().begin(), response.removed_resources().end());
    record.message_bytes = response.ByteSizeLong();
    record.received_at = absl::Now();
    record.nacked = error.has_value();
    if (error.has_value()) record.nack_error = *error;
    state_.responses.push_back(std::move(record));

    if (hold) {
      unanswered_[response.nonce()] = response;
      return;
    }
    if (!error.has_value()) ApplyLocked(response, type_url);
  }
  answer.set_type_url(type_url);
  answer.set_response_nonce(response.nonce());
  if (error.has_value()) {
    answer.mutable_error_detail()->set_code(3);  // INVALID_ARGUMENT, as Envoy sends
    answer.mutable_error_detail()->set_message(*error);
  }
  // A write fails only when the stream ended; the read loop then ends too.
  (void)WriteLocked(std::move(answer));
}

DeltaClientState DeltaXdsClient::State() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

size_t DeltaXdsClient::ResponseCount() const {
  absl::MutexLock lock(&mu_);
  return state_.responses.size();
}

std::map<std::string, HeldResource> DeltaXdsClient::Held(const std::string& type_url) const {
  absl::MutexLock lock(&mu_);
  auto it = state_.held.find(type_url);
  if (it == state_.held.end()) return {};
  return it->second;
}

bool DeltaXdsClient::WaitUntil(const std::function<bool(const DeltaClientState&)>& predicate,
                               absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto holds = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return predicate(state_); };
  return mu_.AwaitWithTimeout(absl::Condition(&holds), timeout);
}

std::optional<ReceivedResponse> DeltaXdsClient::WaitForResponse(const std::string& type_url,
                                                                size_t from,
                                                                absl::Duration timeout) const {
  std::optional<ReceivedResponse> found;
  WaitUntil(
      [&](const DeltaClientState& state) {
        std::vector<const ReceivedResponse*> of = state.ResponsesOf(type_url, from);
        if (of.empty()) return false;
        found = *of.front();
        return true;
      },
      timeout);
  return found;
}

bool DeltaXdsClient::WaitForStreamEnd(absl::Duration timeout) const {
  return WaitUntil([](const DeltaClientState& state) { return !state.stream_open; }, timeout);
}

}  // namespace xdsd::testing
