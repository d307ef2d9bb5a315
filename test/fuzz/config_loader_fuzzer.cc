// The config loader on any bytes: a Config or an error, never a crash, a hang or a leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<xdsd::config::Config> config = xdsd::config::ParseConfig(text, "fuzz.yaml");
  // An error must say something: the operator reads it.
  if (!config.ok() && config.status().message().empty()) __builtin_trap();
  return 0;
}
