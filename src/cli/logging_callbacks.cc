#include "cli/logging_callbacks.h"

#include <memory>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"
#include "xdsd/refusals.h"
#include "xdsd/resource.h"

namespace xdsd::cli {
namespace {

// At most this many refusals are logged a second (all are counted in xdsd_refused_total).
constexpr int kRefusalLogsPerSecond = 10;

// The level of a log line, spelled as --log-level spells it ("warn", not spdlog's "warning"),
// padded to 5 characters.
class LevelNameFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm& /*time*/,
              spdlog::memory_buf_t& out) override {
    std::string_view name = "info ";
    switch (message.level) {
      case spdlog::level::trace:
        name = "trace";
        break;
      case spdlog::level::debug:
        name = "debug";
        break;
      case spdlog::level::warn:
        name = "warn ";
        break;
      case spdlog::level::err:
        name = "error";
        break;
      case spdlog::level::critical:
        name = "critical";
        break;
      default:
        break;
    }
    out.append(name.data(), name.data() + name.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelNameFlag>();
  }
};

// "[a, b]", or "[*]"-like wildcard forms as the client sent them; "[]" for none.
// At most the first 10 names and how many there are in all: a client asking for 100,000
// names must not write megabytes of log per request.
template <typename Names>
std::string NameList(const Names& names) {
  constexpr int kShown = 10;
  const int count = static_cast<int>(names.size());
  if (count <= kShown) return absl::StrCat("[", absl::StrJoin(names, ", "), "]");
  return absl::StrCat("[", absl::StrJoin(names.begin(), names.begin() + kShown, ", "), ", ... (",
                      count, " names)]");
}

// The node as logged: its id, and its cluster when it has one.
std::string NodeLabel(const envoy::config::core::v3::Node& node) {
  if (node.id().empty() && node.cluster().empty()) return "(unknown)";
  if (node.cluster().empty()) return node.id();
  return absl::StrCat(node.id(), " (cluster ", node.cluster(), ")");
}

}  // namespace

void SetUpLogging(spdlog::level::level_enum level) {
  auto logger = std::make_shared<spdlog::logger>(
      "xdsd", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<LevelNameFlag>('*').set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%*%$ %v");
  logger->set_formatter(std::move(formatter));
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);  // stderr: every line is visible at once
  spdlog::set_default_logger(std::move(logger));
  // One line per refusal, at most kRefusalLogsPerSecond a second: a flood of hostile input
  // must not become a flood of log.
  SetRefusalLogSink([](std::string_view reason, std::string_view detail) {
    static absl::Mutex mu(absl::kConstInit);
    static absl::Time window = absl::InfinitePast();
    static int in_window = 0;
    static int suppressed = 0;
    {
      absl::MutexLock lock(&mu);
      const absl::Time now = absl::Now();
      if (now - window >= absl::Seconds(1)) {
        if (suppressed > 0) spdlog::warn("refused: {} more refusals not logged", suppressed);
        window = now;
        in_window = 0;
        suppressed = 0;
      }
      if (++in_window > kRefusalLogsPerSecond) {
        ++suppressed;
        return;
      }
    }
    spdlog::warn("refused ({}): {}", reason, detail);
  });
}

absl::Status LoggingCallbacks::OnStreamOpen(const StreamInfo& stream) {
  spdlog::info("stream {} opened: peer {} method {}", stream.id, stream.peer, stream.method);
  return absl::OkStatus();
}

void LoggingCallbacks::OnStreamClosed(const StreamInfo& stream,
                                      const envoy::config::core::v3::Node& node) {
  spdlog::info("stream {} closed: node {} peer {} method {}", stream.id, NodeLabel(node),
               stream.peer, stream.method);
}

absl::Status LoggingCallbacks::OnStreamRequest(
    const StreamInfo& stream, const envoy::config::core::v3::Node& node,
    const envoy::service::discovery::v3::DiscoveryRequest& request) {
  const std::string_view type = TypeShortName(request.type_url());
  if (request.has_error_detail()) {
    // A NACK: the client rejected the response with this nonce and keeps what it had
    // (version_info is the last version it accepted).
    spdlog::warn(
        "stream {} NACK from node {}: {} response nonce {} rejected (still running version "
        "\"{}\"): {}",
        stream.id, NodeLabel(node), type, request.response_nonce(), request.version_info(),
        request.error_detail().message());
    return absl::OkStatus();
  }
  // The first request of a type subscribes; later ones (with the nonce of a response) ACK it,
  // possibly changing the subscription too.
  spdlog::info("stream {} {} from node {}: {} version \"{}\" nonce \"{}\" names {}", stream.id,
               request.response_nonce().empty() ? "request" : "ACK", NodeLabel(node), type,
               request.version_info(), request.response_nonce(),
               NameList(request.resource_names()));
  return absl::OkStatus();
}

void LoggingCallbacks::OnStreamResponse(const StreamInfo& stream,
                                        const envoy::config::core::v3::Node& node,
                                        const ResponseInfo& response) {
  spdlog::info("stream {} response to node {}: {} version \"{}\" nonce \"{}\" {} resource(s)",
               stream.id, NodeLabel(node), TypeShortName(response.type_url), response.version,
               response.nonce, response.resource_names.size());
  spdlog::debug("stream {} response resources: {}", stream.id, NameList(response.resource_names));
}

absl::Status LoggingCallbacks::OnFetchRequest(
    const envoy::service::discovery::v3::DiscoveryRequest& request) {
  spdlog::info("fetch request from node {}: {} version \"{}\" names {}", NodeLabel(request.node()),
               TypeShortName(request.type_url()), request.version_info(),
               NameList(request.resource_names()));
  return absl::OkStatus();
}

void LoggingCallbacks::OnFetchResponse(
    const envoy::service::discovery::v3::DiscoveryRequest& request, const ResponseInfo& response) {
  spdlog::info("fetch response to node {}: {} version \"{}\" {} resource(s)",
               NodeLabel(request.node()), TypeShortName(response.type_url), response.version,
               response.resource_names.size());
}

}  // namespace xdsd::cli
