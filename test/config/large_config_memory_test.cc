// A large config is loaded without holding it as a tree: the loader's peak memory stays a small
// multiple of the file's size, for JSON and YAML alike (reading the whole file as one yaml-cpp
// document took over 60 times its size).

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "config/config_loader.h"
#include "gtest/gtest.h"
#include "support/proc_status.h"

namespace xdsd::config {
namespace {

using ::xdsd::testing::ProcStatusKib;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

// Static clusters with one endpoint each, as bench/big_config.py writes them.
std::string ClustersJson(int count) {
  std::string text = "{\"resources\": {\"clusters\": [\n";
  for (int c = 0; c < count; ++c) {
    const std::string name = absl::StrCat("svc-", c, ".internal");
    absl::StrAppend(&text, c == 0 ? "" : ",\n", "{\"name\": \"", name,
                    "\", \"connect_timeout\": \"1s\", \"type\": \"STATIC\", \"load_assignment\": "
                    "{\"cluster_name\": \"",
                    name,
                    "\", \"endpoints\": [{\"lb_endpoints\": [{\"endpoint\": {\"address\": "
                    "{\"socket_address\": {\"address\": \"10.0.",
                    c / 256 % 256, ".", c % 256, "\", \"port_value\": 8080}}}}]}]}}");
  }
  return text + "\n]}}\n";
}

std::string ClustersYaml(int count) {
  std::string text = "resources:\n  clusters:\n";
  for (int c = 0; c < count; ++c) {
    const std::string name = absl::StrCat("svc-", c, ".internal");
    absl::StrAppend(&text, "  - name: ", name, "\n    connect_timeout: 1s\n    type: STATIC\n",
                    "    load_assignment:\n      cluster_name: ", name, "\n",
                    "      endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: ",
                    "{address: 10.0.", c / 256 % 256, ".", c % 256, ", port_value: 8080}}}}]}]\n");
  }
  return text;
}

// Loads `text` and returns how far the peak resident size rose above the size before, in KiB.
long PeakGrowthKib(const std::string& text, const std::string& file_name, int clusters) {
  // The Envoy API's descriptors are built on first use: not part of what is measured.
  EXPECT_TRUE(LoadDemoConfig().ok());
  // Resets VmHWM to the current size (Linux 4.0 and later).
  if (const int fd = open("/proc/self/clear_refs", O_WRONLY); fd >= 0) {
    EXPECT_EQ(write(fd, "5", 1), 1);
    close(fd);
  }
  const long before = ProcStatusKib("VmRSS");
  absl::StatusOr<Config> config = ParseConfig(text, file_name);
  EXPECT_TRUE(config.ok()) << config.status();
  if (config.ok()) {
    EXPECT_EQ(config->default_snapshot->Resources(kClusterType).size(),
              static_cast<size_t>(clusters));
  }
  const long growth = ProcStatusKib("VmHWM") - before;
  std::cout << file_name << ": " << text.size() / 1024 << " KiB of text, peak +" << growth
            << " KiB\n";
  return growth;
}

// Under AddressSanitizer every allocation carries shadow and red zones and freed memory waits in
// a quarantine: the resident size says nothing about the loader there.
constexpr long kMaxPeakPerTextByte = 20;

TEST(LargeConfigMemoryTest, AJsonConfigPeaksAtASmallMultipleOfItsSize) {
  constexpr int kClusters = 16'000;  // about 4 MB
  const std::string text = ClustersJson(kClusters);
  const long growth = PeakGrowthKib(text, "big.json", kClusters);
  if (!kSanitized) {
    EXPECT_LT(growth, kMaxPeakPerTextByte * static_cast<long>(text.size() / 1024));
  }
}

TEST(LargeConfigMemoryTest, AYamlConfigPeaksAtASmallMultipleOfItsSize) {
  constexpr int kClusters = 16'000;
  const std::string text = ClustersYaml(kClusters);
  const long growth = PeakGrowthKib(text, "big.yaml", kClusters);
  if (!kSanitized) {
    EXPECT_LT(growth, kMaxPeakPerTextByte * static_cast<long>(text.size() / 1024));
  }
}

}  // namespace
}  // namespace xdsd::config
