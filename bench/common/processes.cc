#include "common/processes.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace xdsd::bench {
namespace {

// One forked load generator: its stdin and stdout, as pipes.
struct Child {
  pid_t pid = -1;
  FILE* in = nullptr;   // its commands
  FILE* out = nullptr;  // its answers
};

std::string ReadLine(FILE* from) {
  std::string line;
  for (int c; (c = std::fgetc(from)) != EOF && c != '\n';) line.push_back(static_cast<char>(c));
  return line;
}

}  // namespace

std::string MergeStats(const std::vector<std::string>& lines) {
  std::vector<std::pair<std::string, double>> sums;
  for (const std::string& line : lines) {
    std::istringstream words(line);
    std::string word;
    words >> word;  // "loadgen"
    for (size_t field = 0; words >> word; ++field) {
      const size_t eq = word.find('=');
      if (eq == std::string::npos) continue;
      const double value = std::atof(word.c_str() + eq + 1);
      if (field >= sums.size()) sums.emplace_back(word.substr(0, eq), 0.0);
      sums[field].second += value;
    }
  }
  std::string merged = "loadgen";
  for (const auto& [key, value] : sums) {
    const bool fractional = key == "cpu_s" || key == "rss_mb";
    char number[64];
    std::snprintf(number, sizeof(number), fractional ? "%.3f" : "%.0f", value);
    merged += " " + key + "=" + number;
  }
  return merged + " procs=" + std::to_string(lines.size());
}

int RunInProcesses(int procs, int clients, int first_index,
                   const std::function<int(int clients, int first_index)>& run) {
  procs = std::min(procs, std::max(1, clients));
  std::vector<Child> children;
  for (int k = 0; k < procs; ++k) {
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) return 1;
    const pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      dup2(to_child[0], STDIN_FILENO);
      dup2(from_child[1], STDOUT_FILENO);
      for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1]}) close(fd);
      for (const Child& earlier : children) {
        std::fclose(earlier.in);
        std::fclose(earlier.out);
      }
      std::_Exit(run(clients / procs + (k < clients % procs ? 1 : 0),
                     first_index + k * (clients / procs) + std::min(k, clients % procs)));
    }
    close(to_child[0]);
    close(from_child[1]);
    children.push_back({pid, fdopen(to_child[1], "w"), fdopen(from_child[0], "r")});
  }
  auto ask_all = [&](const std::string& command) {
    for (Child& child : children) {
      std::fputs((command + "\n").c_str(), child.in);
      std::fflush(child.in);
    }
    std::vector<std::string> answers;
    for (Child& child : children) answers.push_back(ReadLine(child.out));
    return answers;
  };
  for (Child& child : children) ReadLine(child.out);  // "loadgen starting ..."
  std::cout << "loadgen starting clients=" << clients << " procs=" << procs << std::endl;
  std::string line;
  while (std::getline(std::cin, line) && line != "quit") {
    if (line == "stats") std::cout << MergeStats(ask_all("stats")) << std::endl;
    if (line == "reconnect") {
      ask_all("reconnect");
      std::cout << "reconnecting" << std::endl;
    }
  }
  std::cout << MergeStats(ask_all("quit")) << std::endl;
  for (Child& child : children) {
    std::fclose(child.in);
    std::fclose(child.out);
    waitpid(child.pid, nullptr, 0);
  }
  return 0;
}

}  // namespace xdsd::bench
