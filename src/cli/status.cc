#include "cli/status.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/admin_client.h"
#include "cli/history.h"
#include "config/glob.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "xdsd/resource_types.h"

namespace xdsd::cli {
namespace {

// How often --wait asks again.
constexpr absl::Duration kPollInterval = absl::Milliseconds(500);
// How long --version waits for xdsd to load a saved file before another version it serves is
// an answer: longer than its watcher's quiet period and a reload.
constexpr absl::Duration kSettleTime = absl::Seconds(3);
// How many characters of a version the table shows: versions are content hashes.
constexpr size_t kVersionWidth = 8;
// The width of a NACK error when not printing to a terminal, and the least it gets on one.
constexpr size_t kDefaultErrorWidth = 60;
constexpr size_t kMinErrorWidth = 20;
constexpr absl::string_view kSeparator = "  ";

// Where a type ranks in the table: in ADS order (xdsd's own type names), unknown types last.
size_t TypeRank(std::string_view type) {
  const ResourceType* known = FindResourceTypeByName(type);
  return known != nullptr ? ResourceTypeIndex(known->type_url) : kResourceTypes.size();
}

// A string member of `object`, "" when absent or null; fails on any other type.
std::string StringMember(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return "";
  return it->get<std::string>();  // throws type_error when not a string
}

absl::StatusOr<ConfigInfo> ParseConfig(const std::string& text) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("version")) {
    return absl::InvalidArgumentError("GET /v1/config did not answer a config status object");
  }
  try {
    ConfigInfo config;
    config.source = StringMember(json, "source");
    config.version = StringMember(json, "version");
    config.loaded_at = StringMember(json, "loaded_at");
    config.source_version = StringMember(json, "source_version");
    config.revision = json.value("revision", int64_t{0});
    if (auto it = json.find("last_error"); it != json.end() && !it->is_null()) {
      config.last_error = it->is_object() ? StringMember(*it, "message") : it->get<std::string>();
      if (it->is_object()) config.refused_version = StringMember(*it, "version");
    }
    config.loads = json.value("reloads_succeeded", 0) + json.value("reloads_failed", 0);
    if (auto it = json.find("served_versions"); it != json.end() && it->is_object()) {
      config.served_versions = it->get<std::map<std::string, std::map<std::string, std::string>>>();
    }
    if (auto it = json.find("etcd"); it != json.end() && it->is_object()) {
      EtcdInfo& etcd = config.etcd.emplace();
      etcd.connected = it->value("connected", false);
      etcd.endpoint = StringMember(*it, "endpoint");
      etcd.revision = it->value("revision", int64_t{0});
      if (auto error = it->find("last_error"); error != it->end() && error->is_object()) {
        etcd.last_error = StringMember(*error, "message");
        etcd.last_error_at = StringMember(*error, "at");
      }
    }
    return config;
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("GET /v1/config: unexpected JSON: ", e.what()));
  }
}

// The first `width` bytes of `text`, not cutting a UTF-8 sequence, with "..." when cut.
std::string Truncate(std::string_view text, size_t width) {
  if (text.size() <= width) return std::string(text);
  if (width <= 3) return std::string(width, '.');
  size_t cut = width - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

// `text` on one line: every run of whitespace (newlines included) becomes one space.
std::string OneLine(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

// "etcd: connected to HOST:PORT at revision R", or, while etcd cannot be reached, since when and
// why, and that the last good config is still served.
void AppendEtcdLine(const EtcdInfo& etcd, std::string* text) {
  if (etcd.connected) {
    absl::StrAppend(text, "etcd: connected to ", etcd.endpoint, " at revision ", etcd.revision,
                    "\n");
    return;
  }
  absl::StrAppend(text, "etcd: UNREACHABLE",
                  etcd.last_error_at.empty() ? "" : absl::StrCat(" since ", etcd.last_error_at),
                  etcd.last_error.empty() ? "" : absl::StrCat(" (", OneLine(etcd.last_error), ")"),
                  "; still serving revision ", etcd.revision, "\n");
}

std::string ShortVersion(const std::string& version) {
  if (version.empty()) return "-";
  return version.substr(0, kVersionWidth);
}

absl::string_view StateColor(std::string_view state) {
  if (state == "SYNCED") return "\033[32m";    // green
  if (state == "PENDING") return "\033[33m";   // yellow
  if (state == "NACKED") return "\033[1;31m";  // bold red
  if (state == "NOT_SENT") return "\033[35m";  // magenta
  return "";
}

void AppendPadded(std::string* line, std::string_view cell, size_t width) {
  line->append(cell);
  line->append(width > cell.size() ? width - cell.size() : 0, ' ');
}

// One fetch of the status: the error says what went wrong, for stderr.
absl::StatusOr<FleetStatus> FetchFleetStatus(const StatusOptions& options) {
  auto get = [&](const std::string& path) { return AdminGet(options, path); };
  // Every connected node, following the pages of /v1/nodes.
  nlohmann::json all_nodes = nlohmann::json::array();
  std::string after;
  do {
    absl::StatusOr<AdminAnswer> nodes = get(absl::StrCat(
        "/v1/nodes?connected=true&limit=10000&after=", httplib::detail::encode_query_param(after)));
    if (!nodes.ok()) return nodes.status();
    if (nodes->status != 200) {
      return absl::InvalidArgumentError(absl::StrCat(options.http_url, "/v1/nodes answered HTTP ",
                                                     nodes->status,
                                                     ": is it xdsd's admin HTTP port?"));
    }
    nlohmann::json page = nlohmann::json::parse(nodes->body, nullptr, false);
    if (!page.is_array()) {
      return absl::InvalidArgumentError(absl::StrCat(
          options.http_url, " does not answer as xdsd: GET /v1/nodes did not answer a JSON array"));
    }
    for (nlohmann::json& node : page) all_nodes.push_back(std::move(node));
    after = nodes->next_after;
  } while (!after.empty());
  absl::StatusOr<AdminAnswer> config = get("/v1/config");
  if (!config.ok()) return config.status();
  std::optional<std::string> config_body;
  if (config->status == 200) {
    config_body = config->body;
  } else if (config->status != 404) {  // 404: an xdsd without a config source
    return absl::InvalidArgumentError(
        absl::StrCat(options.http_url, "/v1/config answered HTTP ", config->status));
  }
  absl::StatusOr<FleetStatus> status =
      ParseFleetStatus(all_nodes.dump(), config_body, options.node_glob);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.http_url, " does not answer as xdsd: ", status.status().message()));
  }
  // The rollouts under way; an xdsd without them (older, or no config source) has none.
  if (absl::StatusOr<AdminAnswer> rollout = get("/v1/rollout");
      rollout.ok() && rollout->status == 200) {
    const nlohmann::json json = nlohmann::json::parse(rollout->body, nullptr, false);
    if (json.is_object() && json.contains("rollouts") && json["rollouts"].is_array()) {
      for (const nlohmann::json& one : json["rollouts"]) {
        if (std::string line = RolloutStatusLine(one); !line.empty()) {
          status->rollouts.push_back(std::move(line));
        }
      }
    }
  }
  return status;
}

// The terminal's width, 0 when `file` is not a terminal.
int TerminalWidth(std::FILE* file) {
  const int fd = fileno(file);
  if (fd < 0 || !isatty(fd)) return 0;
  winsize size{};
  if (ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

bool WantColor(std::FILE* file) {
  const int fd = fileno(file);
  const char* no_color = std::getenv("NO_COLOR");  // NOLINT(concurrency-mt-unsafe): no setenv
  return fd >= 0 && isatty(fd) && (no_color == nullptr || no_color[0] == '\0');
}

}  // namespace

absl::StatusOr<FleetStatus> ParseFleetStatus(std::string_view nodes_json,
                                             const std::optional<std::string>& config_json,
                                             std::string_view node_glob) {
  FleetStatus status;
  status.node_glob = std::string(node_glob);
  if (config_json.has_value()) {
    absl::StatusOr<ConfigInfo> config = ParseConfig(*config_json);
    if (!config.ok()) return config.status();
    status.config = *std::move(config);
  }
  const nlohmann::json nodes = nlohmann::json::parse(nodes_json, nullptr, false);
  if (!nodes.is_array()) {
    return absl::InvalidArgumentError("GET /v1/nodes did not answer a JSON array of nodes");
  }
  try {
    for (const nlohmann::json& node : nodes) {
      if (!node.is_object() || !node.contains("id") || !node.at("types").is_array()) {
        return absl::InvalidArgumentError("GET /v1/nodes: a node has no id or no types");
      }
      const std::string id = node.at("id").get<std::string>();
      if (!node_glob.empty() && !config::GlobMatches(node_glob, id)) continue;
      status.nodes.push_back(id);
      status.groups[id] = StringMember(node, "group");
      if (node.contains("identities") && node.at("identities").is_array() &&
          !node.at("identities").empty()) {
        status.identities[id] = node.at("identities").get<std::vector<std::string>>();
      }
      for (const nlohmann::json& type : node.at("types")) {
        TypeRow row;
        row.node = id;
        row.type = StringMember(type, "type");
        if (row.type.empty()) row.type = StringMember(type, "type_url");
        row.state = type.at("state").get<std::string>();
        row.version_sent = StringMember(type, "version_sent");
        row.version_acked = StringMember(type, "version_acked");
        if (row.state == "NACKED") row.nack_error = StringMember(type, "nack_error");
        status.rows.push_back(std::move(row));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("GET /v1/nodes: unexpected JSON: ", e.what()));
  }
  std::sort(status.nodes.begin(), status.nodes.end());
  status.nodes.erase(std::unique(status.nodes.begin(), status.nodes.end()), status.nodes.end());
  std::stable_sort(status.rows.begin(), status.rows.end(), [](const TypeRow& a, const TypeRow& b) {
    return std::forward_as_tuple(a.node, TypeRank(a.type), a.type) <
           std::forward_as_tuple(b.node, TypeRank(b.type), b.type);
  });
  return status;
}

bool TypeInSync(const TypeRow& row) {
  return row.state == "SYNCED" && row.version_acked == row.version_sent;
}

bool InSync(const FleetStatus& status) {
  return std::all_of(status.rows.begin(), status.rows.end(), TypeInSync);
}

bool InSyncWith(const FleetStatus& status, std::string_view version) {
  if (!status.config.has_value() || status.config->version != version) return false;
  const auto& served = status.config->served_versions;
  return std::all_of(status.rows.begin(), status.rows.end(), [&](const TypeRow& row) {
    if (!TypeInSync(row)) return false;
    auto group = status.groups.find(row.node);
    auto versions = served.find(group == status.groups.end() ? "" : group->second);
    if (versions == served.end()) return true;
    auto type = versions->second.find(row.type);
    return type == versions->second.end() || row.version_acked == type->second;
  });
}

std::string RenderFleetStatus(const FleetStatus& status, const RenderOptions& options) {
  std::string text;
  if (status.config.has_value()) {
    const ConfigInfo& config = *status.config;
    absl::StrAppend(&text, "config ", config.source, " version ",
                    config.version.empty() ? "-" : config.version, " (loaded ",
                    config.loaded_at.empty() ? "never" : config.loaded_at, ")\n");
    if (!config.source_version.empty() && config.source_version != config.version) {
      absl::StrAppend(&text, "serving r", config.revision, ", a rollback: not the source (version ",
                      ShortVersion(config.source_version),
                      "), which is served again when it changes (xdsd history)\n");
    }
    if (config.etcd.has_value()) AppendEtcdLine(*config.etcd, &text);
    for (const std::string& rollout : status.rollouts) absl::StrAppend(&text, rollout, "\n");
    if (config.last_error.has_value()) {
      const std::string first_line = config.last_error->substr(0, config.last_error->find('\n'));
      absl::StrAppend(&text, "last reload FAILED: ", first_line, "\n");
    }
  }

  const std::string filter =
      status.node_glob.empty() ? "" : absl::StrCat(" matching \"", status.node_glob, "\"");
  if (status.nodes.empty()) {
    absl::StrAppend(&text, "no connected nodes", filter, "\n");
    return text;
  }

  // The cells, the header first; a node that asked for no type gets a row of dashes.
  struct Cells {
    std::string node, type, sent, acked, state, error;
  };
  std::vector<Cells> table = {{"NODE", "TYPE", "SENT", "ACKED", "STATE", "ERROR"}};
  size_t row_index = 0;
  for (const std::string& node : status.nodes) {
    bool any = false;
    for (; row_index < status.rows.size() && status.rows[row_index].node == node; ++row_index) {
      const TypeRow& row = status.rows[row_index];
      table.push_back({row.node, row.type, ShortVersion(row.version_sent),
                       ShortVersion(row.version_acked), row.state, OneLine(row.nack_error)});
      any = true;
    }
    if (!any) table.push_back({node, "-", "-", "-", "-", "(subscribed to nothing)"});
  }
  std::array<size_t, 5> widths{};
  for (const Cells& cells : table) {
    const std::array<const std::string*, 5> columns = {&cells.node, &cells.type, &cells.sent,
                                                       &cells.acked, &cells.state};
    for (size_t i = 0; i < columns.size(); ++i) widths[i] = std::max(widths[i], columns[i]->size());
  }
  size_t error_width = kDefaultErrorWidth;
  if (options.terminal_width > 0) {
    size_t used = 0;
    for (size_t width : widths) used += width + kSeparator.size();
    const size_t columns = static_cast<size_t>(options.terminal_width);
    error_width = std::max(kMinErrorWidth, columns > used ? columns - used : 0);
  }

  for (size_t i = 0; i < table.size(); ++i) {
    const Cells& cells = table[i];
    std::string line;
    AppendPadded(&line, cells.node, widths[0] + kSeparator.size());
    AppendPadded(&line, cells.type, widths[1] + kSeparator.size());
    AppendPadded(&line, cells.sent, widths[2] + kSeparator.size());
    AppendPadded(&line, cells.acked, widths[3] + kSeparator.size());
    const absl::string_view color = i > 0 && options.color ? StateColor(cells.state) : "";
    if (!color.empty()) {
      absl::StrAppend(&line, color, cells.state, "\033[0m");
      line.append(widths[4] + kSeparator.size() - cells.state.size(), ' ');
    } else {
      AppendPadded(&line, cells.state, widths[4] + kSeparator.size());
    }
    absl::StrAppend(&line, Truncate(cells.error, error_width));
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&text, line, "\n");
  }

  // Who the nodes are, by their certificates (mutual TLS only).
  for (const auto& [node, identities] : status.identities) {
    absl::StrAppend(&text, node, ": identity ", absl::StrJoin(identities, ", "), "\n");
  }

  // The summary: how many nodes lag behind.
  size_t behind = 0;
  for (const std::string& node : status.nodes) {
    const bool node_in_sync =
        std::all_of(status.rows.begin(), status.rows.end(),
                    [&](const TypeRow& row) { return row.node != node || TypeInSync(row); });
    if (!node_in_sync) ++behind;
  }
  const size_t count = status.nodes.size();
  const std::string nodes =
      absl::StrCat(count, count == 1 ? " connected node" : " connected nodes", filter);
  if (behind == 0) {
    absl::StrAppend(&text, nodes, ": all in sync\n");
  } else {
    absl::StrAppend(&text, nodes, ": ", behind, " not in sync\n");
  }
  return text;
}

int RunStatus(const StatusOptions& options, std::FILE* out, std::FILE* err) {
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + options.wait;
  const std::string& wanted = options.config_version;
  absl::StatusOr<FleetStatus> status;
  std::optional<int> first_loads;  // xdsd's count of loads when first asked
  std::string mismatch;            // why version `wanted` cannot come, once that is known
  while (true) {
    const absl::Time attempt = absl::Now();
    status = FetchFleetStatus(options);
    if (status.ok() && wanted.empty() && InSync(*status)) break;
    if (status.ok() && !wanted.empty() && status->config.has_value()) {
      const ConfigInfo& config = *status->config;
      if (InSyncWith(*status, wanted)) break;
      if (!first_loads.has_value()) first_loads = config.loads;
      // Another version: final once xdsd refused this very version, loaded something since
      // we first asked, or had the time to notice a save; until then it may be on its way.
      const bool settled = config.refused_version == wanted || config.loads != *first_loads ||
                           attempt - start >= kSettleTime || attempt >= deadline;
      if (config.version != wanted && settled) {
        mismatch = config.last_error.has_value()
                       ? absl::StrCat("xdsd refused the configuration (it still serves version ",
                                      config.version, "):\n", *config.last_error)
                       : absl::StrCat("xdsd serves version ", config.version, ", not ", wanted);
        break;
      }
    }
    // Not yet: ask again while --wait allows (through a restart of xdsd, too), the last time
    // when it runs out.
    const absl::Time now = absl::Now();
    if (now >= deadline) break;
    absl::SleepFor(std::min(attempt + kPollInterval, deadline) - now);
  }
  if (!status.ok()) {
    std::fprintf(err, "xdsd status: %s\n", std::string(status.status().message()).c_str());
    return kStatusUnreachable;
  }
  const RenderOptions render = {WantColor(out), TerminalWidth(out)};
  std::fputs(RenderFleetStatus(*status, render).c_str(), out);
  std::fflush(out);
  if (!mismatch.empty()) {
    std::fprintf(err, "xdsd status: %s\n", mismatch.c_str());
    return kStatusNotInSync;
  }
  if (!wanted.empty()) {
    if (!status->config.has_value()) {
      std::fprintf(err, "xdsd status: xdsd has no config source, so no version %s\n",
                   wanted.c_str());
      return kStatusNotInSync;
    }
    return InSyncWith(*status, wanted) ? kStatusInSync : kStatusNotInSync;
  }
  return InSync(*status) ? kStatusInSync : kStatusNotInSync;
}

}  // namespace xdsd::cli
