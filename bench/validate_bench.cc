// Validation against parsing: the bench workload (10,000 clusters with one load assignment of
// 10 endpoints each by default: 100,000 endpoints) written as Envoy's JSON, parsed the way the
// config loader and the fleet API parse a resource (EnvoyApi::JsonToBinary, then a dynamic
// message of the whole API), and then checked against the API's validation rules
// (api::ValidateResource). Building the JSON is not timed.
//
//   validate_bench [--clusters 10000] [--endpoints 10] [--repeat 3]
//
// Prints one line: "validate clusters=.. endpoints=.. parse_ms=.. validate_ms=.. ratio=.."
// (best of --repeat runs each; ratio = validate / parse).

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/clock.h"
#include "api/envoy_api.h"
#include "api/validate_resource.h"
#include "common/workload.h"
#include "google/protobuf/util/json_util.h"

namespace xdsd::bench {
namespace {

struct Input {
  std::string type_name;
  std::string json;
};

int Run(int clusters, int endpoints, int repeat) {
  std::vector<Input> inputs;
  auto add = [&inputs](const google::protobuf::Message& message) {
    Input input{message.GetDescriptor()->full_name(), ""};
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(message, &input.json, options);
    inputs.push_back(std::move(input));
  };
  for (int i = 0; i < clusters; ++i) {
    add(MakeCluster(i));
    add(MakeEndpoints(i, endpoints, 0));
  }
  const api::EnvoyApi& api = api::EnvoyApi::Get();
  double best_parse = 1e18, best_validate = 1e18;
  size_t violations = 0;
  for (int r = 0; r < repeat; ++r) {
    absl::Time start = absl::Now();
    std::vector<std::unique_ptr<google::protobuf::Message>> messages;
    messages.reserve(inputs.size());
    for (const Input& input : inputs) {
      absl::StatusOr<std::string> bytes = api.JsonToBinary(input.type_name, input.json);
      messages.push_back(api.NewMessage(input.type_name));
      if (!bytes.ok() || !messages.back()->ParseFromString(*bytes)) {
        std::fprintf(stderr, "parse failed: %s\n", std::string(bytes.status().message()).c_str());
        return 1;
      }
    }
    best_parse = std::min(best_parse, absl::ToDoubleMilliseconds(absl::Now() - start));

    start = absl::Now();
    violations = 0;
    for (const auto& message : messages) violations += api::ValidateResource(*message).size();
    best_validate = std::min(best_validate, absl::ToDoubleMilliseconds(absl::Now() - start));
  }
  std::printf(
      "validate clusters=%d endpoints=%d violations=%zu parse_ms=%.1f validate_ms=%.1f "
      "ratio=%.3f\n",
      clusters, clusters * endpoints, violations, best_parse, best_validate,
      best_validate / best_parse);
  return violations == 0 ? 0 : 1;
}

}  // namespace
}  // namespace xdsd::bench

int main(int argc, char** argv) {
  const xdsd::bench::BenchFlags flags = xdsd::bench::ParseBenchFlags(argc, argv, {10000, 10, 3});
  return xdsd::bench::Run(flags.clusters, flags.endpoints, flags.repeat);
}
