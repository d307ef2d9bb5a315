// The raw floor: a gRPC C++ callback server that does the least an ADS (state of the world)
// server can do. Each type's DiscoveryResponse is built once per version as one byte string and
// written as is to every stream (nonce = version, so the bytes need no per-stream edit); requests
// are parsed only to learn the node, the types asked for and the ACKs. No names, no protocol
// state beyond "latest response per type, one write in flight per stream". An endpoint change
// goes to the open streams as a response with the changed assignments only (as xdsd sends it).
//
//   floor_server --port 18001 --clusters 10000 --endpoints 10 --listeners 10
//
// Same control commands on stdin as every bench server (common/control.h).

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_callback.h>

#include <array>
#include <atomic>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/control.h"
#include "common/workload.h"
#include "envoy/service/discovery/v3/discovery.pb.h"
#include "xdsd/resource.h"

namespace xdsd::bench {
namespace {

constexpr int kTypes = 4;  // CDS, EDS, LDS, RDS: the order writes go in
const std::array<std::string, kTypes> kTypeUrls = {
    std::string(kClusterType), std::string(kEndpointType), std::string(kListenerType),
    std::string(kRouteType)};

int TypeIndex(const std::string& type_url) {
  for (int t = 0; t < kTypes; ++t) {
    if (kTypeUrls[t] == type_url) return t;
  }
  return -1;
}

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

// One version of one type: the response bytes every stream gets.
struct Prebuilt {
  std::string version;
  grpc::ByteBuffer buffer;
};

std::shared_ptr<const Prebuilt> BuildResponse(const std::string& type_url,
                                              const std::string& version,
                                              const std::vector<std::string>& any_bytes) {
  std::string bytes;
  AppendField(bytes, 1, version);
  for (const std::string& any : any_bytes) AppendField(bytes, 2, any);
  AppendField(bytes, 4, type_url);
  AppendField(bytes, 5, version);  // nonce
  auto prebuilt = std::make_shared<Prebuilt>();
  prebuilt->version = version;
  grpc::Slice slice(std::move(bytes));
  prebuilt->buffer = grpc::ByteBuffer(&slice, 1);
  return prebuilt;
}

class FloorService;

class FloorStream : public grpc::ServerGenericBidiReactor {
 public:
  FloorStream(FloorService* service);
  void Offer(int type, std::shared_ptr<const Prebuilt> response);
  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;

 private:
  void MaybeWrite();

  FloorService* const service_;
  grpc::ByteBuffer read_buffer_;
  std::string node_id_;
  absl::Mutex mu_;
  std::array<bool, kTypes> subscribed_ ABSL_GUARDED_BY(mu_) = {};
  std::array<std::shared_ptr<const Prebuilt>, kTypes> latest_ ABSL_GUARDED_BY(mu_);
  std::array<std::shared_ptr<const Prebuilt>, kTypes> sent_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ByteBuffer write_buffer_;
};

class FloorService : public grpc::CallbackGenericService, public BenchTarget {
 public:
  FloorService(AckTracker* tracker, WorkloadSize size)
      : tracker_(tracker), size_(size), generations_(size.clusters, 0) {
    std::vector<std::string> clusters, listeners, routes;
    for (int i = 0; i < size.clusters; ++i) {
      clusters.push_back(Any(kClusterType, MakeCluster(i).SerializeAsString()));
      endpoints_.push_back(
          Any(kEndpointType, MakeEndpoints(i, size.endpoints_per_cluster, 0).SerializeAsString()));
    }
    for (int i = 0; i < size.listeners; ++i) {
      listeners.push_back(Any(kListenerType, MakeListener(i).SerializeAsString()));
      routes.push_back(Any(kRouteType, MakeRoute(i, size.clusters).SerializeAsString()));
    }
    absl::MutexLock lock(&mu_);
    latest_[0] = BuildResponse(kTypeUrls[0], "cds-1", clusters);
    latest_[1] = BuildResponse(kTypeUrls[1], "eds-1", endpoints_);
    latest_[2] = BuildResponse(kTypeUrls[2], "lds-1", listeners);
    latest_[3] = BuildResponse(kTypeUrls[3], "rds-1", routes);
  }

  TypeVersions Versions() {
    absl::MutexLock lock(&mu_);
    TypeVersions versions;
    for (int t = 0; t < kTypes; ++t) versions[kTypeUrls[t]] = latest_[t]->version;
    return versions;
  }

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    if (context->method() !=
        "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources") {
      class Refuse : public grpc::ServerGenericBidiReactor {
       public:
        Refuse() { Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "floor: SotW ADS only")); }
        void OnDone() override { delete this; }
      };
      return new Refuse();
    }
    tracker_->OnStreamOpen();
    return new FloorStream(this);
  }

  void Add(FloorStream* stream) {
    absl::MutexLock lock(&mu_);
    streams_.insert(stream);
    ++open_;
  }
  void Remove(FloorStream* stream) {
    absl::MutexLock lock(&mu_);
    streams_.erase(stream);
    --open_;
  }
  std::shared_ptr<const Prebuilt> Latest(int type) {
    absl::MutexLock lock(&mu_);
    return latest_[type];
  }
  AckTracker* tracker() { return tracker_; }

  TypeVersions PublishEndpointChange(const std::vector<int>& clusters) override {
    for (int i : clusters) {
      endpoints_[i] =
          Any(kEndpointType,
              MakeEndpoints(i, size_.endpoints_per_cluster, ++generations_[i]).SerializeAsString());
    }
    // A stream that opens from now on gets every assignment; the open ones (which hold the
    // rest) get the changed ones only, as xdsd sends them (PROTOCOL 32). In W2 the same
    // cluster changes every time, so a newer partial response never drops an older change.
    const std::string version = absl::StrCat("eds-", ++eds_version_);
    auto response = BuildResponse(kTypeUrls[1], version, endpoints_);
    std::vector<std::string> changed;
    for (int i : clusters) changed.push_back(endpoints_[i]);
    auto partial = BuildResponse(kTypeUrls[1], version, changed);
    {
      absl::MutexLock lock(&mu_);
      latest_[1] = response;
      for (FloorStream* stream : streams_) stream->Offer(1, partial);
    }
    return Versions();
  }
  int64_t OpenStreams() override {
    absl::MutexLock lock(&mu_);
    return open_;
  }
  int clusters() const override { return size_.clusters; }

 private:
  static std::string Any(std::string_view type_url, const std::string& value) {
    std::string any;
    AppendField(any, 1, type_url);
    AppendField(any, 2, value);
    return any;
  }

  AckTracker* const tracker_;
  const WorkloadSize size_;
  std::vector<uint64_t> generations_;  // confined to the control thread
  std::vector<std::string> endpoints_;
  uint64_t eds_version_ = 1;
  absl::Mutex mu_;
  std::array<std::shared_ptr<const Prebuilt>, kTypes> latest_ ABSL_GUARDED_BY(mu_);
  std::set<FloorStream*> streams_ ABSL_GUARDED_BY(mu_);
  int64_t open_ ABSL_GUARDED_BY(mu_) = 0;
};

FloorStream::FloorStream(FloorService* service) : service_(service) {
  service_->Add(this);
  StartRead(&read_buffer_);
}

void FloorStream::Offer(int type, std::shared_ptr<const Prebuilt> response) {
  {
    absl::MutexLock lock(&mu_);
    latest_[type] = std::move(response);
  }
  MaybeWrite();
}

void FloorStream::MaybeWrite() {
  {
    absl::MutexLock lock(&mu_);
    if (writing_ || done_) return;
    int next = -1;
    for (int t = 0; t < kTypes && next < 0; ++t) {
      if (subscribed_[t] && latest_[t] != nullptr && latest_[t] != sent_[t]) next = t;
    }
    if (next < 0) return;
    sent_[next] = latest_[next];
    write_buffer_ = sent_[next]->buffer;  // shares the slices
    writing_ = true;
  }
  StartWrite(&write_buffer_);
}

void FloorStream::OnReadDone(bool ok) {
  if (!ok) {
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
    }
    Finish(grpc::Status::OK);
    return;
  }
  envoy::service::discovery::v3::DiscoveryRequest request;
  std::vector<grpc::Slice> slices;
  (void)read_buffer_.Dump(&slices);
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  request.ParseFromString(bytes);
  if (node_id_.empty()) node_id_ = request.node().id();
  const int type = TypeIndex(request.type_url());
  if (type >= 0) {
    if (!request.response_nonce().empty() && !request.has_error_detail()) {
      service_->tracker()->OnAck(node_id_, request.type_url(), request.version_info());
    }
    bool first = false;
    {
      absl::MutexLock lock(&mu_);
      first = !subscribed_[type];
      subscribed_[type] = true;
    }
    if (first) Offer(type, service_->Latest(type));
  }
  StartRead(&read_buffer_);
}

void FloorStream::OnWriteDone(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) done_ = true;
  }
  if (ok) MaybeWrite();
}

void FloorStream::OnDone() {
  service_->Remove(this);
  if (!node_id_.empty()) service_->tracker()->OnNodeClosed(node_id_);
  delete this;
}

}  // namespace
}  // namespace xdsd::bench

int main(int argc, char** argv) {
  int port = 18001;
  xdsd::bench::WorkloadSize size;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (flag == "--port")
      port = value;
    else if (flag == "--clusters")
      size.clusters = value;
    else if (flag == "--endpoints")
      size.endpoints_per_cluster = value;
    else if (flag == "--listeners")
      size.listeners = value;
    else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  xdsd::bench::AckTracker tracker;
  const absl::Time start = absl::Now();
  xdsd::bench::FloorService service(&tracker, size);
  tracker.Publish(service.Versions());
  const double build_ms = absl::ToDoubleMilliseconds(absl::Now() - start);
  grpc::ServerBuilder builder;
  int bound = 0;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials(),
                           &bound);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  builder.RegisterCallbackGenericService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    std::cerr << "cannot listen on port " << port << "\n";
    return 1;
  }
  std::cout << "ready port=" << bound << " build_ms=" << build_ms << std::endl;
  xdsd::bench::RunControlLoop(service, tracker);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  return 0;
}
