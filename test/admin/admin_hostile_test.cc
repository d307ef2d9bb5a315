// Slow and oversized clients against the admin HTTP server (ctest label "hostile").
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "admin/admin_server.h"
#include "httplib.h"
#include "support/proc_status.h"
#include "xdsd/refusals.h"

namespace xdsd::admin {
namespace {

using ::xdsd::testing::ProcStatusKib;

int ConnectTo(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// How often `reason` was refused so far.
uint64_t Refused(const std::string& reason) {
  for (const auto& [name, count] : RefusalCounts()) {
    if (name == reason) return count;
  }
  return 0;
}

TEST(AdminHostileTest, HealthzAnswersWhileAHundredSlowClientsHoldConnections) {
  SnapshotCache cache;
  AdminServer admin(&cache);
  absl::StatusOr<int> port = admin.Start("127.0.0.1", 0);
  ASSERT_TRUE(port.ok()) << port.status();
  std::vector<int> slow;
  for (int i = 0; i < 100; ++i) {
    const int fd = ConnectTo(*port);
    ASSERT_GE(fd, 0);
    // Half a request: the request line and one header, never the blank line that ends them.
    const std::string start = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    ASSERT_EQ(send(fd, start.data(), start.size(), MSG_NOSIGNAL), ssize_t(start.size()));
    slow.push_back(fd);
  }
  httplib::Client client("127.0.0.1", *port);
  const auto begin = std::chrono::steady_clock::now();
  httplib::Result health = client.Get("/healthz");
  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - begin);
  std::printf("/healthz answered in %.3f ms with 100 slow clients connected\n",
              elapsed.count() / 1000.0);
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_LT(elapsed, std::chrono::seconds(1));
  for (int fd : slow) close(fd);
}

TEST(AdminHostileTest, ASlowRequestIsCutAtItsDeadline) {
  SnapshotCache cache;
  HttpServerOptions options;
  options.request_timeout = absl::Milliseconds(300);
  AdminServer admin(&cache, options);
  absl::StatusOr<int> port = admin.Start("127.0.0.1", 0);
  ASSERT_TRUE(port.ok()) << port.status();
  const int fd = ConnectTo(*port);
  ASSERT_GE(fd, 0);
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  const std::string start = "GET /healthz HTTP/1.1\r\n";
  ASSERT_EQ(send(fd, start.data(), start.size(), MSG_NOSIGNAL), ssize_t(start.size()));
  const auto begin = std::chrono::steady_clock::now();
  // Trickling a header every 100 ms does not keep the connection past its deadline.
  bool closed = false;
  for (int i = 0; i < 40 && !closed; ++i) {
    const std::string header = "X-Slow: 1\r\n";
    if (send(fd, header.data(), header.size(), MSG_NOSIGNAL) < 0) closed = true;
    pollfd poll_fd{fd, POLLIN, 0};
    if (poll(&poll_fd, 1, 100) > 0) {
      char buffer[256];
      if (recv(fd, buffer, sizeof(buffer), 0) <= 0) closed = true;
    }
  }
  const auto elapsed = std::chrono::steady_clock::now() - begin;
  close(fd);
  EXPECT_TRUE(closed);
  EXPECT_LT(elapsed, std::chrono::seconds(3));
  EXPECT_GE(Refused("http_request_timeout"), 1u);
}

TEST(AdminHostileTest, AFiveMibBodyIsRefusedWith413AndNotKept) {
  SnapshotCache cache;
  AdminServer admin(&cache);
  absl::StatusOr<int> port = admin.Start("127.0.0.1", 0);
  ASSERT_TRUE(port.ok()) << port.status();
  // The headers announce 5 MiB; the answer comes before the body is sent, and it is 413.
  const long before = ProcStatusKib("VmRSS");
  const int fd = ConnectTo(*port);
  ASSERT_GE(fd, 0);
  const std::string head =
      "POST /v1/fleet/clusters HTTP/1.1\r\nHost: x\r\nContent-Length: 5242880\r\n\r\n";
  ASSERT_EQ(send(fd, head.data(), head.size(), MSG_NOSIGNAL), ssize_t(head.size()));
  const std::string chunk(64 << 10, 'x');
  for (int i = 0; i < 80; ++i) {
    if (send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) < 0) break;  // closed by the server
  }
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  char buffer[512] = {};
  const ssize_t got = recv(fd, buffer, sizeof(buffer) - 1, 0);
  close(fd);
  ASSERT_GT(got, 0);
  EXPECT_EQ(std::string(buffer).rfind("HTTP/1.1 413", 0), 0u) << buffer;
  const long grown = ProcStatusKib("VmRSS") - before;
  std::printf("resident set grew by %ld KiB around a refused 5 MiB body\n", grown);
  EXPECT_LT(grown, 4 * 1024) << "the server kept the body";
  EXPECT_GE(Refused("http_body_too_large"), 1u);
}

TEST(AdminHostileTest, ListensOnLoopbackWhenGivenTheDefaultAddress) {
  SnapshotCache cache;
  AdminServer admin(&cache);
  absl::StatusOr<int> port = admin.Start("127.0.0.1", 0);
  ASSERT_TRUE(port.ok()) << port.status();
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  char wanted[32];
  std::snprintf(wanted, sizeof(wanted), "0100007F:%04X 00000000:0000 0A", *port);
  bool found = false;
  while (std::getline(tcp, line)) found = found || line.find(wanted) != std::string::npos;
  EXPECT_TRUE(found) << "no listening socket on 127.0.0.1:" << *port;
}

}  // namespace
}  // namespace xdsd::admin
