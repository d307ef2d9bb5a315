// The load generator: N Envoy-like ADS clients in one process, on gRPC's callback client API
// (one ClientBidiReactor per stream, no thread per client).
//
// Each client has its own TCP connection (a channel with a unique channel argument and a local
// subchannel pool), or with --channels K the clients share K channels (HTTP/2 multiplexing). It
// speaks ADS state of the world (--mode sotw) or delta (--mode delta) as Envoy does: wildcard CDS
// and LDS first, then EDS for the clusters the CDS response named and RDS for a fixed list of
// route names ("route-0".. --routes), ACKing each response at once. Responses are scanned by
// hand on the wire (type, version, nonce, resource names); bodies are never decoded.
//
// A fraction of clients are slow readers (--slow-fraction: they subscribe and never read) or
// NACK everything (--nack-fraction). Node ids are "envoy-<i>", "slow-<i>", "nack-<i>": the bench
// servers wait only for "envoy-" nodes.
//
// Commands on stdin, each answered with one line:
//   stats       "loadgen clients=.. streams=.. responses=.. bytes=.. acks=.. nacks=..
//               failed=.. reconnect_responses=.. reconnect_bytes=.. cpu_s=.. rss_mb=.."
//   reconnect   every client closes its stream and opens a new one; a delta client sends the
//               versions it holds (initial_resource_versions). Counted apart as reconnect_*.
//   quit / EOF  cancel every stream and exit (with --duration-s, only quit or the duration)
//
//   loadgen --target 127.0.0.1:18000 --clients 1000 [--channels 0] [--mode sotw|delta]
//           [--slow-fraction 0] [--nack-fraction 0] [--routes 10] [--duration-s 0]
//           [--first-index 0] [--procs 1]
//
// --procs K forks K processes before gRPC starts, each with its share of the clients (node ids
// stay distinct) and its own gRPC threads. The first process forwards every command to all of
// them and answers with one line: the counters summed, cpu_s the CPU of all K together (so the
// report shows how much of the machine the load generator used), rss_mb the sum, procs=K.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/control.h"
#include "common/processes.h"
#include "envoy/config/core/v3/base.pb.h"

namespace xdsd::bench {
namespace {

constexpr std::string_view kCds = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
constexpr std::string_view kEds =
    "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
constexpr std::string_view kLds = "type.googleapis.com/envoy.config.listener.v3.Listener";
constexpr std::string_view kRds = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
constexpr const char* kSotwMethod =
    "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources";
constexpr const char* kDeltaMethod =
    "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources";

struct Options {
  std::string target = "127.0.0.1:18000";
  int clients = 100;
  int channels = 0;  // 0: one per client
  bool delta = false;
  double slow_fraction = 0;
  double nack_fraction = 0;
  int routes = 10;
  int duration_s = 0;   // 0: until stdin closes
  int first_index = 0;  // node ids start at this number (several loadgens, distinct nodes)
  int procs = 1;        // processes sharing the clients
};

// --- Protobuf wire format, by hand ---

void AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void AppendField(std::string& out, int field, std::string_view value) {
  out.push_back(static_cast<char>((field << 3) | 2));
  AppendVarint(out, value.size());
  out.append(value);
}

// Iterates over the fields of one message. Length-delimited values come as views; varints and
// fixed values are skipped.
class WireScanner {
 public:
  explicit WireScanner(std::string_view bytes)
      : p_(reinterpret_cast<const uint8_t*>(bytes.data())), end_(p_ + bytes.size()) {}

  // The next length-delimited field; false at the end (or on malformed input).
  bool Next(int* field, std::string_view* value) {
    while (p_ < end_) {
      uint64_t key = 0;
      if (!Varint(&key)) return false;
      const int wire = static_cast<int>(key & 7);
      *field = static_cast<int>(key >> 3);
      uint64_t length = 0;
      switch (wire) {
        case 0:
          if (!Varint(&length)) return false;
          continue;
        case 1:
          p_ += 8;
          continue;
        case 5:
          p_ += 4;
          continue;
        case 2:
          if (!Varint(&length) || length > static_cast<uint64_t>(end_ - p_)) return false;
          *value = std::string_view(reinterpret_cast<const char*>(p_), length);
          p_ += length;
          return true;
        default:
          return false;
      }
    }
    return false;
  }

 private:
  bool Varint(uint64_t* value) {
    *value = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      const uint8_t byte = *p_++;
      *value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }
  const uint8_t* p_;
  const uint8_t* end_;
};

// The fields of one message that the clients look at.
struct ScannedResponse {
  std::string type_url, version, nonce;
  std::vector<std::pair<std::string, std::string>> resources;  // name, version (delta only)
  std::vector<std::string> removed;
};

// A state-of-the-world DiscoveryResponse. Resource names are read only for clusters (the client
// subscribes to their endpoints).
ScannedResponse ScanSotw(std::string_view bytes) {
  ScannedResponse response;
  WireScanner scanner(bytes);
  int field = 0;
  std::string_view value;
  std::vector<std::string_view> anys;
  while (scanner.Next(&field, &value)) {
    if (field == 1)
      response.version = value;
    else if (field == 2)
      anys.push_back(value);
    else if (field == 4)
      response.type_url = value;
    else if (field == 5)
      response.nonce = value;
  }
  response.resources.reserve(anys.size());
  for (std::string_view any : anys) {
    std::string name;
    if (response.type_url == kCds) {
      WireScanner any_scanner(any);
      while (any_scanner.Next(&field, &value)) {
        if (field != 2) continue;
        WireScanner body(value);
        std::string_view name_view;
        while (body.Next(&field, &name_view)) {
          if (field == 1) {
            name = name_view;
            break;
          }
        }
      }
    }
    response.resources.emplace_back(std::move(name), "");
  }
  return response;
}

ScannedResponse ScanDelta(std::string_view bytes) {
  ScannedResponse response;
  WireScanner scanner(bytes);
  int field = 0;
  std::string_view value;
  while (scanner.Next(&field, &value)) {
    if (field == 1)
      response.version = value;
    else if (field == 4)
      response.type_url = value;
    else if (field == 5)
      response.nonce = value;
    else if (field == 6)
      response.removed.emplace_back(value);
    else if (field == 2) {
      WireScanner resource(value);
      std::pair<std::string, std::string> entry;
      std::string_view part;
      int inner = 0;
      while (resource.Next(&inner, &part)) {
        if (inner == 3)
          entry.first = part;
        else if (inner == 1)
          entry.second = part;
      }
      response.resources.push_back(std::move(entry));
    }
  }
  return response;
}

// Encoded repeated-string fields are the same for most clients (every client gets the same
// cluster names): keep one copy of each distinct block.
class BlockInterner {
 public:
  std::shared_ptr<const std::string> Intern(std::string block) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = blocks_[block];
    if (slot == nullptr) slot = std::make_shared<const std::string>(std::move(block));
    return slot;
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const std::string>> blocks_;
};

BlockInterner& Interner() {
  static auto* interner = new BlockInterner();
  return *interner;
}

grpc::Slice SharedSlice(std::shared_ptr<const std::string> block) {
  auto* owner = new std::shared_ptr<const std::string>(std::move(block));
  return grpc::Slice(
      const_cast<char*>((*owner)->data()), (*owner)->size(),
      [](void* p) { delete static_cast<std::shared_ptr<const std::string>*>(p); }, owner);
}

grpc::ByteBuffer MakeBuffer(std::string head, std::shared_ptr<const std::string> middle,
                            std::string tail) {
  std::vector<grpc::Slice> slices;
  if (!head.empty()) slices.emplace_back(std::move(head));
  if (middle != nullptr && !middle->empty()) slices.push_back(SharedSlice(std::move(middle)));
  if (!tail.empty()) slices.emplace_back(std::move(tail));
  return grpc::ByteBuffer(slices.data(), slices.size());
}

// --- Counters ---

struct Counters {
  std::atomic<int64_t> streams{0}, open{0}, failed{0};
  std::atomic<int64_t> responses[2] = {0, 0}, bytes[2] = {0, 0};
  std::atomic<int64_t> acks{0}, nacks{0};
};
Counters& Count() {
  static auto* counters = new Counters();
  return *counters;
}

// --- Clients ---

class Client;

// One ADS stream of a client. Owned by its client, which keeps every stream it opened (at most
// two) until it is destroyed, so that Cancel() never races with a deletion.
class Stream : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  Stream(Client* client, int phase) : client_(client), phase_(phase) {}
  void Begin(grpc::GenericStub* stub, const char* method, std::vector<grpc::ByteBuffer> first,
             bool read);
  void Send(grpc::ByteBuffer buffer);
  void Cancel() { context_.TryCancel(); }

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  Client* const client_;
  const int phase_;
  grpc::ClientContext context_;
  grpc::ByteBuffer read_buffer_;
  std::mutex mu_;
  std::deque<grpc::ByteBuffer> queue_;  // guarded by mu_; front() is being written
  bool started_ = false;
};

class Client {
 public:
  enum class Kind { kNormal, kSlow, kNack };
  Client(int index, Kind kind, const Options& options, grpc::GenericStub* stub)
      : kind_(kind), options_(options), stub_(stub) {
    const char* prefix = kind == Kind::kSlow ? "slow-" : kind == Kind::kNack ? "nack-" : "envoy-";
    envoy::config::core::v3::Node node;
    node.set_id(prefix + std::to_string(options.first_index + index));
    node.set_cluster("bench-fleet");
    node.set_user_agent_name("envoy");
    auto* version = node.mutable_user_agent_build_version()->mutable_version();
    version->set_major_number(1);
    version->set_minor_number(31);
    version->set_patch(0);
    node.mutable_locality()->set_zone("zone-" + std::to_string(index % 3));
    node_bytes_ = node.SerializeAsString();
    std::string routes;
    for (int r = 0; r < options.routes; ++r) AppendField(routes, 3, "route-" + std::to_string(r));
    route_block_ = Interner().Intern(std::move(routes));
  }

  void Start(int phase) {
    std::lock_guard<std::mutex> lock(mu_);
    StartLocked(phase);
  }

  // Closes the stream; OnStreamDone opens the next one for the reconnect phase.
  void Reconnect() {
    Stream* stream = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      reconnect_ = true;
      stream = stream_;
    }
    if (stream != nullptr) stream->Cancel();  // outside mu_: OnDone takes it
  }
  void Stop() {
    Stream* stream = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      stream = stream_;
    }
    if (stream != nullptr) stream->Cancel();
  }

  void OnStreamDone(Stream* stream, bool ok) {
    std::lock_guard<std::mutex> lock(mu_);
    if (stream_ == stream) stream_ = nullptr;
    if (reconnect_ && !stopping_) {
      reconnect_ = false;
      StartLocked(1);
    }
  }

  // Handles a response; returns the requests to send.
  std::vector<grpc::ByteBuffer> OnResponse(std::string_view bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    return options_.delta ? OnDeltaLocked(ScanDelta(bytes)) : OnSotwLocked(ScanSotw(bytes));
  }

 private:
  struct TypeState {
    std::string acked_version;                 // SotW: the version last ACKed
    std::shared_ptr<const std::string> names;  // encoded names block of the subscription
    bool subscribed = false;
    std::map<std::string, std::string> versions;  // delta: what the client holds
  };

  void StartLocked(int phase) {
    streams_.push_back(std::make_unique<Stream>(this, phase));
    Stream* stream = streams_.back().get();
    stream_ = stream;
    sent_node_ = false;
    if (!options_.delta) {  // a new SotW stream subscribes anew, naming the versions it holds
      rds_requested_ = false;
      types_[std::string(kEds)].names = nullptr;
    }
    std::vector<grpc::ByteBuffer> first;
    if (options_.delta) {
      first.push_back(DeltaSubscribeLocked(kCds, nullptr, /*wildcard=*/true));
      first.push_back(DeltaSubscribeLocked(kLds, nullptr, true));
      if (phase == 1) {  // resubscribe what the client had, with the versions it holds
        if (types_[std::string(kEds)].names != nullptr) {
          first.push_back(DeltaSubscribeLocked(kEds, types_[std::string(kEds)].names, false));
        }
        first.push_back(DeltaSubscribeLocked(kRds, route_block_, false));
      }
    } else {
      first.push_back(
          SotwRequestLocked(kCds, Star(), types_[std::string(kCds)].acked_version, "", false));
      first.push_back(
          SotwRequestLocked(kLds, Star(), types_[std::string(kLds)].acked_version, "", false));
    }
    stream->Begin(stub_, options_.delta ? kDeltaMethod : kSotwMethod, std::move(first),
                  kind_ != Kind::kSlow);
  }

  // The names of a wildcard state-of-the-world subscription: none, as Envoy sends for CDS and
  // LDS (the legacy wildcard; go-control-plane's ADS mode does not take "*").
  static std::shared_ptr<const std::string> Star() { return nullptr; }

  std::string NodeFieldLocked(int field) {
    if (sent_node_) return "";
    sent_node_ = true;
    std::string out;
    AppendField(out, field, node_bytes_);
    return out;
  }

  grpc::ByteBuffer SotwRequestLocked(std::string_view type,
                                     std::shared_ptr<const std::string> names,
                                     const std::string& version, const std::string& nonce,
                                     bool nack) {
    std::string head;
    if (!version.empty()) AppendField(head, 1, version);
    head += NodeFieldLocked(2);
    std::string tail;
    AppendField(tail, 4, type);
    if (!nonce.empty()) AppendField(tail, 5, nonce);
    if (nack) {
      std::string status;
      status.push_back(0x08);  // code = 3 (INVALID_ARGUMENT)
      status.push_back(0x03);
      AppendField(status, 2, "bench: this client rejects every update");
      AppendField(tail, 6, status);
    }
    return MakeBuffer(std::move(head), std::move(names), std::move(tail));
  }

  // A delta subscription: wildcard, or the names in `names` (an encoded block of field 3), with
  // the versions held of the type as initial_resource_versions.
  grpc::ByteBuffer DeltaSubscribeLocked(std::string_view type,
                                        std::shared_ptr<const std::string> names, bool wildcard) {
    std::string head = NodeFieldLocked(1);
    AppendField(head, 2, type);
    if (wildcard) AppendField(head, 3, "*");
    std::string tail;
    for (const auto& [name, version] : types_[std::string(type)].versions) {
      std::string entry;
      AppendField(entry, 1, name);
      AppendField(entry, 2, version);
      AppendField(tail, 5, entry);
    }
    types_[std::string(type)].subscribed = true;
    return MakeBuffer(std::move(head), std::move(names), std::move(tail));
  }

  grpc::ByteBuffer DeltaAckLocked(std::string_view type, const std::string& nonce, bool nack) {
    std::string out = NodeFieldLocked(1);
    AppendField(out, 2, type);
    AppendField(out, 6, nonce);
    if (nack) {
      std::string status;
      status.push_back(0x08);
      status.push_back(0x03);
      AppendField(status, 2, "bench: this client rejects every update");
      AppendField(out, 7, status);
    }
    return MakeBuffer(std::move(out), nullptr, "");
  }

  std::vector<grpc::ByteBuffer> OnSotwLocked(const ScannedResponse& response) {
    std::vector<grpc::ByteBuffer> out;
    const bool nack = kind_ == Kind::kNack;
    TypeState& state = types_[response.type_url];
    if (response.type_url == kCds) {
      std::string block;
      for (const auto& [name, unused] : response.resources) AppendField(block, 3, name);
      auto names = Interner().Intern(std::move(block));
      TypeState& eds = types_[std::string(kEds)];
      if (names != eds.names) {
        eds.names = names;
        out.push_back(SotwRequestLocked(kEds, eds.names, eds.acked_version, eds_nonce_, false));
      }
    }
    if (response.type_url == kLds && !rds_requested_) {
      rds_requested_ = true;
      types_[std::string(kRds)].names = route_block_;
      out.push_back(SotwRequestLocked(kRds, route_block_, "", "", false));
    }
    if (response.type_url == kEds) eds_nonce_ = response.nonce;
    std::shared_ptr<const std::string> names =
        (response.type_url == kCds || response.type_url == kLds) ? Star() : state.names;
    if (!nack) state.acked_version = response.version;
    out.push_back(
        SotwRequestLocked(response.type_url, names, state.acked_version, response.nonce, nack));
    (nack ? Count().nacks : Count().acks)++;
    return out;
  }

  std::vector<grpc::ByteBuffer> OnDeltaLocked(const ScannedResponse& response) {
    std::vector<grpc::ByteBuffer> out;
    const bool nack = kind_ == Kind::kNack;
    TypeState& state = types_[response.type_url];
    if (!nack) {
      for (const auto& [name, version] : response.resources) state.versions[name] = version;
      for (const std::string& name : response.removed) state.versions.erase(name);
    }
    if (response.type_url == kCds) {
      TypeState& eds = types_[std::string(kEds)];
      if (!eds.subscribed) {
        std::string block;
        for (const auto& [name, unused] : response.resources) AppendField(block, 3, name);
        eds.names = Interner().Intern(std::move(block));
        out.push_back(DeltaSubscribeLocked(kEds, eds.names, false));
      }
    }
    if (response.type_url == kLds && !types_[std::string(kRds)].subscribed) {
      out.push_back(DeltaSubscribeLocked(kRds, route_block_, false));
    }
    out.push_back(DeltaAckLocked(response.type_url, response.nonce, nack));
    (nack ? Count().nacks : Count().acks)++;
    return out;
  }

  const Kind kind_;
  const Options& options_;
  grpc::GenericStub* const stub_;
  std::string node_bytes_;
  std::shared_ptr<const std::string> route_block_;

  std::mutex mu_;
  std::vector<std::unique_ptr<Stream>> streams_;
  Stream* stream_ = nullptr;
  bool reconnect_ = false;
  bool stopping_ = false;
  bool sent_node_ = false;
  bool rds_requested_ = false;
  std::string eds_nonce_;
  std::map<std::string, TypeState, std::less<>> types_;
};

void Stream::Begin(grpc::GenericStub* stub, const char* method, std::vector<grpc::ByteBuffer> first,
                   bool read) {
  Count().streams++;
  Count().open++;
  stub->PrepareBidiStreamingCall(&context_, method, grpc::StubOptions(), this);
  StartCall();
  for (auto& buffer : first) Send(std::move(buffer));
  if (read) StartRead(&read_buffer_);
}

void Stream::Send(grpc::ByteBuffer buffer) {
  bool start = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(buffer));
    start = queue_.size() == 1;
  }
  if (start) StartWrite(&queue_.front());
}

void Stream::OnWriteDone(bool ok) {
  grpc::ByteBuffer* next = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.pop_front();
    if (ok && !queue_.empty()) next = &queue_.front();
  }
  if (next != nullptr) StartWrite(next);
}

void Stream::OnReadDone(bool ok) {
  if (!ok) return;
  std::string flat;
  std::vector<grpc::Slice> slices;
  (void)read_buffer_.Dump(&slices);
  size_t size = 0;
  for (const auto& s : slices) size += s.size();
  flat.reserve(size);
  for (const auto& s : slices) flat.append(reinterpret_cast<const char*>(s.begin()), s.size());
  Count().responses[phase_]++;
  Count().bytes[phase_] += static_cast<int64_t>(size);
  for (auto& request : client_->OnResponse(flat)) Send(std::move(request));
  StartRead(&read_buffer_);
}

void Stream::OnDone(const grpc::Status& status) {
  Count().open--;
  if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
    if (Count().failed++ < 5) {
      std::cerr << "stream failed: " << status.error_code() << " " << status.error_message()
                << "\n";
    }
  }
  client_->OnStreamDone(this, status.ok());  // the client owns and deletes the stream
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target, int id) {
  grpc::ChannelArguments args;
  args.SetInt("xdsd.bench.channel_id", id);  // unique arguments: no shared subchannel
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

std::string Fmt(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.3f", value);
  return buffer;
}

int Run(const Options& options) {
  const int channel_count = options.channels > 0 ? options.channels : options.clients;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  for (int c = 0; c < channel_count; ++c) {
    channels.push_back(MakeChannel(options.target, c));
    stubs.push_back(std::make_unique<grpc::GenericStub>(channels.back()));
  }
  std::vector<std::unique_ptr<Client>> clients;
  const int slow = static_cast<int>(options.clients * options.slow_fraction);
  const int nack = static_cast<int>(options.clients * options.nack_fraction);
  for (int i = 0; i < options.clients; ++i) {
    // Spread the slow and NACKing clients over the fleet.
    Client::Kind kind = Client::Kind::kNormal;
    if (slow > 0 && i % (options.clients / slow) == 0 && i / (options.clients / slow) < slow) {
      kind = Client::Kind::kSlow;
    } else if (nack > 0 && i % (options.clients / nack) == 1 &&
               i / (options.clients / nack) < nack) {
      kind = Client::Kind::kNack;
    }
    clients.push_back(std::make_unique<Client>(
        i, kind, options, stubs[static_cast<size_t>(i % channel_count)].get()));
  }
  std::cout << "loadgen starting clients=" << options.clients << " slow=" << slow
            << " nack=" << nack << " channels=" << channel_count << std::endl;
  for (auto& client : clients) client->Start(0);

  auto stats = [&] {
    Counters& c = Count();
    return "loadgen clients=" + std::to_string(options.clients) +
           " open=" + std::to_string(c.open.load()) +
           " streams=" + std::to_string(c.streams.load()) +
           " failed=" + std::to_string(c.failed.load()) +
           " responses=" + std::to_string(c.responses[0].load()) +
           " bytes=" + std::to_string(c.bytes[0].load()) +
           " acks=" + std::to_string(c.acks.load()) + " nacks=" + std::to_string(c.nacks.load()) +
           " reconnect_responses=" + std::to_string(c.responses[1].load()) +
           " reconnect_bytes=" + std::to_string(c.bytes[1].load()) + " cpu_s=" + Fmt(CpuSeconds()) +
           " rss_mb=" + Fmt(RssMb());
  };

  std::mutex done_mu;
  std::condition_variable done_cv;
  bool done = false;
  std::thread input([&] {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (line == "quit") break;
      if (line == "stats") std::cout << stats() << std::endl;
      if (line == "reconnect") {
        for (auto& client : clients) client->Reconnect();
        std::cout << "reconnecting" << std::endl;
      }
    }
    if (options.duration_s > 0 && line != "quit") return;  // with a duration, EOF is not a stop
    std::lock_guard<std::mutex> lock(done_mu);
    done = true;
    done_cv.notify_all();
  });
  input.detach();
  {
    std::unique_lock<std::mutex> lock(done_mu);
    if (options.duration_s > 0) {
      done_cv.wait_for(lock, std::chrono::seconds(options.duration_s), [&] { return done; });
    } else {
      done_cv.wait(lock, [&] { return done; });
    }
  }
  std::cout << stats() << std::endl;
  for (auto& client : clients) client->Stop();
  for (int i = 0; i < 100 && Count().open.load() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::cout.flush();
  // Streams still open (slow readers) are abandoned: the process exits.
  std::_Exit(0);
}

}  // namespace
}  // namespace xdsd::bench

int main(int argc, char** argv) {
  xdsd::bench::Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--target")
      options.target = value;
    else if (flag == "--clients")
      options.clients = std::stoi(value);
    else if (flag == "--channels")
      options.channels = std::stoi(value);
    else if (flag == "--mode")
      options.delta = value == "delta";
    else if (flag == "--slow-fraction")
      options.slow_fraction = std::stod(value);
    else if (flag == "--nack-fraction")
      options.nack_fraction = std::stod(value);
    else if (flag == "--routes")
      options.routes = std::stoi(value);
    else if (flag == "--duration-s")
      options.duration_s = std::stoi(value);
    else if (flag == "--first-index")
      options.first_index = std::stoi(value);
    else if (flag == "--procs")
      options.procs = std::max(1, std::stoi(value));
    else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  if (options.procs > 1) {
    return xdsd::bench::RunInProcesses(options.procs, options.clients, options.first_index,
                                       [&](int clients, int first_index) {
                                         xdsd::bench::Options share = options;
                                         share.clients = clients;
                                         share.first_index = first_index;
                                         return xdsd::bench::Run(share);
                                       });
  }
  return xdsd::bench::Run(options);
}
