#pragma once

#include <sys/types.h>

#include <string_view>

namespace xdsd::testing {

// A size field of /proc/PID/status in KiB ("VmRSS": the resident set; "VmHWM": its peak) of
// process `pid`, or of this process when `pid` is 0. -1 when the file or the field cannot be
// read. Linux only.
long ProcStatusKib(std::string_view field, pid_t pid = 0);

}  // namespace xdsd::testing
