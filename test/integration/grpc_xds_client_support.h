#pragma once

// What the tests that drive gRPC C++'s own xDS client (a "proxyless" channel, xds:///echo.test)
// share: a backend to reach through it, calls to it (one, or a loop that counts failures), the
// xdsd config and bootstrap it needs, and how to read its state from xdsd's /v1/nodes.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "nlohmann/json.hpp"

namespace xdsd::testing {

inline constexpr char kWhoMethod[] = "/xdsd.test.Echo/Who";

std::string ToString(const grpc::ByteBuffer& buffer);
grpc::ByteBuffer ToByteBuffer(const std::string& text);

// A gRPC server on 127.0.0.1 whose one method, /xdsd.test.Echo/Who (unary, raw bytes), answers
// with the backend's name. A generic service: no .proto needed.
//
// Thread-safe.
class EchoBackend : public grpc::CallbackGenericService {
 public:
  explicit EchoBackend(std::string name) : name_(std::move(name)) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterCallbackGenericService(this);
    server_ = builder.BuildAndStart();
  }
  ~EchoBackend() override {
    if (server_ != nullptr) server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  }

  int port() const { return port_; }
  const std::string& name() const { return name_; }

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    return new WhoReactor(context->method() == kWhoMethod ? name_ : "");
  }

 private:
  // One call: reads the request, answers with the name (or UNIMPLEMENTED for another method).
  class WhoReactor : public grpc::ServerGenericBidiReactor {
   public:
    explicit WhoReactor(std::string answer) : answer_(std::move(answer)) {
      if (answer_.empty()) {
        Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "only /xdsd.test.Echo/Who"));
        return;
      }
      StartRead(&request_);
    }
    void OnReadDone(bool ok) override {
      if (!ok) {
        Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request message"));
        return;
      }
      response_ = ToByteBuffer(answer_);
      StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
    }
    void OnDone() override { delete this; }

   private:
    const std::string answer_;
    grpc::ByteBuffer request_;
    grpc::ByteBuffer response_;
  };

  const std::string name_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// One unary call of Who; the backend's answer, or the call's error.
absl::StatusOr<std::string> CallWho(grpc::GenericStub& stub, absl::Duration timeout);

// The xdsd configuration for a gRPC proxyless client of xds:///echo.test: an API listener
// whose HTTP connection manager takes route echo-route over ADS, which sends everything to
// the EDS cluster echo-cluster, whose one endpoint is the backend.
std::string EchoConfigYaml(int backend_port);

// One EDS cluster of EchoConfigYaml and the port of its one endpoint on 127.0.0.1.
struct EchoCluster {
  std::string name;
  int port = 0;
};
// The same API listener echo.test and route echo-route, whose one route does `route_action`
// (YAML flow style on one line: "{cluster: echo-a}"), and these EDS clusters.
std::string EchoConfigYaml(const std::vector<EchoCluster>& clusters,
                           const std::string& route_action);

// Points GRPC_XDS_BOOTSTRAP at `dir`/bootstrap.json and returns that path. gRPC reads the file
// when the first xds: channel is created in this process, so it can be written later (once
// xdsd's port is known); the variable is set before gRPC starts threads that might read the
// environment.
std::string UseBootstrapFileIn(const std::string& dir);

// Elapsed time in milliseconds, for the timings the scenarios print.
int64_t MillisecondsSince(absl::Time start);

// gRPC's xDS bootstrap: one xDS server at `server_uri` (a target: "127.0.0.1:PORT",
// "ipv4:A,B,C", ...), insecure, and the node.
std::string BootstrapJson(const std::string& server_uri, const std::string& node_id);

// gRPC C++'s XdsClient is process-wide and reads GRPC_XDS_BOOTSTRAP when it is created, so a
// test case with a bootstrap of its own must be the first in its process to open an xds:
// channel. ctest runs each case in a process of its own (gtest_discover_tests); when the whole
// binary runs in one process, the cases after the first run again in a child process of the
// same binary. True when the calling case is the first and can go on in this process.
bool FirstXdsClientUserOfThisProcess();

// Runs the current test case alone in a child process of this binary and fails the current
// case when the child does (its output in the failure message).
void RunThisCaseInAChildProcess();

// The xDS types gRPC C++'s client subscribes to, in ADS order.
const std::vector<std::string>& GrpcClientTypes();

// What /v1/nodes says of `node_id`: its types by type_url (empty when the node is not there).
std::map<std::string, nlohmann::json> NodeTypes(const std::string& nodes_json,
                                                const std::string& node_id);

// True when /v1/nodes shows every type of GrpcClientTypes() SYNCED for `node_id`.
bool AllTypesSynced(const std::map<std::string, nlohmann::json>& types);

// Calls Who back to back (a short pause between calls) on a thread of its own, from
// construction to Stop(), and tallies the outcomes: traffic that is under way whatever the test
// changes meanwhile, so that a failure at any moment of a switch-over is seen.
//
// Thread-safe.
class ContinuousCaller {
 public:
  struct Tally {
    int calls = 0;
    int failures = 0;
    std::map<std::string, int> answers;  // calls answered, by the answering backend's name
    std::vector<std::string> errors;     // the first few failures, each with its time
  };

  explicit ContinuousCaller(const std::shared_ptr<grpc::Channel>& channel)
      : stub_(channel), thread_([this] { Loop(); }) {}
  ~ContinuousCaller() { Stop(); }
  ContinuousCaller(const ContinuousCaller&) = delete;
  ContinuousCaller& operator=(const ContinuousCaller&) = delete;

  // Ends the calls: returns once the last one completed.
  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }

  Tally tally() const {
    absl::MutexLock lock(&mu_);
    return tally_;
  }

 private:
  static constexpr int kErrorsKept = 10;

  void Loop() {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) return;
      }
      absl::StatusOr<std::string> answer = CallWho(stub_, absl::Seconds(2));
      {
        absl::MutexLock lock(&mu_);
        ++tally_.calls;
        if (answer.ok()) {
          ++tally_.answers[*answer];
        } else {
          ++tally_.failures;
          if (tally_.errors.size() < kErrorsKept) {
            tally_.errors.push_back(
                absl::StrCat(absl::FormatTime("%H:%M:%E3S", absl::Now(), absl::LocalTimeZone()),
                             " ", answer.status().ToString()));
          }
        }
      }
      absl::SleepFor(absl::Milliseconds(5));  // pacing only: about 150 calls a second
    }
  }

  grpc::GenericStub stub_;  // constant after construction; its calls are thread-safe
  mutable absl::Mutex mu_;
  Tally tally_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts once the members it uses exist
};

std::string Describe(const ContinuousCaller::Tally& tally);

}  // namespace xdsd::testing
