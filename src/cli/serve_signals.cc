#include "cli/serve_signals.h"

#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace xdsd::cli {

sigset_t HandledSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  return signals;
}

std::string_view SignalName(int signal_number) {
  switch (signal_number) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
  }
  return "a signal";
}

void DrainUntil(const sigset_t& signals, absl::Time deadline) {
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return;
    const timespec timeout = absl::ToTimespec(left);
    const int signal_number = sigtimedwait(&signals, nullptr, &timeout);
    if (signal_number == SIGINT || signal_number == SIGTERM) {
      spdlog::info("received {} while draining: stopping now", SignalName(signal_number));
      return;
    }
    if (signal_number > 0) spdlog::info("{} ignored while draining", SignalName(signal_number));
  }
}

}  // namespace xdsd::cli
