// A gRPC C++ proxyless client for tests written in other languages: dials xds:///TARGET (the
// bootstrap named by GRPC_XDS_BOOTSTRAP) and calls /xdsd.test.Echo/Echo (echo.proto of the
// node tests) every INTERVAL_MS milliseconds, for ever, printing one JSON line per call:
//   {"client":"grpc-cpp","at":MS,"ok":true,"backend":"A"}
//   {"client":"grpc-cpp","at":MS,"ok":false,"error":"UNAVAILABLE: ..."}
// It stops when its standard input closes, so that it never outlives the test that started it.
//
// Usage: xds_echo_client TARGET [INTERVAL_MS]

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "nlohmann/json.hpp"

namespace {

constexpr char kMethod[] = "/xdsd.test.Echo/Echo";

// EchoRequest{message: "ping"} in the wire format: field 1, length-delimited.
std::string EchoRequestBytes() { return std::string("\x0a\x04ping", 6); }

// EchoReply.backend (field 1) from the wire format, or "" when absent or malformed.
std::string BackendOf(const std::string& reply) {
  size_t at = 0;
  while (at + 2 <= reply.size()) {
    const auto tag = static_cast<unsigned char>(reply[at]);
    const auto length = static_cast<unsigned char>(reply[at + 1]);
    if ((tag & 7) != 2 || length > 127 || at + 2 + length > reply.size()) return "";
    if (tag >> 3 == 1) return reply.substr(at + 2, length);
    at += 2 + length;
  }
  return "";
}

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return "";
  std::string text;
  for (const grpc::Slice& slice : slices) {
    text.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return text;
}

nlohmann::json CallOnce(grpc::GenericStub& stub) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(3)));
  const grpc::Slice slice(EchoRequestBytes());
  const grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(&context, kMethod, grpc::StubOptions(), &request, &response,
                 [&](const grpc::Status& result) {
                   const std::lock_guard<std::mutex> lock(mu);
                   status = result;
                   done = true;
                   cv.notify_one();
                 });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  nlohmann::json line = {{"client", "grpc-cpp"}, {"at", absl::ToUnixMillis(absl::Now())}};
  if (status.ok()) {
    line["ok"] = true;
    line["backend"] = BackendOf(ToString(response));
  } else {
    line["ok"] = false;
    line["error"] = absl::StrCat(status.error_code(), ": ", status.error_message());
  }
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s TARGET [INTERVAL_MS]\n", argv[0]);
    return 2;
  }
  int interval_ms = 100;
  if (argc == 3 && (!absl::SimpleAtoi(argv[2], &interval_ms) || interval_ms < 1)) {
    std::fprintf(stderr, "invalid INTERVAL_MS: %s\n", argv[2]);
    return 2;
  }
  // The calls are paced by waiting for standard input to close, at most INTERVAL_MS each time:
  // the program ends as soon as its test lets go of it.
  std::mutex mu;
  std::condition_variable closed_cv;
  bool stdin_closed = false;
  std::thread watch_stdin([&] {
    char byte;
    while (read(STDIN_FILENO, &byte, 1) > 0) {
    }
    const std::lock_guard<std::mutex> lock(mu);
    stdin_closed = true;
    closed_cv.notify_all();
  });
  watch_stdin.detach();

  auto channel =
      grpc::CreateChannel(absl::StrCat("xds:///", argv[1]), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  for (;;) {
    const std::string line = CallOnce(stub).dump();
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    std::unique_lock<std::mutex> lock(mu);
    if (closed_cv.wait_for(lock, std::chrono::milliseconds(interval_ms),
                           [&] { return stdin_closed; })) {
      break;
    }
  }
  std::_Exit(0);  // the channel's threads need no orderly end
}
