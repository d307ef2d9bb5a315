#pragma once

#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace xdsd::config {

// Watches a config path (a file, or a directory of config files) and calls `on_change` once
// after each burst of changes: inotify on the path's directory (so that editors that save by
// renaming a new file over the old are seen), and a poll of the files' sizes, times and inodes
// as the fallback where inotify is missing or misses a change (network file systems). A burst
// ends when `quiet` passes with no further change, so an editor's several writes make one call.
//
// Thread-safe. `on_change` runs on the watcher's own thread, one call at a time; it may take
// as long as it needs (changes meanwhile make one more call afterwards).
class ConfigWatcher {
 public:
  struct Options {
    absl::Duration quiet = absl::Milliseconds(150);
    absl::Duration poll_interval = absl::Milliseconds(500);
  };
  ConfigWatcher(std::string path, Options options, std::function<void()> on_change);
  ~ConfigWatcher();  // stops and joins the thread
  ConfigWatcher(const ConfigWatcher&) = delete;
  ConfigWatcher& operator=(const ConfigWatcher&) = delete;

  // Starts watching. Fails when the path does not exist.
  absl::Status Start();

 private:
  // Runs on thread_ until the destructor signals stop_fd_; `seen` is the starting fingerprint.
  void Loop(std::string seen);
  // A digest of what the watched files look like on disk now (names, sizes, times, inodes).
  std::string Fingerprint() const;

  const std::string path_;
  const Options options_;
  const std::function<void()> on_change_;
  int inotify_fd_ = -1;  // constant after Start
  int stop_fd_ = -1;     // an eventfd that wakes the loop to stop; constant after Start
  std::thread thread_;
};

}  // namespace xdsd::config
