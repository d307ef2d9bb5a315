#pragma once

// The load generator's --procs: K processes share the clients, one answers for all.

#include <functional>
#include <string>
#include <vector>

namespace xdsd::bench {

// Forks `procs` processes (before the caller has started anything of gRPC: a fork does not
// take threads along) that run `run(clients_k, first_index_k)` on their share of `clients`,
// with node indexes from `first_index` on, distinct across them. This process then relays the
// control commands of stdin ("stats", "reconnect", "quit") to every child and answers each
// with one line: "loadgen starting clients=N procs=K" first, then the children's "loadgen
// key=value ..." lines summed field by field (cpu_s: all K processes' CPU) with procs=K.
// Returns once the children exited.
int RunInProcesses(int procs, int clients, int first_index,
                   const std::function<int(int clients, int first_index)>& run);

// The children's stats lines merged as above.
std::string MergeStats(const std::vector<std::string>& lines);

}  // namespace xdsd::bench
