#include "etcd/etcd_client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "xdsd/refusals.h"

namespace xdsd::etcd {
namespace {

constexpr std::string_view kScheme = "etcd://";

absl::Status FromGrpc(const grpc::Status& status, absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
    CountRefusal("etcd_response_too_large", status.error_message());
  }
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat("etcd ", what, ": ", status.error_message()));
}

absl::StatusOr<std::string> ReadPem(const std::string& path, absl::string_view flag) {
  if (path.empty()) return std::string();
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read ", flag, " ", path));
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

KeyValue FromProto(const mvccpb::KeyValue& kv) {
  return KeyValue{.key = kv.key(),
                  .value = kv.value(),
                  .create_revision = kv.create_revision(),
                  .mod_revision = kv.mod_revision(),
                  .lease = kv.lease()};
}

}  // namespace

bool IsEtcdUrl(std::string_view text) { return text.starts_with(kScheme); }

absl::StatusOr<EtcdUrl> ParseEtcdUrl(std::string_view text) {
  auto error = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", absl::string_view(text.data(), text.size()), "\": ", why,
                     " (etcd://HOST:PORT[,HOST:PORT...]/PREFIX)"));
  };
  if (!IsEtcdUrl(text)) return error("not an etcd:// URL");
  std::string_view rest = text.substr(kScheme.size());
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return error("no /PREFIX");
  EtcdUrl url;
  std::string_view prefix = rest.substr(slash + 1);
  while (prefix.ends_with('/')) prefix.remove_suffix(1);
  if (prefix.empty()) return error("the prefix is empty");
  url.prefix = std::string(prefix);
  for (absl::string_view endpoint :
       absl::StrSplit(absl::string_view(rest.data(), slash), ',', absl::SkipEmpty())) {
    const size_t colon = endpoint.rfind(':');
    int port = 0;
    if (colon == absl::string_view::npos || colon == 0 ||
        !absl::SimpleAtoi(endpoint.substr(colon + 1), &port) || port < 1 || port > 65535) {
      return error(absl::StrCat("\"", endpoint, "\" is not HOST:PORT"));
    }
    url.endpoints.emplace_back(endpoint);
  }
  if (url.endpoints.empty()) return error("no HOST:PORT");
  return url;
}

std::string FormatEtcdUrl(const EtcdUrl& url) {
  return absl::StrCat("etcd://", absl::StrJoin(url.endpoints, ","), "/", url.prefix);
}

std::string PrefixRangeEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      ++end.back();
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

void WatchCanceller::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  if (context_ != nullptr) context_->TryCancel();
}

bool WatchCanceller::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

bool WatchCanceller::Attach(grpc::ClientContext* context) {
  absl::MutexLock lock(&mu_);
  if (cancelled_) return false;
  context_ = context;
  return true;
}

void WatchCanceller::Detach() {
  absl::MutexLock lock(&mu_);
  context_ = nullptr;
}

absl::StatusOr<std::unique_ptr<EtcdClient>> EtcdClient::Create(const EtcdClientOptions& options) {
  if (options.endpoints.empty()) return absl::InvalidArgumentError("no etcd endpoint");
  if (options.cert_file.empty() != options.key_file.empty()) {
    return absl::InvalidArgumentError("--etcd-cert and --etcd-key go together");
  }
  if (!options.cert_file.empty() && options.ca_file.empty()) {
    return absl::InvalidArgumentError("--etcd-cert needs --etcd-ca (TLS to etcd)");
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!options.ca_file.empty()) {
    grpc::SslCredentialsOptions tls;
    absl::StatusOr<std::string> ca = ReadPem(options.ca_file, "--etcd-ca");
    if (!ca.ok()) return ca.status();
    absl::StatusOr<std::string> cert = ReadPem(options.cert_file, "--etcd-cert");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadPem(options.key_file, "--etcd-key");
    if (!key.ok()) return key.status();
    tls.pem_root_certs = *std::move(ca);
    tls.pem_cert_chain = *std::move(cert);
    tls.pem_private_key = *std::move(key);
    credentials = grpc::SslCredentials(tls);
  }
  grpc::ChannelArguments args;
  // A member that went away is tried again within a second of coming back, not after gRPC's
  // default backoff of up to two minutes. Each connection attempt gets 5 s (the "minimum
  // backoff" is gRPC's connect timeout): a shorter one never completes on a loaded machine.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 5000);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // A watch on a member that vanished without closing its connection ends within 15 s
  // (etcd accepts pings every 5 s or slower).
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5'000);
  // A whole config is read in one range; room for the keys and the framing on top.
  args.SetMaxReceiveMessageSize(static_cast<int>(
      std::min<size_t>(options.max_response_bytes + (size_t{1} << 20), INT32_MAX)));
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (const std::string& endpoint : options.endpoints) {
    channels.push_back(grpc::CreateCustomChannel(endpoint, credentials, args));
  }
  return std::unique_ptr<EtcdClient>(new EtcdClient(options, std::move(channels)));
}

EtcdClient::EtcdClient(EtcdClientOptions options,
                       std::vector<std::shared_ptr<grpc::Channel>> channels)
    : options_(std::move(options)), channels_(std::move(channels)) {}

EtcdClient::~EtcdClient() = default;

std::string EtcdClient::current_endpoint() const {
  absl::MutexLock lock(&mu_);
  return options_.endpoints[current_];
}

absl::Status EtcdClient::CallWithFailover(
    const std::function<absl::Status(grpc::Channel*, grpc::ClientContext*)>& call,
    bool retry_deadline) {
  size_t first = 0;
  {
    absl::MutexLock lock(&mu_);
    first = current_;
  }
  absl::Status status;
  std::vector<std::string> failures;
  for (size_t attempt = 0; attempt < channels_.size(); ++attempt) {
    const size_t index = (first + attempt) % channels_.size();
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + options_.call_timeout));
    status = call(channels_[index].get(), &context);
    const bool retry =
        absl::IsUnavailable(status) || (retry_deadline && absl::IsDeadlineExceeded(status));
    if (!retry) {
      absl::MutexLock lock(&mu_);
      current_ = index;
      return status;
    }
    failures.push_back(absl::StrCat(options_.endpoints[index], ": ", status.message()));
  }
  {
    absl::MutexLock lock(&mu_);
    current_ = (first + 1) % channels_.size();  // start the next call elsewhere
  }
  return absl::Status(
      status.code(), absl::StrCat("no etcd member answered (", absl::StrJoin(failures, "; "), ")"));
}

absl::StatusOr<RangeResult> EtcdClient::RangePrefix(const std::string& prefix, int64_t revision) {
  etcdserverpb::RangeRequest request;
  request.set_key(prefix);
  request.set_range_end(PrefixRangeEnd(prefix));
  request.set_revision(revision);
  RangeResult result;
  absl::Status status = CallWithFailover(
      [&](grpc::Channel* channel, grpc::ClientContext* context) {
        etcdserverpb::RangeResponse response;
        absl::Status called = FromGrpc(etcdserverpb::KV::NewStub(channel->shared_from_this())
                                           ->Range(context, request, &response),
                                       "range");
        if (!called.ok()) return called;
        result.revision = response.header().revision();
        result.kvs.clear();
        for (const mvccpb::KeyValue& kv : response.kvs()) result.kvs.push_back(FromProto(kv));
        return absl::OkStatus();
      },
      /*retry_deadline=*/true);
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<TxnResult> EtcdClient::Txn(const std::vector<TxnCompare>& compares,
                                          const std::vector<TxnOp>& ops) {
  etcdserverpb::TxnRequest request;
  for (const TxnCompare& compare : compares) {
    etcdserverpb::Compare* c = request.add_compare();
    c->set_key(compare.key);
    if (!compare.range_end.empty()) c->set_range_end(compare.range_end);
    c->set_target(etcdserverpb::Compare::MOD);
    c->set_result(compare.kind == TxnCompare::Kind::kModEquals ? etcdserverpb::Compare::EQUAL
                                                               : etcdserverpb::Compare::LESS);
    c->set_mod_revision(compare.revision);
  }
  for (const TxnOp& op : ops) {
    etcdserverpb::RequestOp* r = request.add_success();
    if (op.is_delete) {
      r->mutable_request_delete_range()->set_key(op.key);
    } else {
      etcdserverpb::PutRequest* put = r->mutable_request_put();
      put->set_key(op.key);
      put->set_value(op.value);
      put->set_lease(op.lease);
    }
  }
  TxnResult result;
  absl::Status status = CallWithFailover(
      [&](grpc::Channel* channel, grpc::ClientContext* context) {
        etcdserverpb::TxnResponse response;
        absl::Status called = FromGrpc(etcdserverpb::KV::NewStub(channel->shared_from_this())
                                           ->Txn(context, request, &response),
                                       "transaction");
        result.succeeded = response.succeeded();
        result.revision = response.header().revision();
        return called;
      },
      /*retry_deadline=*/false);
  if (!status.ok()) return status;
  return result;
}

absl::Status EtcdClient::Watch(
    const std::string& prefix, int64_t start_revision,
    const std::function<void(const std::vector<WatchEvent>&, int64_t revision)>& on_events,
    WatchCanceller* canceller, const std::function<void()>& on_progress) {
  size_t index = 0;
  {
    absl::MutexLock lock(&mu_);
    index = current_;
  }
  grpc::ClientContext context;
  // A member cut off from the cluster's leader ends the watch instead of going quiet.
  context.AddMetadata("hasleader", "true");
  if (!canceller->Attach(&context)) return absl::CancelledError("watch cancelled");
  auto stream = etcdserverpb::Watch::NewStub(channels_[index])->Watch(&context);
  etcdserverpb::WatchRequest request;
  etcdserverpb::WatchCreateRequest* create = request.mutable_create_request();
  create->set_key(prefix);
  create->set_range_end(PrefixRangeEnd(prefix));
  create->set_start_revision(start_revision);
  create->set_progress_notify(true);
  absl::Status ended;
  if (stream->Write(request)) {
    etcdserverpb::WatchResponse response;
    while (stream->Read(&response)) {
      if (response.compact_revision() != 0) {
        ended = absl::OutOfRangeError(absl::StrCat("revision ", start_revision,
                                                   " is compacted (etcd compacted up to ",
                                                   response.compact_revision(), ")"));
        context.TryCancel();
        break;
      }
      if (response.canceled()) {
        ended = absl::UnavailableError(
            absl::StrCat("etcd cancelled the watch: ", response.cancel_reason()));
        context.TryCancel();
        break;
      }
      if (response.created()) {
        if (on_progress) on_progress();
        continue;
      }
      std::vector<WatchEvent> events;
      int64_t revision = response.header().revision();
      if (!response.events().empty()) revision = 0;
      for (const mvccpb::Event& event : response.events()) {
        events.push_back(WatchEvent{.is_delete = event.type() == mvccpb::Event::DELETE,
                                    .kv = FromProto(event.kv())});
        revision = std::max(revision, event.kv().mod_revision());
      }
      start_revision = revision + 1;
      on_events(events, revision);
    }
  }
  const grpc::Status finished = stream->Finish();
  canceller->Detach();
  if (!ended.ok()) return ended;
  if (canceller->cancelled()) return absl::CancelledError("watch cancelled");
  {
    absl::MutexLock lock(&mu_);
    if (current_ == index) current_ = (index + 1) % channels_.size();  // reconnect elsewhere
  }
  absl::Status status = FromGrpc(finished, "watch");
  return absl::UnavailableError(
      absl::StrCat("the watch on ", options_.endpoints[index], " ended",
                   status.ok() ? std::string() : absl::StrCat(": ", status.message())));
}

absl::StatusOr<int64_t> EtcdClient::GrantLease(absl::Duration ttl) {
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(ttl, absl::Seconds(1)))));
  int64_t id = 0;
  absl::Status status = CallWithFailover(
      [&](grpc::Channel* channel, grpc::ClientContext* context) {
        etcdserverpb::LeaseGrantResponse response;
        absl::Status called = FromGrpc(etcdserverpb::Lease::NewStub(channel->shared_from_this())
                                           ->LeaseGrant(context, request, &response),
                                       "lease grant");
        if (called.ok() && !response.error().empty()) {
          called = absl::InternalError(absl::StrCat("etcd lease grant: ", response.error()));
        }
        id = response.id();
        return called;
      },
      /*retry_deadline=*/false);
  if (!status.ok()) return status;
  return id;
}

absl::Status EtcdClient::KeepAliveLease(int64_t lease) {
  return CallWithFailover(
      [&](grpc::Channel* channel, grpc::ClientContext* context) {
        auto stream =
            etcdserverpb::Lease::NewStub(channel->shared_from_this())->LeaseKeepAlive(context);
        etcdserverpb::LeaseKeepAliveRequest request;
        request.set_id(lease);
        etcdserverpb::LeaseKeepAliveResponse response;
        const bool answered = stream->Write(request) && stream->Read(&response);
        stream->WritesDone();
        context->TryCancel();
        const grpc::Status finished = stream->Finish();
        if (!answered) {
          absl::Status status = FromGrpc(finished, "lease keepalive");
          return status.ok() ? absl::UnavailableError("etcd lease keepalive: no answer") : status;
        }
        if (response.ttl() <= 0) {
          return absl::NotFoundError(absl::StrCat("etcd lease ", lease, " has expired"));
        }
        return absl::OkStatus();
      },
      /*retry_deadline=*/true);
}

absl::Status EtcdClient::RevokeLease(int64_t lease) {
  etcdserverpb::LeaseRevokeRequest request;
  request.set_id(lease);
  return CallWithFailover(
      [&](grpc::Channel* channel, grpc::ClientContext* context) {
        etcdserverpb::LeaseRevokeResponse response;
        return FromGrpc(etcdserverpb::Lease::NewStub(channel->shared_from_this())
                            ->LeaseRevoke(context, request, &response),
                        "lease revoke");
      },
      /*retry_deadline=*/true);
}

}  // namespace xdsd::etcd
