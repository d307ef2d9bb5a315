#include "config/config_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "config/config_loader.h"

namespace xdsd::config {
namespace {

namespace fs = std::filesystem;

std::string FileFingerprint(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return absl::StrCat(path.string(), ":missing;");
  return absl::StrCat(path.string(), ":", st.st_ino, ":", st.st_size, ":", st.st_mtim.tv_sec, ".",
                      st.st_mtim.tv_nsec, ";");
}

}  // namespace

ConfigWatcher::ConfigWatcher(std::string path, Options options, std::function<void()> on_change)
    : path_(std::move(path)), options_(options), on_change_(std::move(on_change)) {}

ConfigWatcher::~ConfigWatcher() {
  if (stop_fd_ >= 0) {
    const uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof(one));
  }
  if (thread_.joinable()) thread_.join();
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

std::string ConfigWatcher::Fingerprint() const {
  std::error_code error;
  if (!fs::is_directory(path_, error)) return FileFingerprint(path_);
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(path_, error)) {
    if (IsConfigFileName(entry.path())) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::string fingerprint;
  for (const fs::path& file : files) fingerprint += FileFingerprint(file);
  return fingerprint;
}

absl::Status ConfigWatcher::Start() {
  std::error_code error;
  if (!fs::exists(path_, error)) {
    return absl::NotFoundError(absl::StrCat("config ", path_, ": no such file or directory"));
  }
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) return absl::InternalError("eventfd failed");
  // Watch the directory that holds the files: a file replaced by rename keeps being seen.
  const fs::path dir =
      fs::is_directory(path_, error) ? fs::path(path_) : fs::absolute(path_).parent_path();
  inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ >= 0 &&
      ::inotify_add_watch(inotify_fd_, dir.c_str(),
                          IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                              IN_DELETE | IN_ATTRIB) < 0) {
    ::close(inotify_fd_);
    inotify_fd_ = -1;  // polling alone
  }
  // Taken before Start returns, so that any change after it is seen.
  thread_ = std::thread([this, seen = Fingerprint()] { Loop(seen); });
  return absl::OkStatus();
}

void ConfigWatcher::Loop(std::string seen) {
  absl::Time pending_since = absl::InfiniteFuture();  // a change awaiting its quiet period
  absl::Time next_poll = absl::Now() + options_.poll_interval;
  char buffer[4096];
  while (true) {
    const absl::Time now = absl::Now();
    const absl::Time wake = std::min(next_poll, pending_since + options_.quiet);
    pollfd fds[2] = {{stop_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
    const int timeout_ms =
        static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(wake - now) + 1));
    const int ready = ::poll(fds, inotify_fd_ >= 0 ? 2 : 1, timeout_ms);
    if (ready > 0 && (fds[0].revents & POLLIN)) return;
    if (ready > 0 && inotify_fd_ >= 0 && (fds[1].revents & POLLIN)) {
      while (::read(inotify_fd_, buffer, sizeof(buffer)) > 0) {
      }
      pending_since = absl::Now();  // restart the quiet period
      continue;
    }
    if (absl::Now() >= next_poll) {
      next_poll = absl::Now() + options_.poll_interval;
      if (Fingerprint() != seen && pending_since == absl::InfiniteFuture()) {
        pending_since = absl::Now();
      }
    }
    if (pending_since != absl::InfiniteFuture() && absl::Now() >= pending_since + options_.quiet) {
      pending_since = absl::InfiniteFuture();
      const std::string now_seen = Fingerprint();
      // inotify also reports events that change nothing (an open for writing, a touch of
      // another file); only a real change is passed on.
      if (now_seen != seen) {
        seen = now_seen;
        on_change_();
      }
    }
  }
}

}  // namespace xdsd::config
