// The JSON bodies of the fleet API and the REST gateway on any bytes: a reply with a status
// between 200 and 599, never a crash. The first byte picks the endpoint and type, the rest is
// the body.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config_publisher.h"
#include "rest/fleet_api.h"
#include "rest/rest_gateway.h"
#include "xdsd/snapshot_cache.h"

namespace {

constexpr std::string_view kTypes[] = {"clusters", "endpoints", "listeners", "routes",
                                       "secrets",  "runtime",   "nonsense"};

// The built-in demo config, published once: the fleet API is an overlay on it.
struct Daemon {
  Daemon() {
    if (!publisher.Load().ok()) __builtin_trap();
    publisher.PublishTo(&cache);
  }
  xdsd::SnapshotCache cache;
  xdsd::config::ConfigPublisher publisher{""};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string_view type = kTypes[(selector >> 2) % std::size(kTypes)];
  // A fresh daemon for every input: a change one input makes must not hide another's crash.
  Daemon daemon;
  xdsd::rest::FleetApi fleet(&daemon.publisher);
  xdsd::rest::RestGateway gateway(&daemon.cache, nullptr);
  xdsd::rest::HttpReply reply;
  switch (selector % 4) {
    case 0:
      reply = fleet.Put(type, "fuzzed", body);
      break;
    case 1:
      reply = fleet.Post(type, body);
      break;
    case 2:
      reply = gateway.Handle(type, body);
      break;
    default:
      // A body accepted by the fleet API is then served by the gateway.
      if (fleet.Post(type, body).status == 200) reply = gateway.Handle(type, "{}");
      break;
  }
  if (reply.status != 0 && (reply.status < 200 || reply.status > 599)) __builtin_trap();
  return 0;
}
