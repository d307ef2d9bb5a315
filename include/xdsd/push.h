#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace xdsd {

// What one push did: the snapshots of some keys delivered to their streams, and what the nodes
// made of what they were sent because of it.
struct PushReport {
  uint64_t id = 0;
  std::vector<std::string> keys;  // the keys whose snapshots the push delivered
  int streams = 0;                // streams watching those keys
  int nodes_reached = 0;          // nodes sent at least one response during the push
  int responses = 0;
  int acked = 0;   // responses ACKed
  int nacked = 0;  // responses NACKed
  // Until every response was answered, or until the next push superseded this one.
  absl::Duration elapsed;
  bool complete = false;  // every response was answered
};

// How changes reach the streams. With a quiet period, changes from any source (SetSnapshot,
// the fleet-wide types) are pushed together once no change came for `quiet`, or `max_delay`
// after the first, so a burst of changes makes one push.
struct PushOptions {
  absl::Duration quiet = absl::ZeroDuration();  // zero: push every change at once
  absl::Duration max_delay = absl::Seconds(1);
  // Called once per push, when it completes or is superseded; off any lock, must not block.
  std::function<void(const PushReport&)> on_report;
};

}  // namespace xdsd
