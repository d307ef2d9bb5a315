#pragma once

#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace xdsd::admin {

// One HTTP request, complete (headers and body) when a handler sees it.
struct HttpRequest {
  std::string method;
  std::string path;  // decoded, without the query
  std::string body;
  std::string peer;  // the client's address, "IP:PORT"
  // The route's regular expression matched against `path`: [0] is the whole path, then groups.
  std::vector<std::string> matches;
  std::map<std::string, std::string> params;   // the query
  std::map<std::string, std::string> headers;  // names in lower case

  bool has_param(const std::string& name) const { return params.contains(name); }
  std::string get_param_value(const std::string& name) const;
  std::string header(const std::string& lower_case_name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  void set_content(std::string content, std::string type) {
    body = std::move(content);
    content_type = std::move(type);
  }
  void set_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

using HttpHandler = std::function<void(const HttpRequest&, HttpResponse&)>;

// The limits that keep a slow or hostile client from stalling the server or growing it.
struct HttpServerOptions {
  // Requests with a larger body are answered 413 ("http_body_too_large"); the body is not kept.
  size_t max_body_bytes = 4 << 20;
  // Connections beyond this many open ones are closed at once ("http_connection_limit").
  int max_connections = 256;
  // A request (headers and body) must arrive whole within this time from the connection's
  // start or the end of its previous request, however slowly it trickles in; otherwise the
  // connection is closed ("http_request_timeout"). Idle keep-alive connections end the same way.
  absl::Duration request_timeout = absl::Seconds(10);
  // Threads that poll (epoll) and run handlers. Slow clients hold no thread.
  int threads = 2;
  // PEM; both set serves HTTPS (TLS by GnuTLS), both empty plain HTTP.
  std::string tls_cert_pem;
  std::string tls_key_pem;
};

// A small event-driven HTTP/1.1 server (libmicrohttpd with epoll and a few polling threads) with
// a router: the first route whose method matches and whose regular expression matches the
// whole path handles the request; no route gives 404 with a JSON error. A connection holds no
// thread while its request arrives, so slow clients cannot starve the others; the limits of
// HttpServerOptions bound what they can hold.
//
// Thread-compatible: Handle, Start and Stop are called by one owner thread; routes are added
// before Start. Handlers run on the polling threads, concurrently, and must not block.
class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options = {});
  ~HttpServer();  // stops the server
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void Handle(std::string method, const std::string& path_regex, HttpHandler handler);
  void Get(const std::string& path_regex, HttpHandler handler) {
    Handle("GET", path_regex, std::move(handler));
  }
  void Post(const std::string& path_regex, HttpHandler handler) {
    Handle("POST", path_regex, std::move(handler));
  }
  void Put(const std::string& path_regex, HttpHandler handler) {
    Handle("PUT", path_regex, std::move(handler));
  }
  void Delete(const std::string& path_regex, HttpHandler handler) {
    Handle("DELETE", path_regex, std::move(handler));
  }

  // Binds `host`:`port` (an IP address or a name; port 0 picks a free one) and starts serving.
  // Returns the bound port; Unavailable when the address cannot be bound, InvalidArgument for
  // a bad TLS key pair. At most once.
  absl::StatusOr<int> Start(const std::string& host, int port);
  // Stops accepting, ends every connection and joins the threads. Idempotent.
  void Stop();

  struct Route {
    std::string method;
    std::regex path;
    HttpHandler handler;
  };
  class Daemon;  // the libmicrohttpd side, private to http_server.cc

 private:
  const HttpServerOptions options_;
  std::vector<Route> routes_;
  std::unique_ptr<Daemon> daemon_;
};

}  // namespace xdsd::admin
