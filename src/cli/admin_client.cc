#include "cli/admin_client.h"

#include <chrono>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "admin/admin_auth.h"
#include "httplib.h"

namespace xdsd::cli {
namespace {

// Why a request failed, in words for a person at a terminal.
std::string DescribeError(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "could not connect (is xdsd running there, and is this its --http-port?)";
    case httplib::Error::ConnectionTimeout:
      return "connection timed out";
    case httplib::Error::Read:
      return "no HTTP answer (the connection closed or timed out)";
    case httplib::Error::Write:
      return "could not send the request";
    default:
      return httplib::to_string(error);
  }
}

absl::StatusOr<AdminAnswer> Answer(const AdminTarget& target, const httplib::Result& result) {
  if (!result) {
    return absl::UnavailableError(absl::StrCat("cannot reach xdsd at ", target.http_url, ": ",
                                               DescribeError(result.error())));
  }
  return AdminAnswer{result->status, result->body, result->get_header_value("X-Next-After")};
}

httplib::Client MakeClient(const AdminTarget& target, int read_timeout_seconds) {
  httplib::Client client(target.http_url);
  if (target.https && !target.ca_file.empty()) client.set_ca_cert_path(target.ca_file.c_str());
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(std::chrono::seconds(read_timeout_seconds));
  client.set_write_timeout(std::chrono::seconds(5));
  return client;
}

httplib::Headers BearerHeaders(const std::string& token) {
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", absl::StrCat("Bearer ", token));
  return headers;
}

}  // namespace

absl::StatusOr<AdminAnswer> AdminGet(const AdminTarget& target, const std::string& path,
                                     const std::string& token) {
  httplib::Client client = MakeClient(target, 5);
  return Answer(target, client.Get(path, BearerHeaders(token)));
}

absl::StatusOr<AdminAnswer> AdminPost(const AdminTarget& target, const std::string& path,
                                      const std::string& token, int timeout_seconds,
                                      const std::string& body) {
  httplib::Client client = MakeClient(target, timeout_seconds);
  return Answer(target, client.Post(path, BearerHeaders(token), body, "application/json"));
}

absl::StatusOr<std::string> ReadClientToken(const std::string& token_file) {
  if (token_file.empty()) return std::string();
  absl::StatusOr<std::vector<admin::AdminToken>> read = admin::AdminAuth::ReadTokenFile(token_file);
  if (!read.ok()) return read.status();
  if (read->size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(token_file, " holds ", read->size(),
                                                   " named tokens: give a file with yours alone"));
  }
  return std::move(read->front().token);
}

}  // namespace xdsd::cli
