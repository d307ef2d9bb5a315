#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xdsd {

// Every refusal of outside input (a request over a limit, a malformed message, a client that
// stalls, a hostile config) is counted here by reason, so that the admin server can export
// xdsd_refused_total{reason} and operators see what is being refused.
//
// `reason` is a short, fixed label (snake_case, e.g. "grpc_message_too_large",
// "http_body_too_large", "yaml_too_many_nodes"): never text from the input, so that the
// number of series stays bounded. `detail` is for the log only.
//
// Thread-safe; counting is lock-free after a reason's first use.
void CountRefusal(std::string_view reason, std::string_view detail = "");

// Every reason counted so far with its count, by reason.
std::vector<std::pair<std::string, uint64_t>> RefusalCounts();

// Where refusals are logged: the daemon sets a sink (which rate-limits); by default they are
// only counted. Called outside any lock of the counter; must be thread-safe and not block.
using RefusalLogSink = std::function<void(std::string_view reason, std::string_view detail)>;
void SetRefusalLogSink(RefusalLogSink sink);

}  // namespace xdsd
