#pragma once

// The signals `xdsd serve` handles: SIGINT and SIGTERM stop it (after the drain time), SIGHUP
// reloads the config. The caller blocks them in every thread and waits for them with sigwait.

#include <signal.h>

#include <string_view>

#include "absl/time/time.h"

namespace xdsd::cli {

// SIGINT, SIGTERM and SIGHUP.
sigset_t HandledSignals();

// "SIGINT", "SIGTERM", "SIGHUP"; "a signal" for others.
std::string_view SignalName(int signal_number);

// Waits until `deadline` for SIGINT or SIGTERM (a second one: skip the rest of the drain). Other
// signals of `signals` that come meanwhile are logged and ignored.
void DrainUntil(const sigset_t& signals, absl::Time deadline);

}  // namespace xdsd::cli
