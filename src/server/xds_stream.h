#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_callback.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/delta_stream_state.h"
#include "server/heartbeat_ticker.h"
#include "server/response_encoder.h"
#include "server/sotw_stream_state.h"
#include "xdsd/cache.h"
#include "xdsd/callbacks.h"
#include "xdsd/callbacks_chain.h"
#include "xdsd/refusals.h"
#include "xdsd/secret_text.h"
#include "xdsd/server.h"
#include "xdsd/status_codes.h"

namespace xdsd::server {

// What every stream of one server shares: where snapshots come from, whom to tell what
// happens, the limits, the heartbeat clock and the clock that enforces the deadlines.
//
// Thread-safe; constant after construction but for the counters.
class StreamContext {
 public:
  // How often streams with TTL resources are given the time: heartbeats go out within this of
  // being due (half a TTL).
  static constexpr absl::Duration kTickInterval = absl::Milliseconds(200);

  // `callbacks` (the program's, may be null) see every event first; the cache's own stream
  // observer sees those they did not refuse.
  StreamContext(Cache* cache, Callbacks* callbacks, StreamLimits limits);

  Cache& cache() const { return *cache_; }
  Callbacks& callbacks() { return callbacks_; }
  const StreamLimits& limits() const { return limits_; }
  HeartbeatTicker& ticker() { return ticker_; }
  // Gives every stream the time, often enough to end it within a quarter of a deadline late.
  HeartbeatTicker& deadline_ticker() { return deadline_ticker_; }
  int64_t NewStreamId() { return next_stream_id_.fetch_add(1) + 1; }

  std::atomic<int64_t> open_streams{0};
  // The most names one stream may subscribe to (--max-names-per-stream); set before serving.
  size_t max_names_per_stream = kDefaultMaxNamesPerStream;
  // Applied to every NACK's error text before anything records or logs it; set before serving.
  std::function<std::string(std::string_view)> redact_error_text = RedactPrivateKeyBlocks;
  // Every state-of-the-world response carries the whole subscription (--sotw-full-responses).
  bool sotw_full_responses = false;

 private:
  Cache* const cache_;
  CallbacksChain callbacks_;  // the program's callbacks, then the cache's observer
  const StreamLimits limits_;
  std::atomic<int64_t> next_stream_id_{0};
  HeartbeatTicker ticker_{kTickInterval};
  HeartbeatTicker deadline_ticker_;
};

// Parses a request's bytes; false when they are not a `request`.
bool ParseMessage(const grpc::ByteBuffer& buffer, google::protobuf::Message* request);

// RESOURCE_EXHAUSTED (counted as "grpc_message_too_large") for a request larger than
// `limits.max_message_bytes`, checked before it is parsed.
absl::Status CheckMessageSize(const grpc::ByteBuffer& buffer, const StreamLimits& limits);

// PROTOCOL 28: resource TTLs go to clients that say they take them; in state of the world they
// must also take the Resource wrapper.
bool SupportsTtl(const envoy::config::core::v3::Node& node, bool state_of_the_world);

ResponseInfo InfoOf(const SotwResponse& response);
ResponseInfo InfoOf(const DeltaResponse& response);

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
  static constexpr bool kDelta = false;
  using Request = envoy::service::discovery::v3::DiscoveryRequest;
  using State = SotwStreamState;
};
struct DeltaVariant {
  static constexpr bool kDelta = true;
  using Request = envoy::service::discovery::v3::DeltaDiscoveryRequest;
  using State = DeltaStreamState;
};

// What differs between the variants' requests and responses, by overload.
inline grpc::ByteBuffer Encode(const SotwResponse& r) { return EncodeSotwResponse(r); }
inline grpc::ByteBuffer Encode(const DeltaResponse& r) { return EncodeDeltaResponse(r); }
inline absl::Status ReportRequest(Callbacks& callbacks, const StreamInfo& stream,
                                  const envoy::config::core::v3::Node& node,
                                  const envoy::service::discovery::v3::DiscoveryRequest& request) {
  return callbacks.OnStreamRequest(stream, node, request);
}
inline absl::Status ReportRequest(
    Callbacks& callbacks, const StreamInfo& stream, const envoy::config::core::v3::Node& node,
    const envoy::service::discovery::v3::DeltaDiscoveryRequest& request) {
  return callbacks.OnStreamDeltaRequest(stream, node, request);
}

using RawBidiReactor = grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>;

// One xDS stream, state of the world or delta, ADS or per-type: reads requests, feeds the
// state machine, writes what it returns, one message at a time, and tells the callbacks.
//
// Thread-safe: gRPC reactions and snapshot deliveries come on any thread; mu_ guards the state,
// and no gRPC operation is started while mu_ is held. Deletes itself in OnDone.
template <typename Variant>
class XdsStream : public RawBidiReactor {
 public:
  using Request = typename Variant::Request;
  using Response =
      typename decltype(std::declval<typename Variant::State>().NextResponse())::value_type;
  using Outcome = RequestOutcome;

  // `type_url` is the type of a per-type stream, "" for ADS. `grpc_context` is the call's.
  XdsStream(StreamContext* context, grpc::CallbackServerContext* grpc_context, std::string method,
            std::string peer, std::vector<std::string> identities, std::string_view type_url)
      : context_(context),
        grpc_context_(grpc_context),
        info_{context->NewStreamId(), std::move(method), std::string(type_url),
              Variant::kDelta,        std::move(peer),   std::move(identities)},
        opened_at_(absl::Now()),
        watcher_(std::make_shared<StreamWatcher<XdsStream>>(this)),
        state_(type_url, context->max_names_per_stream) {
    if constexpr (!Variant::kDelta) state_.set_full_responses(context->sotw_full_responses);
    ++context_->open_streams;
    absl::Status allowed = context_->callbacks().OnStreamOpen(info_);
    if (!allowed.ok()) {
      Fail(allowed);
      return;
    }
    context_->deadline_ticker().Add(watcher_);
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

  // A tick of one of the server's clocks: a deadline may have passed, a heartbeat may be due.
  void OnTick() {
    bool write_stalled = false;
    if (absl::Status late = CheckDeadlines(&write_stalled); !late.ok()) {
      Fail(late);
      // A stalled write never completes by itself, nor does the Finish queued behind it:
      // cancelling the call ends both, and brings OnDone.
      if (write_stalled) grpc_context_->TryCancel();
      return;
    }
    MaybeWrite();
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client closed its side, or the stream broke
      FinishOnce(grpc::Status::OK);
      return;
    }
    if (absl::Status size = CheckMessageSize(read_buffer_, context_->limits()); !size.ok()) {
      Fail(size);
      return;
    }
    // A request is parsed into a message this thread reuses: parsed again, a cleared message
    // keeps its strings, so a request repeating a thousand names allocates none of them.
    ReusedRequest reused;
    Request& request = reused.get();
    if (!ParseMessage(read_buffer_, &request)) {
      Fail(absl::InvalidArgumentError(absl::StrCat("malformed ", request.GetDescriptor()->name())));
      return;
    }
    if (request.has_error_detail()) {  // may quote the rejected resource, secrets included
      request.mutable_error_detail()->set_message(
          context_->redact_error_text(request.error_detail().message()));
    }
    {
      absl::MutexLock lock(&mu_);
      got_request_ = true;
    }
    absl::Status status = HandleRequest(request);
    if (!status.ok()) {
      Fail(status);
      return;
    }
    MaybeWrite();
    StartRead(&read_buffer_);
  }

  // The calling thread's request message while it is not in use (a reaction that runs inside
  // another on the same thread gets a message of its own).
  class ReusedRequest {
   public:
    ReusedRequest() : request_(busy_ ? &own_ : &reused_) { busy_ = true; }
    ~ReusedRequest() {
      if (request_ == &reused_) busy_ = false;
    }
    ReusedRequest(const ReusedRequest&) = delete;
    ReusedRequest& operator=(const ReusedRequest&) = delete;
    Request& get() { return *request_; }

   private:
    static thread_local inline Request reused_;
    static thread_local inline bool busy_ = false;
    Request own_;
    Request* request_;
  };

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
    }
    if (!ok) {
      Fail(absl::UnavailableError("write failed"));
      return;
    }
    MaybeWrite();
  }

  void OnDone() override {
    watcher_->Detach();
    if (watching_) context_->cache().Unwatch(watch_key_, node_.id(), watcher_.get());
    absl::Status failure;
    {
      absl::MutexLock lock(&mu_);
      failure = failure_;
    }
    if (!failure.ok()) context_->callbacks().OnStreamFailed(info_, node_, failure);
    context_->callbacks().OnStreamClosed(info_, node_);
    --context_->open_streams;
    delete this;
  }

 private:
  // Called from OnReadDone only (one read at a time), so node_ needs no lock for its writes.
  absl::Status HandleRequest(const Request& request) {
    Callbacks& callbacks = context_->callbacks();
    if (!node_known_) {
      if (!request.has_node()) {
        return absl::InvalidArgumentError("the first request of a stream must name its node");
      }
      node_ = request.node();
      node_known_ = true;
      // Before anything is sent: a node the callbacks refuse gets nothing.
      if (absl::Status allowed = callbacks.OnStreamNode(info_, node_); !allowed.ok()) {
        return allowed;
      }
      const bool ttl = SupportsTtl(node_, !Variant::kDelta);
      WatchStart start = context_->cache().Watch(node_, watcher_);
      watching_ = true;
      watch_key_ = start.key;
      if (ttl) context_->ticker().Add(watcher_);
      absl::MutexLock lock(&mu_);
      state_.set_ttl_supported(ttl);
      if (start.generation > generation_) {
        generation_ = start.generation;
        state_.OnSnapshot(std::move(start.snapshot));
      }
    }
    absl::Status allowed = ReportRequest(callbacks, info_, node_, request);
    if (!allowed.ok()) return allowed;

    absl::StatusOr<Outcome> outcome;
    absl::Time sent_at = absl::InfinitePast();
    {
      absl::MutexLock lock(&mu_);
      outcome = state_.OnRequest(request);
      if (outcome.ok()) {
        auto it = sent_at_.find(outcome->type_url);
        if (it != sent_at_.end()) sent_at = it->second;
      }
    }
    if (!outcome.ok()) return outcome.status();
    AnswerInfo answer{outcome->type_url, "", request.response_nonce(), sent_at, "", ""};
    switch (outcome->kind) {
      case Outcome::Kind::kAck:
        answer.version = outcome->version;
        callbacks.OnAck(info_, node_, answer);
        break;
      case Outcome::Kind::kNack:
        answer.version = outcome->version;
        answer.error = outcome->error;
        answer.running_version = outcome->running_version;
        callbacks.OnNack(info_, node_, answer);
        break;
      case Outcome::Kind::kSubscription:
      case Outcome::Kind::kStale:
        break;
    }
    if (!outcome->holds_current_version.empty()) {
      // A reconnecting client that holds what is served: as good as an ACK of it.
      callbacks.OnAck(info_, node_,
                      AnswerInfo{outcome->type_url, outcome->holds_current_version, "",
                                 absl::InfinitePast(), "", ""});
    }
    return absl::OkStatus();
  }

  // Starts writing the next due response unless a write is under way or the stream finished.
  void MaybeWrite() {
    std::optional<Response> response;
    ResponseInfo info;
    {
      absl::MutexLock lock(&mu_);
      if (writing_ || finished_) return;
      const absl::Time now = absl::Now();
      if (state_.ttl_supported()) state_.OnTick(now);
      response = state_.NextResponse();
      if (!response.has_value()) return;
      writing_ = true;
      write_started_ = now;
      write_buffer_ = Encode(*response);
      info = InfoOf(*response);
      info.encoded_bytes = write_buffer_.Length();
      sent_at_[response->type_url] = now;
    }
    context_->callbacks().OnStreamResponse(info_, node_, info);
    StartWrite(&write_buffer_);
  }

  // The limits of StreamLimits: an error when the stream has outlived one of its deadlines.
  absl::Status CheckDeadlines(bool* write_stalled) {
    const StreamLimits& limits = context_->limits();
    const absl::Time now = absl::Now();
    absl::MutexLock lock(&mu_);
    if (finished_) return absl::OkStatus();
    if (!got_request_ && now - opened_at_ > limits.first_request_timeout) {
      CountRefusal("first_request_timeout", absl::StrCat(info_.peer, " ", info_.method));
      return absl::DeadlineExceededError(
          absl::StrCat("no request within ", absl::FormatDuration(limits.first_request_timeout),
                       " of the stream's opening"));
    }
    if (writing_ && now - write_started_ > limits.send_timeout) {
      *write_stalled = true;
      CountRefusal("send_timeout", absl::StrCat(info_.peer, " node ", node_.id()));
      return absl::DeadlineExceededError(absl::StrCat("no progress writing a response for ",
                                                      absl::FormatDuration(limits.send_timeout),
                                                      ": the client stopped reading"));
    }
    return absl::OkStatus();
  }

  // Ends the stream with `why`, which the callbacks see (OnStreamFailed) when it is done.
  void Fail(const absl::Status& why) {
    {
      absl::MutexLock lock(&mu_);
      if (!finished_ && failure_.ok()) failure_ = why;
    }
    FinishOnce(ToGrpcStatus(why));
  }

  void FinishOnce(const grpc::Status& status) {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      finished_ = true;
    }
    Finish(status);
  }

  StreamContext* const context_;
  grpc::CallbackServerContext* const grpc_context_;
  const StreamInfo info_;
  const absl::Time opened_at_;
  // Registered with the deadline ticker from the start, with the cache once the node is known.
  const std::shared_ptr<StreamWatcher<XdsStream>> watcher_;

  // Confined to the reading side (OnReadDone), which gRPC runs one at a time; read by OnDone
  // after every reaction has finished.
  grpc::ByteBuffer read_buffer_;
  envoy::config::core::v3::Node node_;
  bool node_known_ = false;
  bool watching_ = false;
  std::string watch_key_;

  absl::Mutex mu_;
  typename Variant::State state_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool got_request_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time write_started_ ABSL_GUARDED_BY(mu_);  // of the write under way
  absl::Status failure_ ABSL_GUARDED_BY(mu_);      // why xdsd ended the stream, if it did
  // When the latest response of each type was written (the one an ACK or NACK answers: one
  // response per type is in flight at a time).
  absl::flat_hash_map<std::string, absl::Time> sent_at_ ABSL_GUARDED_BY(mu_);
  grpc::ByteBuffer write_buffer_;  // owned by the write under way
};

}  // namespace xdsd::server
