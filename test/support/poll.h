#pragma once

#include <functional>

#include "absl/time/time.h"

namespace xdsd::testing {

// How often PollUntil asks by default: a test waits at most this long after its condition
// starts to hold.
inline constexpr absl::Duration kDefaultPollInterval = absl::Milliseconds(10);

// Calls `condition` until it returns true or `timeout` has passed, sleeping `interval` between
// calls, and returns whether it held. The condition is called at least once, and once more when
// the deadline has passed, so a condition that holds just in time is not reported as a timeout.
//
// Every wait in the tests is this poll with a deadline: a test never sleeps for a fixed time
// hoping that something has happened by then. Thread-safe: it shares nothing between calls.
bool PollUntil(absl::Duration timeout, const std::function<bool()>& condition,
               absl::Duration interval = kDefaultPollInterval);

}  // namespace xdsd::testing
