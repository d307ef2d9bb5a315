#include "admin/http_server.h"

#include <microhttpd.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "xdsd/refusals.h"

namespace xdsd::admin {

std::string HttpRequest::get_param_value(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

std::string HttpRequest::header(const std::string& lower_case_name) const {
  auto it = headers.find(lower_case_name);
  return it == headers.end() ? std::string() : it->second;
}

namespace {

// How often connections are checked against their request deadline.
constexpr absl::Duration kDeadlineSweep = absl::Milliseconds(100);

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string PeerOf(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == nullptr || info->client_addr == nullptr) return "unknown";
  char host[NI_MAXHOST];
  char port[NI_MAXSERV];
  const socklen_t length =
      info->client_addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (getnameinfo(info->client_addr, length, host, sizeof(host), port, sizeof(port),
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return "unknown";
  }
  return info->client_addr->sa_family == AF_INET6 ? absl::StrCat("[", host, "]:", port)
                                                  : absl::StrCat(host, ":", port);
}

// One request being received: created on the handler's first call, freed when it completes.
struct PendingRequest {
  std::string body;
  bool too_large = false;
};

}  // namespace

// The libmicrohttpd daemon and the connection deadlines. Its callbacks run on MHD's threads.
class HttpServer::Daemon {
 public:
  Daemon(const HttpServerOptions& options, const std::vector<Route>& routes)
      : options_(options), routes_(routes) {}

  ~Daemon() { Stop(); }

  absl::StatusOr<int> Start(const std::string& host, int port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* addresses = nullptr;
    const std::string port_text = std::to_string(port);
    if (getaddrinfo(host.c_str(), port_text.c_str(), &hints, &addresses) != 0 ||
        addresses == nullptr) {
      return absl::UnavailableError(
          absl::StrCat("admin HTTP server cannot resolve \"", host, "\""));
    }
    sockaddr_storage address{};
    std::memcpy(&address, addresses->ai_addr, addresses->ai_addrlen);
    freeaddrinfo(addresses);

    unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD;
    if (address.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    const bool tls = !options_.tls_cert_pem.empty() || !options_.tls_key_pem.empty();
    if (tls) {
      if (options_.tls_cert_pem.empty() || options_.tls_key_pem.empty()) {
        return absl::InvalidArgumentError("HTTPS needs both a certificate and a key");
      }
      flags |= MHD_USE_TLS;
    }
    const unsigned int idle_seconds = static_cast<unsigned int>(std::max<int64_t>(
        1, absl::ToInt64Seconds(absl::Ceil(options_.request_timeout, absl::Seconds(1)))));
    std::vector<MHD_OptionItem> items = {
        {MHD_OPTION_SOCK_ADDR, 0, &address},
        {MHD_OPTION_THREAD_POOL_SIZE, std::max(1, options_.threads), nullptr},
        // MHD's own cap is a backstop; AcceptPolicy refuses (and counts) before it.
        {MHD_OPTION_CONNECTION_LIMIT, options_.max_connections * std::max(1, options_.threads) + 16,
         nullptr},
        {MHD_OPTION_CONNECTION_TIMEOUT, idle_seconds, nullptr},
        {MHD_OPTION_LISTEN_BACKLOG_SIZE, 128, nullptr},
        {MHD_OPTION_NOTIFY_CONNECTION, reinterpret_cast<intptr_t>(&OnConnection), this},
        {MHD_OPTION_NOTIFY_COMPLETED, reinterpret_cast<intptr_t>(&OnCompleted), this},
    };
    if (tls) {
      items.push_back(
          {MHD_OPTION_HTTPS_MEM_CERT, 0, const_cast<char*>(options_.tls_cert_pem.c_str())});
      items.push_back(
          {MHD_OPTION_HTTPS_MEM_KEY, 0, const_cast<char*>(options_.tls_key_pem.c_str())});
    }
    items.push_back({MHD_OPTION_END, 0, nullptr});
    daemon_ = MHD_start_daemon(flags, static_cast<uint16_t>(port), &AcceptPolicy, this, &OnRequest,
                               this, MHD_OPTION_ARRAY, items.data(), MHD_OPTION_END);
    if (daemon_ == nullptr) {
      return absl::UnavailableError(absl::StrCat("admin HTTP server cannot listen on ", host, ":",
                                                 port, tls ? " (or the TLS key pair is bad)" : ""));
    }
    const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
    sweeper_ = std::thread([this] { SweepDeadlines(); });
    return info != nullptr ? info->port : port;
  }

  void Stop() {
    if (daemon_ == nullptr) return;
    stopping_.Notify();
    sweeper_.join();
    MHD_stop_daemon(daemon_);
    daemon_ = nullptr;
  }

 private:
  // What the deadline sweeper knows of an open connection.
  struct Connection {
    int fd = -1;
    absl::Time deadline;
    bool closed_by_deadline = false;
  };

  static MHD_Result AcceptPolicy(void* self, const sockaddr*, socklen_t) {
    auto* daemon = static_cast<Daemon*>(self);
    if (daemon->open_connections_.load() >= daemon->options_.max_connections) {
      CountRefusal("http_connection_limit",
                   absl::StrCat(daemon->options_.max_connections, " admin connections are open"));
      return MHD_NO;
    }
    return MHD_YES;
  }

  static void OnConnection(void* self, MHD_Connection* connection, void** socket_context,
                           MHD_ConnectionNotificationCode code) {
    auto* daemon = static_cast<Daemon*>(self);
    absl::MutexLock lock(&daemon->mu_);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
      const MHD_ConnectionInfo* info =
          MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
      auto state = std::make_unique<Connection>();
      state->fd = info != nullptr ? info->connect_fd : -1;
      state->deadline = absl::Now() + daemon->options_.request_timeout;
      *socket_context = state.get();
      daemon->connections_.emplace(state.get(), std::move(state));
      daemon->open_connections_.fetch_add(1);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
      // MHD closes the socket only after this notification, so the sweeper, which holds mu_,
      // never shuts down a descriptor that was closed and reused.
      daemon->connections_.erase(static_cast<Connection*>(*socket_context));
      *socket_context = nullptr;
      daemon->open_connections_.fetch_sub(1);
    }
  }

  // The connection's next request gets a fresh deadline once this one is answered.
  static void OnCompleted(void* self, MHD_Connection* connection, void** request_context,
                          MHD_RequestTerminationCode) {
    delete static_cast<PendingRequest*>(*request_context);
    *request_context = nullptr;
    auto* daemon = static_cast<Daemon*>(self);
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (info == nullptr || info->socket_context == nullptr) return;
    absl::MutexLock lock(&daemon->mu_);
    static_cast<Connection*>(info->socket_context)->deadline =
        absl::Now() + daemon->options_.request_timeout;
  }

  void SweepDeadlines() {
    while (!stopping_.WaitForNotificationWithTimeout(kDeadlineSweep)) {
      const absl::Time now = absl::Now();
      absl::MutexLock lock(&mu_);
      for (auto& [key, connection] : connections_) {
        if (connection->closed_by_deadline || connection->deadline > now || connection->fd < 0) {
          continue;
        }
        CountRefusal("http_request_timeout",
                     absl::StrCat("no whole request within ",
                                  absl::FormatDuration(options_.request_timeout)));
        // Ends the connection from MHD's side too: its next read sees the shutdown.
        shutdown(connection->fd, SHUT_RDWR);
        connection->closed_by_deadline = true;
      }
    }
  }

  static MHD_Result Queue(MHD_Connection* connection, const HttpResponse& reply) {
    MHD_Response* response = MHD_create_response_from_buffer(
        reply.body.size(), const_cast<char*>(reply.body.data()), MHD_RESPMEM_MUST_COPY);
    if (response == nullptr) return MHD_NO;
    if (reply.status != 304) {
      MHD_add_response_header(response, "Content-Type", reply.content_type.c_str());
    }
    for (const auto& [name, value] : reply.headers) {
      MHD_add_response_header(response, name.c_str(), value.c_str());
    }
    const MHD_Result queued =
        MHD_queue_response(connection, static_cast<unsigned int>(reply.status), response);
    MHD_destroy_response(response);
    return queued;
  }

  static HttpResponse JsonError(int status, const std::string& message) {
    HttpResponse response;
    response.status = status;
    response.set_content(nlohmann::json{{"error", message}}.dump() + "\n", "application/json");
    return response;
  }

  static MHD_Result CollectValue(void* map, MHD_ValueKind kind, const char* key,
                                 const char* value) {
    auto* values = static_cast<std::map<std::string, std::string>*>(map);
    std::string name = kind == MHD_HEADER_KIND ? Lower(key) : std::string(key);
    values->emplace(std::move(name), value != nullptr ? value : "");
    return MHD_YES;
  }

  static MHD_Result OnRequest(void* self, MHD_Connection* connection, const char* url,
                              const char* method, const char*, const char* upload_data,
                              size_t* upload_data_size, void** request_context) {
    auto* daemon = static_cast<Daemon*>(self);
    const size_t max_body = daemon->options_.max_body_bytes;
    auto* pending = static_cast<PendingRequest*>(*request_context);
    if (pending == nullptr) {  // the headers are in; the body (if any) comes next
      *request_context = pending = new PendingRequest();
      const char* length =
          MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
      if (length != nullptr && std::strtoull(length, nullptr, 10) > max_body) {
        CountRefusal("http_body_too_large",
                     absl::StrCat("Content-Length ", length, " > ", max_body));
        return Queue(connection, JsonError(413, absl::StrCat("the body is larger than ", max_body,
                                                             " bytes (--max-http-body-bytes)")));
      }
      return MHD_YES;
    }
    if (*upload_data_size > 0) {
      if (!pending->too_large && pending->body.size() + *upload_data_size > max_body) {
        pending->too_large = true;
        pending->body.clear();
        pending->body.shrink_to_fit();
        CountRefusal("http_body_too_large", absl::StrCat("chunked body > ", max_body));
      }
      if (!pending->too_large) pending->body.append(upload_data, *upload_data_size);
      *upload_data_size = 0;
      return MHD_YES;
    }
    if (pending->too_large) {
      return Queue(connection, JsonError(413, absl::StrCat("the body is larger than ", max_body,
                                                           " bytes (--max-http-body-bytes)")));
    }
    HttpRequest request;
    request.method = method;
    request.path = url;
    request.body = std::move(pending->body);
    request.peer = PeerOf(connection);
    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, &CollectValue, &request.params);
    MHD_get_connection_values(connection, MHD_HEADER_KIND, &CollectValue, &request.headers);
    return Queue(connection, daemon->Dispatch(request));
  }

  HttpResponse Dispatch(HttpRequest& request) const {
    for (const HttpServer::Route& route : routes_) {
      if (route.method != request.method) continue;
      std::smatch match;
      if (!std::regex_match(request.path, match, route.path)) continue;
      for (const auto& group : match) request.matches.push_back(group.str());
      HttpResponse response;
      route.handler(request, response);
      return response;
    }
    return JsonError(404, absl::StrCat("no such endpoint: ", request.path));
  }

  const HttpServerOptions& options_;
  const std::vector<HttpServer::Route>& routes_;
  MHD_Daemon* daemon_ = nullptr;
  std::thread sweeper_;
  absl::Notification stopping_;
  std::atomic<int> open_connections_{0};
  absl::Mutex mu_;
  absl::flat_hash_map<Connection*, std::unique_ptr<Connection>> connections_ ABSL_GUARDED_BY(mu_);
};

HttpServer::HttpServer(HttpServerOptions options) : options_(std::move(options)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(std::string method, const std::string& path_regex, HttpHandler handler) {
  routes_.push_back(Route{std::move(method), std::regex(path_regex), std::move(handler)});
}

absl::StatusOr<int> HttpServer::Start(const std::string& host, int port) {
  if (daemon_ != nullptr) return absl::FailedPreconditionError("HTTP server already started");
  auto daemon = std::make_unique<Daemon>(options_, routes_);
  absl::StatusOr<int> bound = daemon->Start(host, port);
  if (bound.ok()) daemon_ = std::move(daemon);
  return bound;
}

void HttpServer::Stop() {
  if (daemon_ != nullptr) daemon_->Stop();
}

}  // namespace xdsd::admin
