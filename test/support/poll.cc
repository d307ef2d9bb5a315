#include "support/poll.h"

#include "absl/time/clock.h"

namespace xdsd::testing {

bool PollUntil(absl::Duration timeout, const std::function<bool()>& condition,
               absl::Duration interval) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(interval);
  }
  return condition();
}

}  // namespace xdsd::testing
