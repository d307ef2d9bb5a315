#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "integration/subprocess.h"

namespace xdsd::testing {

// A real etcd cluster (Debian's etcd-server) of `size` members on loopback, on free ports, its
// data in a directory of its own. Members can be killed (SIGKILL) and started again on the same
// ports with their data, as a machine that crashes and comes back. The destructor kills every
// member still running.
//
// Thread-compatible.
class EtcdCluster {
 public:
  // Starts the members and waits up to `timeout` until each answers.
  static absl::StatusOr<std::unique_ptr<EtcdCluster>> Start(int size, const std::string& dir,
                                                            absl::Duration timeout);
  ~EtcdCluster();

  // "127.0.0.1:PORT" of member `i`'s client port.
  std::string Endpoint(int i) const;
  // etcd://every member/prefix
  std::string Url(const std::string& prefix) const;
  int size() const { return static_cast<int>(members_.size()); }

  // SIGKILL of member `i`; returns once it is gone.
  void Kill(int i);
  // Starts member `i` again (after Kill) and waits up to `timeout` until it answers.
  absl::Status Restart(int i, absl::Duration timeout);
  // Starts every killed member again and waits up to `timeout` until each answers (a member
  // alone does not answer without a quorum).
  absl::Status RestartAll(absl::Duration timeout);

  // Runs etcdctl against the running members; its stdout, or an error with its stderr.
  absl::StatusOr<std::string> Etcdctl(const std::vector<std::string>& args) const;

 private:
  struct Member {
    std::string name;
    int client_port = 0;
    int peer_port = 0;
    std::unique_ptr<Subprocess> process;
  };
  explicit EtcdCluster(std::string dir) : dir_(std::move(dir)) {}
  absl::Status Launch(int i);
  // Polls member `i` until it answers a read, for at most `timeout`.
  absl::Status WaitServing(int i, absl::Duration timeout);

  const std::string dir_;
  std::string initial_cluster_;
  std::vector<Member> members_;
};

// A valid config (a cluster and a route to it) whose cluster's endpoint port is `port`: each
// port is another config, for `xdsd apply`.
std::string ConfigWithPort(int port);

}  // namespace xdsd::testing
