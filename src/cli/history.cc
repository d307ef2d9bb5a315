#include "cli/history.h"

#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/admin_client.h"

namespace xdsd::cli {
namespace {

constexpr size_t kVersionWidth = 8;
constexpr int kCommandLineError = 2;  // versions are content hashes: a prefix tells them apart

// "clusters +1 -0 ~2, routes ~1"; "no change" when empty.
std::string SummarizeChanges(const nlohmann::json& changes) {
  std::vector<std::string> parts;
  for (const auto& [type, c] : changes.items()) {
    parts.push_back(absl::StrCat(type, " +", c.at("added").size(), " -", c.at("removed").size(),
                                 " ~", c.at("changed").size()));
  }
  return parts.empty() ? "no change" : absl::StrJoin(parts, ", ");
}

std::string OneValue(const nlohmann::json& value) {
  return value.is_null() ? "(none)" : value.dump();
}

// The message of an error answer ({"error": "..."}), or its body.
std::string ErrorOf(const AdminAnswer& answer) {
  const nlohmann::json json = nlohmann::json::parse(answer.body, nullptr, false);
  if (json.is_object() && json.contains("error") && json["error"].is_string()) {
    return json["error"].get<std::string>();
  }
  return absl::StrCat("HTTP ", answer.status, ": ", answer.body);
}

// Calls the admin server and parses the JSON of a 200; prints the error and sets `code` else.
std::optional<nlohmann::json> Call(const AdminCallOptions& options, const char* command,
                                   const std::string& method, const std::string& path,
                                   const std::string& body, std::FILE* err, int* code) {
  absl::StatusOr<std::string> token = ReadClientToken(options.admin_token_file);
  if (!token.ok()) {
    std::fprintf(err, "xdsd %s: %s\n", command, std::string(token.status().message()).c_str());
    *code = kAdminRefused;
    return std::nullopt;
  }
  absl::StatusOr<AdminAnswer> reply = method == "POST"
                                          ? AdminPost(options.server, path, *token, 10, body)
                                          : AdminGet(options.server, path, *token);
  if (!reply.ok()) {
    std::fprintf(err, "xdsd %s: %s\n", command, std::string(reply.status().message()).c_str());
    *code =
        reply.status().code() == absl::StatusCode::kUnavailable ? kAdminUnreachable : kAdminRefused;
    return std::nullopt;
  }
  if (reply->status != 200) {
    std::fprintf(err, "xdsd %s: %s\n", command, ErrorOf(*reply).c_str());
    *code = kAdminRefused;
    return std::nullopt;
  }
  nlohmann::json json = nlohmann::json::parse(reply->body, nullptr, false);
  if (json.is_discarded()) {
    std::fprintf(err, "xdsd %s: %s did not answer JSON\n", command, path.c_str());
    *code = kAdminUnreachable;
    return std::nullopt;
  }
  return json;
}

// A revision as written on the command line: "12" or "r12"; prints the error when it is not.
std::optional<int64_t> RevisionArgument(const std::string& text, const char* command,
                                        std::FILE* err) {
  absl::string_view digits = text;
  if (!digits.empty() && digits.front() == 'r') digits.remove_prefix(1);
  int64_t number = 0;
  if (digits.empty() || !absl::SimpleAtoi(digits, &number)) {
    std::fprintf(err, "xdsd %s: \"%s\" is not a revision number (see xdsd history)\n", command,
                 text.c_str());
    return std::nullopt;
  }
  return number;
}

int Print(const absl::StatusOr<std::string>& text, const char* command, std::FILE* out,
          std::FILE* err) {
  if (!text.ok()) {
    std::fprintf(err, "xdsd %s: unexpected answer: %s\n", command,
                 std::string(text.status().message()).c_str());
    return kAdminUnreachable;
  }
  std::fputs(text->c_str(), out);
  return std::fflush(out) == 0 ? kAdminDone : kAdminRefused;
}

}  // namespace

absl::StatusOr<std::string> RenderHistory(const nlohmann::json& history) {
  try {
    const int64_t served = history.at("served").get<int64_t>();
    std::string text = "  REV   LOADED AT                 VERSION   SOURCE / WHO / CHANGES\n";
    std::string served_version;
    for (const nlohmann::json& r : history.at("revisions")) {
      const int64_t number = r.at("revision").get<int64_t>();
      const std::string version = r.at("version").get<std::string>();
      if (number == served) served_version = version;
      const std::string who = r.value("who", "");
      absl::StrAppend(
          &text,
          absl::StrFormat("%s %-5s %-25s %-9s %s%s: %s\n", number == served ? "*" : " ",
                          absl::StrCat("r", number), r.at("loaded_at").get<std::string>(),
                          version.substr(0, kVersionWidth), r.at("source").get<std::string>(),
                          who.empty() ? "" : absl::StrCat(" (by ", who, ")"),
                          SummarizeChanges(r.at("changes"))));
    }
    const std::string source_version = history.value("source_version", "");
    if (!served_version.empty() && source_version != served_version) {
      absl::StrAppend(&text, "serving r", served, ", which is not the source: the source (version ",
                      source_version.substr(0, kVersionWidth),
                      ") is served again when it next changes\n");
    }
    return text;
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(e.what());
  }
}

absl::StatusOr<std::string> RenderDiff(const nlohmann::json& diff) {
  try {
    std::string text;
    for (const auto& [type, c] : diff.at("changes").items()) {
      for (const auto& name : c.at("added")) {
        absl::StrAppend(&text, "+ ", type, " ", name.get<std::string>(), "\n");
      }
      for (const auto& name : c.at("removed")) {
        absl::StrAppend(&text, "- ", type, " ", name.get<std::string>(), "\n");
      }
      for (const auto& changed : c.at("changed")) {
        absl::StrAppend(&text, "~ ", type, " ", changed.at("name").get<std::string>(), "\n");
        for (const auto& field : changed.at("fields")) {
          absl::StrAppend(&text, "    ", field.at("path").get<std::string>(), ": ",
                          OneValue(field.at("from")), " -> ", OneValue(field.at("to")), "\n");
        }
      }
    }
    if (text.empty()) text = "no differences\n";
    return text;
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(e.what());
  }
}

int RunHistory(const AdminCallOptions& options, std::FILE* out, std::FILE* err) {
  int code = kAdminDone;
  std::optional<nlohmann::json> history =
      Call(options, "history", "GET", "/v1/config/history", "", err, &code);
  if (!history.has_value()) return code;
  return Print(RenderHistory(*history), "history", out, err);
}

int RunDiff(const AdminCallOptions& options, std::FILE* out, std::FILE* err) {
  const std::optional<int64_t> from = RevisionArgument(options.args[0], "history", err);
  const std::optional<int64_t> to = RevisionArgument(options.args[1], "history", err);
  if (!from.has_value() || !to.has_value()) return kCommandLineError;
  int code = kAdminDone;
  const std::string path = absl::StrCat("/v1/config/diff?from=", *from, "&to=", *to);
  std::optional<nlohmann::json> diff = Call(options, "history", "GET", path, "", err, &code);
  if (!diff.has_value()) return code;
  return Print(RenderDiff(*diff), "history", out, err);
}

int RunRollback(const AdminCallOptions& options, std::FILE* out, std::FILE* err) {
  const std::optional<int64_t> revision_arg = RevisionArgument(options.args[0], "rollback", err);
  if (!revision_arg.has_value()) return kCommandLineError;
  const int64_t number = *revision_arg;
  int code = kAdminDone;
  std::optional<nlohmann::json> reply =
      Call(options, "rollback", "POST", "/v1/config/rollback",
           nlohmann::json{{"revision", number}}.dump(), err, &code);
  if (!reply.has_value()) return code;
  const int64_t revision = reply->value("revision", int64_t{0});
  const std::string text =
      reply->value("changed", false)
          ? absl::StrCat("serving r", revision, ", the content of r", number,
                         ", to every node; the config source is served again when it changes\n")
          : absl::StrCat("r", revision, " already serves the content of r", number,
                         ": nothing changed\n");
  return Print(text, "rollback", out, err);
}

namespace {

// "r2 (group edge)" or "r2".
std::string RolloutName(const nlohmann::json& rollout) {
  const std::string group = rollout.at("group").get<std::string>();
  return absl::StrCat("r", rollout.at("revision").get<int64_t>(),
                      group.empty() ? "" : absl::StrCat(" (group ", group, ")"));
}

// "canary-1 NACKed clusters: TEXT".
std::string HaltText(const nlohmann::json& halt) {
  return absl::StrCat(halt.at("node").get<std::string>(), " NACKed ",
                      halt.at("type").get<std::string>(), ": ",
                      halt.at("error").get<std::string>());
}

}  // namespace

std::string RolloutStatusLine(const nlohmann::json& rollout) {
  try {
    const std::string state = rollout.at("state").get<std::string>();
    if (state != "rolling" && state != "baking" && state != "halted") return "";
    size_t total = 0;
    for (const auto& [revision, count] : rollout.at("nodes").items()) total += count.get<size_t>();
    const std::string revision = absl::StrCat("r", rollout.at("revision").get<int64_t>());
    const size_t on_new = rollout.at("nodes").value(revision, size_t{0});
    std::string line = absl::StrCat(
        "rollout ", RolloutName(rollout), ": wave ", rollout.at("wave").get<size_t>(), "/",
        rollout.at("waves").get<size_t>(), ", ", on_new, "/", total, " nodes, ", state);
    if (state == "halted" && rollout.contains("halt")) {
      absl::StrAppend(&line, ": ", HaltText(rollout.at("halt")));
    }
    return line;
  } catch (const nlohmann::json::exception&) {
    return "";
  }
}

absl::StatusOr<std::string> RenderRollouts(const nlohmann::json& rollouts) {
  try {
    std::string text;
    for (const nlohmann::json& rollout : rollouts.at("rollouts")) {
      const std::string group = rollout.at("group").get<std::string>();
      const std::string state = rollout.at("state").get<std::string>();
      absl::StrAppend(&text, group.empty() ? "default resources" : absl::StrCat("group ", group),
                      ": r", rollout.at("revision").get<int64_t>(), " over r",
                      rollout.at("previous_revision").get<int64_t>(), ", ", state, ", wave ",
                      rollout.at("wave").get<size_t>(), "/", rollout.at("waves").get<size_t>(),
                      " (bake ", rollout.at("bake").get<std::string>());
      if (rollout.contains("bake_until")) {
        absl::StrAppend(&text, " until ", rollout.at("bake_until").get<std::string>());
      }
      absl::StrAppend(&text, ")\n");
      std::vector<std::string> counts;
      for (const auto& [revision, count] : rollout.at("nodes").items()) {
        counts.push_back(absl::StrCat(revision, ": ", count.get<size_t>()));
      }
      absl::StrAppend(&text, "  connected nodes by revision: ",
                      counts.empty() ? "none" : absl::StrJoin(counts, ", "), "\n");
      for (const nlohmann::json& wave : rollout.at("wave_nodes")) {
        const size_t nodes = wave.at("nodes").get<size_t>();
        const auto ids = wave.at("node_ids").get<std::vector<std::string>>();
        absl::StrAppend(&text, "  wave ", wave.at("wave").get<size_t>(), ": ", nodes,
                        nodes == 1 ? " node" : " nodes", ids.empty() ? "" : ": ",
                        absl::StrJoin(ids, ", "), !ids.empty() && ids.size() < nodes ? ", ..." : "",
                        "\n");
      }
      if (rollout.contains("halt")) {
        absl::StrAppend(&text, "  halted: ", HaltText(rollout.at("halt")),
                        rollout.value("rolled_back", false)
                            ? absl::StrCat(" (finished waves back on r",
                                           rollout.at("previous_revision").get<int64_t>(), ")")
                            : "",
                        "\n");
      }
    }
    if (text.empty()) text = "no rollout (the config has no rollout: policy, or nothing changed)\n";
    return text;
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(e.what());
  }
}

int RunRollout(const AdminCallOptions& options, std::FILE* out, std::FILE* err) {
  int code = kAdminDone;
  const bool steer = !options.args.empty();
  std::optional<nlohmann::json> reply =
      steer ? Call(options, "rollout", "POST", absl::StrCat("/v1/rollout/", options.args[0]), "",
                   err, &code)
            : Call(options, "rollout", "GET", "/v1/rollout", "", err, &code);
  if (!reply.has_value()) return code;
  return Print(RenderRollouts(*reply), "rollout", out, err);
}

}  // namespace xdsd::cli
