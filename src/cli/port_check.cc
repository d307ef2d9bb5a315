#include "cli/port_check.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace xdsd::cli {

absl::Status CheckPortFree(const std::string& host, int port, absl::string_view what,
                           absl::string_view flag) {
  if (port == 0) return absl::OkStatus();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* addresses = nullptr;
  const std::string port_text = absl::StrCat(port);
  if (getaddrinfo(host.c_str(), port_text.c_str(), &hints, &addresses) != 0 ||
      addresses == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", what, " address \"", host, "\" does not resolve"));
  }
  absl::Cleanup free_addresses = [addresses] { freeaddrinfo(addresses); };
  const int fd = socket(addresses->ai_family, addresses->ai_socktype, addresses->ai_protocol);
  if (fd < 0) return absl::OkStatus();  // the server will say why it cannot listen
  absl::Cleanup close_fd = [fd] { close(fd); };
  // As the servers do: a port whose old connections linger in TIME_WAIT is free.
  const int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (bind(fd, addresses->ai_addr, addresses->ai_addrlen) == 0) return absl::OkStatus();
  const int error = errno;
  if (error == EADDRINUSE) {
    return absl::FailedPreconditionError(
        absl::StrCat("the ", what, " port ", port, " (", flag, ") is already in use on ", host,
                     ": is another xdsd running? Stop it, or choose another port with ", flag));
  }
  return absl::FailedPreconditionError(absl::StrCat("cannot listen on the ", what, " port ", host,
                                                    ":", port, " (", flag,
                                                    "): ", std::strerror(error)));
}

std::string JoinHostPort(absl::string_view host, int port) {
  const bool bracket = absl::StrContains(host, ':') && !absl::StartsWith(host, "[");
  return absl::StrCat(bracket ? "[" : "", host, bracket ? "]" : "", ":", port);
}

}  // namespace xdsd::cli
