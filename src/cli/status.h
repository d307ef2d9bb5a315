#pragma once

// `xdsd status`: asks a running xdsd (its admin HTTP port) which connected nodes run the
// configuration it serves, prints a table, and says it in the exit code for deploy scripts.

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/command_line.h"

namespace xdsd::cli {

// Exit codes of `xdsd status` (2, a command-line error, is main's).
inline constexpr int kStatusInSync = 0;       // every connected node ACKed what it was sent
inline constexpr int kStatusNotInSync = 1;    // some node has not (the table shows which)
inline constexpr int kStatusUnreachable = 3;  // xdsd could not be reached, or answered garbage

// One resource type of one node, as GET /v1/nodes reports it.
struct TypeRow {
  std::string node;           // node.id
  std::string type;           // short name: "clusters", "endpoints", ...
  std::string state;          // SYNCED, PENDING, NACKED, NOT_SENT
  std::string version_sent;   // empty when nothing was sent
  std::string version_acked;  // empty when nothing was ACKed
  std::string nack_error;     // the client's error text when state is NACKED
};

// The etcd config source's state, as GET /v1/config reports it ("etcd").
struct EtcdInfo {
  bool connected = false;
  std::string endpoint;  // the member used last
  int64_t revision = 0;  // the etcd revision of the config held
  std::string last_error;
  std::string last_error_at;  // RFC 3339
};

// The configuration being served, as GET /v1/config reports it.
struct ConfigInfo {
  std::string source;  // a path, or "<built-in demo>"
  std::string version;
  std::string loaded_at;                  // RFC 3339, empty when unknown
  int64_t revision = 0;                   // the revision served (xdsd history)
  std::string source_version;             // differs from version after a rollback
  std::optional<std::string> last_error;  // set when the latest reload failed
  // The version of the configuration the latest reload refused, when it had one (a mass
  // removal); empty otherwise.
  std::string refused_version;
  int loads = 0;  // reloads tried so far, good and refused
  // What each group's nodes ("" for the default resources) are to be sent, by type name.
  std::map<std::string, std::map<std::string, std::string>> served_versions;
  // The config source's state when it is etcd ("etcd" in GET /v1/config).
  std::optional<EtcdInfo> etcd;
};

// What `xdsd status` shows: the config, and the connected nodes it selected.
struct FleetStatus {
  std::optional<ConfigInfo> config;  // unset when the server has no config source
  std::vector<std::string> nodes;    // sorted node ids, those without any type included
  std::vector<TypeRow> rows;         // sorted by node, then clusters, endpoints, listeners,
                                     // routes, then the other types by name
  std::string node_glob;             // the --node filter, empty for every node
  // node id -> its client certificate identities (mutual TLS), for the nodes that have some.
  std::map<std::string, std::vector<std::string>> identities;
  // node id -> the group it is served ("" for the default resources).
  std::map<std::string, std::string> groups;
  // One line per rollout under way or halted (RolloutStatusLine), from GET /v1/rollout.
  std::vector<std::string> rollouts;
};

// Builds the status from the bodies of GET /v1/nodes?connected=true and GET /v1/config
// (`config_json` unset when xdsd has no config source), keeping the nodes whose id matches
// `node_glob` (config::GlobMatches; every node when it is empty). Fails with InvalidArgument
// when either body is not the JSON xdsd serves.
absl::StatusOr<FleetStatus> ParseFleetStatus(std::string_view nodes_json,
                                             const std::optional<std::string>& config_json,
                                             std::string_view node_glob);

// True when the node has the latest version of the type it was sent: SYNCED, and the version
// it ACKed is the one sent.
bool TypeInSync(const TypeRow& row);

// True when every row is in sync (vacuously true without nodes).
bool InSync(const FleetStatus& status);

// True when xdsd serves config version `version` and every node ACKed what that version sends
// its group, for every type it asked for (vacuously true without nodes).
bool InSyncWith(const FleetStatus& status, std::string_view version);

struct RenderOptions {
  bool color = false;      // ANSI colours on the STATE column
  int terminal_width = 0;  // columns of the terminal; 0 when not a terminal
};

// The text `xdsd status` prints: the config line, the failed-reload line when the last reload
// failed, the table (NODE, TYPE, SENT, ACKED, STATE, ERROR) and a one-line summary. Versions
// are shortened to 8 characters; a NACK error is put on one line and cut to what is left of
// the terminal width (60 characters when not a terminal).
std::string RenderFleetStatus(const FleetStatus& status, const RenderOptions& options);

// Runs `xdsd status`: fetches, prints the table on `out` (colours when `out` is a terminal and
// NO_COLOR is unset or empty) and errors on `err`, polling with --wait. Returns the exit code.
int RunStatus(const StatusOptions& options, std::FILE* out, std::FILE* err);

}  // namespace xdsd::cli
