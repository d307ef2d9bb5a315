#pragma once

// The flags that several commands share, for the per-command flag tables (command_flags.cc,
// serve_flags.cc). Constant data: thread-safe.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cli/flag_table.h"
#include "config/mass_removal.h"

namespace xdsd::cli {

// The endpoints of the admin HTTP server, as --help lists them under --http-port.
std::string AdminEndpointsHelp();

// The value of --max-removal, shared by `serve` and `validate`.
inline absl::Status ParseShare(absl::string_view text, double* share) {
  return config::ParseRemovalShare(text, share);
}

inline constexpr FlagInfo kMaxRemoval = {
    .name = "max-removal",
    .value_name = "PERCENT",
    .help =
        "The most of the resources served that one reload may remove; a reload past it, or "
        "one that removes every resource of a type, is refused (counted in "
        "xdsd_refused_total{reason=\"mass_removal\"}) unless the config says "
        "allow_mass_removal: true. 100% turns the guard off.",
    .default_value = "50%"};

inline constexpr FlagInfo kMaxConfigBytes = {
    .name = "max-config-bytes",
    .value_name = "SIZE",
    .help =
        "The most the configuration (all its files together) may hold; a larger one is "
        "refused, and on a reload the last good config keeps being served. Only regular "
        "files are read.",
    .default_value = "64MiB"};

// The flags that reach etcd, shared by `serve`, `apply`, `diff` and `register`.
inline constexpr FlagInfo kEtcdCa = {
    .name = "etcd-ca",
    .value_name = "FILE",
    .help = "Reach etcd over TLS, trusting this PEM CA for its members' certificates.",
    .default_value = "",
    .default_note = "plaintext"};
inline constexpr FlagInfo kEtcdCert = {
    .name = "etcd-cert",
    .value_name = "FILE",
    .help = "Mutual TLS to etcd: xdsd's PEM client certificate (needs --etcd-key, --etcd-ca).",
    .default_value = ""};
inline constexpr FlagInfo kEtcdKey = {.name = "etcd-key",
                                      .value_name = "FILE",
                                      .help = "The PEM key of --etcd-cert.",
                                      .default_value = ""};
inline constexpr FlagInfo kEtcdTimeout = {
    .name = "etcd-timeout",
    .value_name = "DURATION",
    .help = "The deadline of each call to an etcd member; past it the next member is tried.",
    .default_value = "5s"};

}  // namespace xdsd::cli
