#include "etcd/etcd_cluster.h"

#include <signal.h>
#include <sys/wait.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "integration/xdsd_process.h"
#include "support/poll.h"

namespace xdsd::testing {
absl::StatusOr<std::unique_ptr<EtcdCluster>> EtcdCluster::Start(int size, const std::string& dir,
                                                                absl::Duration timeout) {
  std::unique_ptr<EtcdCluster> cluster(new EtcdCluster(dir));
  std::vector<std::string> peers;
  for (int i = 0; i < size; ++i) {
    Member member;
    member.name = absl::StrCat("m", i);
    member.client_port = UnusedLoopbackPort();
    member.peer_port = UnusedLoopbackPort();
    peers.push_back(absl::StrCat(member.name, "=http://127.0.0.1:", member.peer_port));
    cluster->members_.push_back(std::move(member));
  }
  cluster->initial_cluster_ = absl::StrJoin(peers, ",");
  for (int i = 0; i < size; ++i) {
    if (absl::Status launched = cluster->Launch(i); !launched.ok()) return launched;
  }
  const absl::Time deadline = absl::Now() + timeout;
  for (int i = 0; i < size; ++i) {
    if (absl::Status serving = cluster->WaitServing(i, deadline - absl::Now()); !serving.ok()) {
      return serving;
    }
  }
  return cluster;
}

EtcdCluster::~EtcdCluster() {
  for (int i = 0; i < size(); ++i) Kill(i);
}

absl::Status EtcdCluster::Launch(int i) {
  Member& member = members_[i];
  const std::string client = absl::StrCat("http://127.0.0.1:", member.client_port);
  const std::string peer = absl::StrCat("http://127.0.0.1:", member.peer_port);
  const std::string log = absl::StrCat(dir_, "/", member.name, ".log");
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start({"/usr/bin/etcd",
                         "--name",
                         member.name,
                         "--data-dir",
                         absl::StrCat(dir_, "/", member.name, ".etcd"),
                         "--listen-client-urls",
                         client,
                         "--advertise-client-urls",
                         client,
                         "--listen-peer-urls",
                         peer,
                         "--initial-advertise-peer-urls",
                         peer,
                         "--initial-cluster",
                         initial_cluster_,
                         "--initial-cluster-token",
                         "xdsd-test",
                         "--log-level",
                         "warn",
                         "--logger",
                         "zap"},
                        log, log);
  if (!process.ok()) return process.status();
  member.process = *std::move(process);
  return absl::OkStatus();
}

absl::Status EtcdCluster::WaitServing(int i, absl::Duration timeout) {
  bool serving = PollUntil(
      timeout,
      [&] {
        absl::StatusOr<CommandResult> result =
            RunCommand({"/usr/bin/etcdctl", "--endpoints", Endpoint(i), "--command-timeout=1s",
                        "endpoint", "health"},
                       dir_, absl::Seconds(3));
        return result.ok() && WIFEXITED(result->wait_status) &&
               WEXITSTATUS(result->wait_status) == 0;
      },
      absl::Milliseconds(100));
  if (serving) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat("etcd member ", members_[i].name,
                                                  " does not answer (see its log in ", dir_, ")"));
}

std::string EtcdCluster::Endpoint(int i) const {
  return absl::StrCat("127.0.0.1:", members_[i].client_port);
}

std::string EtcdCluster::Url(const std::string& prefix) const {
  std::vector<std::string> endpoints;
  for (int i = 0; i < size(); ++i) endpoints.push_back(Endpoint(i));
  return absl::StrCat("etcd://", absl::StrJoin(endpoints, ","), "/", prefix);
}

void EtcdCluster::Kill(int i) {
  if (members_[i].process == nullptr) return;
  (void)members_[i].process->Stop(SIGKILL, absl::Seconds(10));
  members_[i].process.reset();
}

absl::Status EtcdCluster::Restart(int i, absl::Duration timeout) {
  if (absl::Status launched = Launch(i); !launched.ok()) return launched;
  return WaitServing(i, timeout);
}

absl::Status EtcdCluster::RestartAll(absl::Duration timeout) {
  for (int i = 0; i < size(); ++i) {
    if (members_[i].process != nullptr) continue;
    if (absl::Status launched = Launch(i); !launched.ok()) return launched;
  }
  const absl::Time deadline = absl::Now() + timeout;
  for (int i = 0; i < size(); ++i) {
    if (absl::Status serving = WaitServing(i, deadline - absl::Now()); !serving.ok()) {
      return serving;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> EtcdCluster::Etcdctl(const std::vector<std::string>& args) const {
  std::vector<std::string> endpoints;
  for (int i = 0; i < size(); ++i) {
    if (members_[i].process != nullptr) endpoints.push_back(Endpoint(i));
  }
  std::vector<std::string> argv = {"/usr/bin/etcdctl", "--endpoints",
                                   absl::StrJoin(endpoints, ",")};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<CommandResult> result = RunCommand(argv, dir_, absl::Seconds(10));
  if (!result.ok()) return result.status();
  if (!WIFEXITED(result->wait_status) || WEXITSTATUS(result->wait_status) != 0) {
    return absl::InternalError(absl::StrCat("etcdctl failed: ", result->stderr_text));
  }
  return result->stdout_text;
}

std::string ConfigWithPort(int port) {
  return absl::StrCat(R"(resources:
  clusters:
  - name: backend
    connect_timeout: 1s
    type: STATIC
    load_assignment:
      cluster_name: backend
      endpoints:
      - lb_endpoints:
        - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: )",
                      port, R"(}}}
  routes:
  - name: local
    virtual_hosts:
    - {name: all, domains: ["*"], routes: [{match: {prefix: /}, route: {cluster: backend}}]}
)");
}

}  // namespace xdsd::testing
